"""Flows from student enrollment records (`enrollment.csv`: student_id, year, school_id, grade).

A district's student information system knows who was enrolled where, in which grade, each
year: the most accurate source of feeder flows. The rule (README, "Data contract"):

- a pair of consecutive school years Y -> Y+1 both present in the file is a year pair;
- a student at school s in grade g in Y who is at another school t in grade g+1 in Y+1 is a
  flow s -> t when g is s's exit: its top grade, or for a span school the last grade of a
  level (5 or 8) inside its span, and t can take s's leavers (t tops out above s, or at the
  same grade while starting later), so K-8 -> 9-12 and K-8 at 5 -> 6-8 count;
- a student in s's top grade (below 12: grade 12 leavers graduate) absent in Y+1 is s -> OUT;
- everything else is not a flow, counted by reason: moves up within one school, repeated
  grades, skipped grades, moves before the exit grade or to a school of the same level
  (lateral moves), leaving before the exit grade, new arrivals;
- counts are averaged over the year pairs: students per year.

Records naming a school that is not in the schools table are treated as outside the
district (a warning counts them). Files of millions of rows are read with pyarrow into
integer codes, so ids stay text without costing a Python string per cell.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from feeder.district import GRADE_WORDS, OUTSIDE
from feeder.errors import FeederError, at

ENROLLMENT = "enrollment.csv"
COLUMNS = ("student_id", "year", "school_id", "grade")
TRANSITION_GRADES = (5, 8)  # last grades of elementary (K-5) and middle (6-8)
GRADUATION = 12
YEAR = re.compile(r"(\d{4})(?:[-/]\d{2}(?:\d{2})?)?")
NOT_FOR_PUBLICATION = (
    "flows from student records keep exact counts, including groups of fewer than 10 students: "
    "this flows.csv is a working file, not for publication"
)

# Why a student's year pair is not a flow, in the order the report lists them.
STAYED = "moved up within one school"
REPEATED = "repeated a grade (or went down)"
SKIPPED = "skipped a grade"
LATERAL = "moved before the exit grade or to a school of the same level"
LEFT_EARLY = "left the district before the exit grade"
GRADUATED = "graduated (left after grade 12)"
UNGRADED = "at a school without grade_lo/grade_hi"
ARRIVED = "new arrival (no record the year before)"
REASONS = (STAYED, REPEATED, SKIPPED, LATERAL, LEFT_EARLY, GRADUATED, UNGRADED, ARRIVED)


@dataclass(frozen=True)
class RecordsReport:
    """What the records gave: how many were read, which year pairs, students used and ignored."""

    records: int
    year_pairs: tuple[tuple[int, int], ...]
    students_used: int
    ignored: dict[str, int]
    outside_records: int

    def lines(self) -> list[str]:
        """The report `feeder infer` prints, one fact per line."""
        pairs = ", ".join(f"{a}-{b}" for a, b in self.year_pairs)
        lines = [
            f"records: {self.records:,}",
            f"year pairs: {len(self.year_pairs)} ({pairs}); flows are students per year, averaged over them",
            f"students used: {self.students_used:,} (moved to a school of the next level, or left at the top grade)",
        ]
        lines += [f"ignored: {count:,} {reason}" for reason, count in self.ignored.items() if count]
        if self.outside_records:
            lines.append(
                f"ignored: {self.outside_records:,} record(s) at schools not in the schools table "
                "(treated as outside the district)"
            )
        return [*lines, NOT_FOR_PUBLICATION]


def flows_from_records(
    path: Path, schools: pd.DataFrame, warnings: list[str]
) -> tuple[pd.DataFrame, RecordsReport]:
    """Return (flows, report) from an enrollment.csv, following the rule in the module docstring."""
    records = read_records(path)
    ids = schools["school_id"].to_numpy(dtype=object)
    school = pd.Index(ids).get_indexer(records["school_id"])
    known = school >= 0
    outside = int((~known).sum())
    if outside:
        unknown = pd.unique(records["school_id"][~known])
        shown = ", ".join(str(s) for s in unknown[:8]) + (" ..." if len(unknown) > 8 else "")
        warnings.append(
            f"{path.name}: {outside:,} record(s) name {len(unknown)} school(s) not in the schools table; "
            f"those students count as outside the district that year: {shown}"
        )
    table = pd.DataFrame(
        {
            "student": records["student"][known],
            "year": records["year"][known],
            "school": school[known],
            "grade": records["grade"][known],
        }
    )
    years = np.unique(records["year"])
    pairs = tuple((int(y), int(y) + 1) for y in years if y + 1 in set(years.tolist()))
    if not pairs:
        raise at(
            path,
            f"no two consecutive school years (years: {', '.join(map(str, years))}); "
            "flows need records of at least two consecutive years",
            column="year",
        )
    flows, used, ignored = classify(table, schools, {y for y, _ in pairs})
    report = RecordsReport(
        records=len(records["year"]),
        year_pairs=pairs,
        students_used=used,
        ignored=ignored,
        outside_records=outside,
    )
    flows = flows.assign(students=flows["students"] / len(pairs))
    return flows, report


def classify(
    table: pd.DataFrame, schools: pd.DataFrame, first_years: set[int]
) -> tuple[pd.DataFrame, int, dict[str, int]]:
    """Sort every student's year pair into a flow or a reason; return (summed flows, used, ignored)."""
    lo = schools["grade_lo"].to_numpy(dtype=float, na_value=np.nan)
    hi = schools["grade_hi"].to_numpy(dtype=float, na_value=np.nan)
    ids = np.append(schools["school_id"].to_numpy(dtype=object), OUTSIDE)
    later = table.assign(year=table["year"] - 1)
    pairs = table[table["year"].isin(first_years)].merge(
        later, on=["student", "year"], how="left", suffixes=("", "_next"), indicator=True
    )
    stayed_in = (pairs["_merge"] == "both").to_numpy()
    s = pairs["school"].to_numpy()
    g = pairs["grade"].to_numpy()
    t = pairs["school_next"].fillna(-1).to_numpy(dtype=np.int64)
    g_next = pairs["grade_next"].fillna(-99).to_numpy(dtype=np.int64)
    top = hi[s]
    is_top = g == top
    inner_exit = np.isin(g, TRANSITION_GRADES) & (lo[s] <= g) & (g < top)
    exits = is_top | inner_exit
    up = g_next == g + 1
    takes = (hi[t] > top) | ((hi[t] == top) & (lo[t] > lo[s]))
    moved = stayed_in & (t != s)
    flow = moved & up & exits & takes
    out = ~stayed_in & is_top & (g < GRADUATION)
    ungraded = np.isnan(top) | (moved & np.isnan(hi[t]))
    reasons = {
        STAYED: stayed_in & (t == s) & up,
        REPEATED: stayed_in & (g_next <= g),
        SKIPPED: stayed_in & (g_next > g + 1),
        LATERAL: moved & up & ~flow,
        LEFT_EARLY: ~stayed_in & ~is_top,
        GRADUATED: ~stayed_in & is_top & (g >= GRADUATION),
    }
    ignored = {reason: int((mask & ~ungraded).sum()) for reason, mask in reasons.items()}
    ignored[UNGRADED] = int(ungraded.sum())
    ignored[ARRIVED] = arrivals(table, first_years)
    receiver = np.where(flow, t, len(ids) - 1)
    chosen = flow | out
    counted = pd.DataFrame({"from_id": ids[s[chosen]], "to_id": ids[receiver[chosen]]})
    flows = counted.groupby(["from_id", "to_id"], sort=True).size().rename("students").reset_index()
    return flows.astype({"students": float}), int(chosen.sum()), {r: ignored[r] for r in REASONS}


