"""The two tables a planner opens in a spreadsheet: one row per school, one row per portfolio.

`portfolios.csv` keeps `school_id,portfolio` first so it still reads back as a plan;
the columns after them (name, level, grades, enrollment, region) are for people.
`summary.csv` is the map panel's figures as a table, one row per portfolio.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from feeder import metrics
from feeder.io.schools import grade_name
from feeder.privacy import privacy_of
from feeder.provenance import estimate_note

if TYPE_CHECKING:
    from feeder.plan import Plan

LEVEL_COLUMNS = ("elementary", "middle", "high", "span")


def known_grade(grade: float | None) -> str:
    """A grade as schools write it ('' when unknown)."""
    if grade is None or pd.isna(grade):
        return ""
    return grade_name(grade)


def grades_served(schools: pd.DataFrame) -> list[str]:
    """'K-5', 'PK-8', '9-12', 'K' for each school ('' when its grades are unknown)."""
    return [
        ""
        if pd.isna(lo) or pd.isna(hi)
        else known_grade(lo)
        if lo == hi
        else f"{known_grade(lo)}-{known_grade(hi)}"
        for lo, hi in zip(schools["grade_lo"], schools["grade_hi"], strict=True)
    ]


def whole_numbers(values: pd.Series) -> pd.Series:
    """Counts without a trailing '.0'; missing stays empty."""
    return values.round().astype("Int64")


def portfolios_table(plan: Plan) -> pd.DataFrame:
    """One row per school in schools.csv order: the plan, then what a reader needs to recognise it."""
    schools = plan.district.schools
    return pd.DataFrame(
        {
            "school_id": schools["school_id"].to_numpy(),
            "portfolio": plan.labels,
            "name": schools["name"].to_numpy(),
            "level": schools["level"].to_numpy(),
            "grades": grades_served(schools),
            "enrollment": whole_numbers(schools["enrollment"]).array,  # to_numpy() makes floats of a gap
            "region": schools["region"].to_numpy(),
        }
    )


def summary_table(plan: Plan) -> pd.DataFrame:
    """One row per portfolio (sorted by name): its schools, students, need, meeting site and scores."""
    district, labels = plan.district, plan.labels
    schools = district.schools
    distance = metrics.distances_to_medoid(district, labels)
    medoids = metrics.medoids(district, labels)
    kept, touching = flow_students(plan)
    connected = connected_portfolios(plan)
    enrollment = schools["enrollment"].fillna(0).to_numpy(dtype=float)
    need = schools["need_index"].to_numpy(dtype=float)
    # Column arrays once, outside the loop: per portfolio only its members are indexed
    # (O(schools) in all, which keeps 100,000-school plans quick to tabulate).
    levels = schools["level"].to_numpy()
    names = schools["name"].to_numpy()
    ids = schools["school_id"].to_numpy()
    high = high_schools(schools)
    serves = grade_coverage(schools)
    rows = []
    privacy = privacy_of(district)
    for name, members in metrics.groups(labels).items():
        level = levels[members]
        share = privacy.share(kept[name], touching[name])
        rows.append(
            {
                "portfolio": name,
                "schools": len(members),
                **{column: int((level == column).sum()) for column in LEVEL_COLUMNS},
                "high_schools": "; ".join(names[members][high[members]]),
                "students": round(float(enrollment[members].sum())),
                "need": weighted_need(need[members], enrollment[members]),
                "meeting_site": names[medoids[name]],
                "meeting_site_id": ids[medoids[name]],
                "mean_km": round(float(distance[members].mean()), 2),
                "max_km": round(float(distance[members].max()), 2),
                "flows_kept": None if share is None else round(share, 3),
                "k12": "yes" if serves[members].any(axis=0).all() else "no",
                "contiguous": "yes" if connected[name] else "no",
            }
        )
    return pd.DataFrame(rows)


def high_schools(schools: pd.DataFrame) -> np.ndarray:
    """High schools and span schools reaching grade 9 or above (6-12, K-12), per school."""
    level = schools["level"].to_numpy()
    top = schools["grade_hi"].to_numpy(dtype=float, na_value=np.nan)
    return (level == "high") | ((level == "span") & (top >= 9))


def weighted_need(need: np.ndarray, enrollment: np.ndarray) -> float | None:
    """Enrollment-weighted mean need index of the schools that have one (as need_cv weighs it)."""
    known = ~np.isnan(need)
    if not known.any():
        return None
    weights = enrollment[known] if enrollment[known].sum() > 0 else np.ones(int(known.sum()))
    return round(float(np.average(need[known], weights=weights)), 3)


def grade_coverage(schools: pd.DataFrame) -> np.ndarray:
    """Per school, whether it serves each of grades 3, 7 and 10: a portfolio is K-12 complete
    (METRICS.md k12_complete) when every column has a member that does."""
    lo = schools["grade_lo"].to_numpy(dtype=float, na_value=np.nan)
    hi = schools["grade_hi"].to_numpy(dtype=float, na_value=np.nan)
    return np.column_stack([(lo <= grade) & (hi >= grade) for grade in metrics.K12_GRADES])


def connected_portfolios(plan: Plan) -> dict[str, bool]:
    """Portfolio → whether its schools are connected on the Delaunay graph of all sites."""
    broken = set(metrics.broken_portfolios(plan.district, plan.labels))
    return {name: name not in broken for name in metrics.groups(plan.labels)}


def flow_students(plan: Plan) -> tuple[dict[str, float], dict[str, float]]:
    """Per portfolio: students on district flows kept inside it, and on all flows touching it."""
    sender, receiver, students = plan.district.flow_positions
    labels = plan.labels
    kept = dict.fromkeys(metrics.groups(labels), 0.0)
    touching = dict(kept)
    for a, b, count in zip(labels[sender], labels[receiver], students, strict=True):
        touching[a] += count
        if a == b:
            kept[a] += count
        else:
            touching[b] += count
    return kept, touching


def table_csv(table: pd.DataFrame) -> str:
    return table.to_csv(index=False, lineterminator="\n")


def summary_csv(plan: Plan, *, summary: pd.DataFrame | None = None) -> str:
    """summary.csv (from `summary`, the plan's summary_table, when already made); when flows are
    estimated its first line says so (a `#` line: read with comment='#')."""
    note = estimate_note(plan.district)
    return (f"# {note}\n" if note else "") + table_csv(summary_table(plan) if summary is None else summary)
