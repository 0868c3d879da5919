"""Plan: a portfolio for every school of a district, and its scorecard.

Every metric, map and report is a function of a Plan, so today's plan (the
`portfolio` column), a designed plan and a hand-drawn one are scored the same way.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from feeder import metrics
from feeder.constraints import violations
from feeder.district import District
from feeder.errors import InputError, InternalError, at, first_bad_row
from feeder.io.idmatch import restore_leading_zeros
from feeder.io.plan_tables import portfolios_table, table_csv
from feeder.io.tables import read_text_table, require_columns
from feeder.privacy import shown_cohesion, shown_share
from feeder.spec import DesignSpec

CURRENT = "current"


@dataclass(frozen=True, kw_only=True)
class Provenance:
    """Where a plan came from: today's `portfolio` column, a file, or a design run.

    Parameters
    ----------
    source : str
        "current" (today's plan), a plan file's name, or "designed".
    method : str
        The designer or peer that made it ("" for a given plan).
    seed : int or None
        The search's seed, when one was used.
    settings : tuple of (name, value)
        Search settings that do not change the problem (time limit, align weight, exact).
    objective : tuple of (name, weight)
        The objective weights the designer used.
    """

    source: str
    method: str = ""
    seed: int | None = None
    settings: tuple[tuple[str, Any], ...] = ()
    objective: tuple[tuple[str, float], ...] = ()

    @property
    def is_current(self) -> bool:
        return self.source == CURRENT

    def with_setting(self, name: str, value: Any) -> Provenance:
        """The same provenance with setting `name` set to `value` (replaced, or added last)."""
        names = [key for key, _ in self.settings]
        if name in names:
            settings = tuple((key, value if key == name else old) for key, old in self.settings)
        else:
            settings = (*self.settings, (name, value))
        return replace(self, settings=settings)

    def as_dict(self) -> dict[str, Any]:
        section: dict[str, Any] = {"source": self.source}
        if self.method:
            section["method"] = self.method
        if self.seed is not None:
            section["seed"] = self.seed
        section.update(dict(self.settings))
        return section


GIVEN = Provenance(source="given")


@dataclass(frozen=True)
class Plan:
    """An assignment of every school (in district order) to a named portfolio, with the
    spec it is judged against and where it came from."""

    district: District
    labels: np.ndarray
    spec: DesignSpec = field(default_factory=DesignSpec, kw_only=True)
    provenance: Provenance = field(default=GIVEN, kw_only=True)

    def __post_init__(self) -> None:
        # Portfolio names are text everywhere (files, maps, metrics); 3 and "3" are one portfolio.
        labels = np.asarray(self.labels).astype(str).astype(object)
        labels.setflags(write=False)
        object.__setattr__(self, "labels", labels)
        if len(self.labels) != len(self.district.schools):
            raise InternalError(
                f"a plan of {len(self.labels)} schools for a district of {len(self.district.schools)}"
            )

    @property
    def min_size(self) -> int:
        return self.spec.min_size

    @property
    def max_size(self) -> int:
        return self.spec.max_size

    @classmethod
    def current(cls, district: District, *, spec: DesignSpec | None = None) -> Plan:
        """Today's plan from the `portfolio` column; refused when any school lacks one."""
        column = district.schools["portfolio"]
        if (column == "").all():
            raise InputError(
                f"{district.name}: schools.csv has no 'portfolio' column, so there is no current plan "
                "to score; pass one with --plan PORTFOLIOS_CSV"
            )
        error = first_bad_row(
            "schools.csv",
            column == "",
            column="portfolio",
            message="school '{cell}' has no portfolio; give every school one",
            cells=district.schools["school_id"],
        )
        if error is not None:
            raise error
        return cls(
            district,
            column.to_numpy(dtype=object),
            spec=spec or DesignSpec(),
            provenance=Provenance(source=CURRENT),
        )

    @classmethod
    def from_csv(cls, district: District, path: Path, *, spec: DesignSpec | None = None) -> Plan:
        """Read a `school_id,portfolio` CSV (other columns ignored); every district school exactly once.

        Ids a spreadsheet respelled (leading zeros, '.0', case) are matched back with a warning (feeder.io.idmatch).
        """
        table = read_text_table(Path(path))
        require_columns(table, Path(path), ("school_id", "portfolio"))
        table["school_id"], restored = restore_leading_zeros(
            table["school_id"], district.ids, path=Path(path)
        )
        if restored:
            district.warnings.append(
                f"{Path(path).name}: {restored} school id(s) had lost their leading zeros (or gained a '.0' or "
                "changed case, as in a spreadsheet) and were matched to the district's ids"
            )
        for column, bad, message in (
            ("school_id", table["school_id"].duplicated(), "school '{cell}' appears twice"),
            ("portfolio", table["portfolio"] == "", "school '{cell}' has no portfolio"),
        ):
            error = first_bad_row(path, bad, column=column, message=message, cells=table["school_id"])
            if error is not None:
                raise error
        listed = set(table["school_id"])
        missing = [school for school in district.ids if school not in listed]
        if missing:
            raise at(
                path,
                f"{len(missing)} school(s) of the district have no portfolio: {', '.join(missing[:5])}"
                + (" ..." if len(missing) > 5 else ""),
                column="school_id",
            )
        labels = table.set_index("school_id").loc[district.ids, "portfolio"].to_numpy(dtype=object)
        return cls(district, labels, spec=spec or DesignSpec(), provenance=Provenance(source=Path(path).name))

    @property
    def assignment(self) -> pd.Series:
        """school_id → portfolio."""
        return pd.Series(self.labels, index=self.district.schools["school_id"], name="portfolio")

    def portfolios(self) -> dict[str, list[str]]:
        """Portfolio name → member school ids in schools.csv order."""
        ids = self.district.schools["school_id"].to_numpy()
        return {name: ids[members].tolist() for name, members in metrics.groups(self.labels).items()}

    def sizes(self) -> dict[str, int]:
        return {name: len(members) for name, members in metrics.groups(self.labels).items()}

    def medoids(self) -> dict[str, str]:
        """Portfolio → the school id of its meeting site (METRICS.md medoid)."""
        ids = self.district.schools["school_id"].to_numpy()
        return {name: str(ids[i]) for name, i in metrics.medoids(self.district, self.labels).items()}

    def violations(self) -> list[str]:
        """The spec's hard constraints this plan breaks, each naming the portfolios at fault."""
        return violations(self.district, self.labels, self.spec)

    def score(self, *, cohesion_bound: float | None = None) -> dict[str, Any]:
        """The scorecard: every METRICS.md metric, then the spec, provenance and objective.

        `cohesion_bound` (from the exact solver) adds the bound and the plan's gap to it. Under the
        small-cell rule (flows from student records) cohesion and the bound are shown as ratios of
        published counts (feeder.privacy), so no two scorecards give a small count away.
        """
        district, labels = self.district, self.labels
        sizes = np.array(list(self.sizes().values()))
        distance = metrics.distances_to_medoid(district, labels)
        card: dict[str, Any] = {
            "n_schools": len(labels),
            "n_portfolios": len(sizes),
            "min_size": self.min_size,
            "max_size": self.max_size,
            "size_ok": bool(((sizes >= self.min_size) & (sizes <= self.max_size)).all()),
            "smallest": int(sizes.min()),
            "largest": int(sizes.max()),
            "cohesion": shown_cohesion(district, labels),
            "split_schools": metrics.split_schools(district, labels),
            "mean_km": float(distance.mean()),
            "max_km": float(distance.max()),
            "contiguous": metrics.contiguous(district, labels),
            "k12_complete": metrics.k12_complete(district, labels),
            "enrollment_cv": metrics.enrollment_cv(district, labels),
            "need_cv": metrics.need_cv(district, labels),
            "in_region": metrics.in_region(district, labels),
            "moved": metrics.moved(district, labels),
        }
        bound = shown_share(district, cohesion_bound)
        if bound is not None and card["cohesion"] is not None:
            card["cohesion_bound"] = bound
            card["gap"] = bound - card["cohesion"]
        card["violations"] = self.violations()
        card["spec"] = self.spec.as_dict()
        card["provenance"] = self.provenance.as_dict()
        if self.provenance.objective:
            card["objective"] = dict(self.provenance.objective)
        return card

    def to_csv(self) -> str:
        """portfolios.csv: `school_id,portfolio`, then name, level, grades, enrollment, region; schools.csv order."""
        return table_csv(portfolios_table(self))

    def to_geojson(self) -> str:
        """portfolios.geojson: one point per school with its portfolio and distance to the meeting site."""
        schools = self.district.schools
        medoid_ids = self.medoids()
        frame = schools[["school_id", "name", "level", "enrollment", "geometry"]].copy()
        frame["portfolio"] = self.labels
        frame["meeting_site"] = [medoid_ids[p] for p in self.labels]
        name_of = dict(zip(schools["school_id"], schools["name"], strict=True))
        frame["meeting_site_name"] = [name_of[medoid_ids[p]] for p in self.labels]
        frame["km_to_meeting_site"] = np.round(metrics.distances_to_medoid(self.district, self.labels), 3)
        frame["enrollment"] = frame["enrollment"].astype(object).where(frame["enrollment"].notna(), None)
        return frame.to_json(drop_id=True, ensure_ascii=False) + "\n"


def scorecard_json(card: dict[str, Any]) -> str:
    """Stable, diff-friendly JSON of a scorecard (floats rounded to 1e-9)."""
    return json.dumps(rounded(card), indent=2, ensure_ascii=False) + "\n"


def rounded(value: Any) -> Any:
    """Round floats so the same plan gives byte-identical files across platforms."""
    if isinstance(value, float):
        return round(value, 9)
    if isinstance(value, dict):
        return {k: rounded(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [rounded(v) for v in value]
    if isinstance(value, np.generic):
        return rounded(value.item())
    return value