def arrivals(table: pd.DataFrame, first_years: set[int]) -> int:
    """Students enrolled in the second year of a pair who were not enrolled the year before."""
    second = table.loc[table["year"].isin({y + 1 for y in first_years}), ["student", "year"]]
    before = table.loc[table["year"].isin(first_years), ["student", "year"]].assign(
        year=lambda f: f["year"] + 1
    )
    seen = second.merge(before, on=["student", "year"], how="left", indicator=True)["_merge"]
    return int((seen == "left_only").sum())


# Reading


def read_records(path: Path) -> dict[str, np.ndarray]:
    """Read enrollment.csv into arrays: student (int codes), year, school_id (text), grade.

    Refuses blank cells, unreadable years and grades, and a student listed twice in one
    year, naming the first offending row.
    """
    table = read_arrow(path)
    names = table.column_names
    missing = [c for c in COLUMNS if c not in names]
    if missing:
        raise at(path, f"missing column(s) {', '.join(missing)}; expected {','.join(COLUMNS)}", row=1)
    columns = {name: table.column(i) for i, name in enumerate(names) if name in COLUMNS}
    cells = {name: pc.utf8_trim_whitespace(column) for name, column in columns.items()}
    for name in COLUMNS:
        empty = pc.fill_null(pc.equal(cells[name], ""), True)
        if pc.any(empty).as_py():
            raise at(path, f"{name} is empty", row=first_true(empty) + 2, column=name)
    year = parse_years(path, cells["year"])
    grade = parse_grades(path, cells["grade"])
    student, _ = pd.factorize(cells["student_id"].to_numpy(zero_copy_only=False))
    duplicated = pd.DataFrame({"student": student, "year": year}).duplicated().to_numpy()
    if duplicated.any():
        row = int(duplicated.argmax())
        raise at(
            path,
            f"student '{cells['student_id'][row].as_py()}' has a second row for {year[row]} "
            "(one row per student per school year: keep the school of the fall census)",
            row=row + 2,
            column="student_id",
        )
    return {
        "student": student.astype(np.int64),
        "year": year,
        "school_id": cells["school_id"].to_numpy(zero_copy_only=False).astype(object),
        "grade": grade,
    }


def read_arrow(path: Path) -> pa.Table:
    """The whole file as text columns with trimmed lower-case names (UTF-8 with or without BOM, else cp1252)."""
    if not path.exists():
        raise FeederError(f"{path}: file not found")
    last_error: Exception | None = None
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            with path.open(encoding=encoding, newline="") as handle:
                header = next(csv.reader(handle), [])
            names = [name.strip().lower() for name in header]
            return pacsv.read_csv(
                path,
                read_options=pacsv.ReadOptions(
                    encoding="utf8" if encoding == "utf-8-sig" else encoding, skip_rows=1, column_names=names
                ),
                convert_options=pacsv.ConvertOptions(
                    column_types=dict.fromkeys(names, pa.string()), strings_can_be_null=False
                ),
            )
        except (UnicodeDecodeError, pa.ArrowInvalid) as error:
            last_error = error
    raise at(path, f"not a readable CSV table ({str(last_error).strip()})")


def parse_years(path: Path, cells: pa.Array) -> np.ndarray:
    """School years as their first calendar year: 2023, or 2023-24 / 2023-2024 -> 2023."""
    text = cells.to_numpy(zero_copy_only=False).astype(str)
    codes, values = pd.factorize(text)
    valid = np.array([YEAR.fullmatch(value) is not None for value in values], dtype=bool)
    if not valid.all():
        row = int(np.flatnonzero(~valid[codes])[0])
        raise at(
            path, f"'{text[row]}' is not a school year (use 2023 or 2023-24)", row=row + 2, column="year"
        )
    return np.array([int(value[:4]) for value in values], dtype=np.int64)[codes]


def parse_grades(path: Path, cells: pa.Array) -> np.ndarray:
    """Grades as integers: K = 0, TK/PK = -1, 1-12 (13 for a fifth high-school year)."""
    text = pd.Series(cells.to_numpy(zero_copy_only=False).astype(str)).str.upper()
    codes, values = pd.factorize(text)
    numbers = pd.to_numeric(pd.Series(values).replace(GRADE_WORDS), errors="coerce").to_numpy()
    valid = ~np.isnan(numbers) & (numbers >= -1) & (numbers <= 13) & (numbers % 1 == 0)
    if not valid.all():
        bad = int(np.flatnonzero(~valid[codes])[0])
        raise at(
            path, f"'{text.iloc[bad]}' is not a grade (use K, PK, TK or 1-12)", row=bad + 2, column="grade"
        )
    return numbers.astype(np.int64)[codes]


def first_true(mask: pa.Array) -> int:
    return int(np.asarray(mask.to_numpy(zero_copy_only=False)).argmax())
