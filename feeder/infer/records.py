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
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from feeder.errors import FeederError, at
from feeder.io.schools import GRADE_WORDS, OUTSIDE
from feeder.io.tables import UTF16_BOMS

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
    records = read_records(path, schools["school_id"].to_numpy(dtype=object))
    known = records["school"] >= 0
    outside = int((~known).sum())
    if outside:
        unknown = records["unknown_ids"]
        shown = ", ".join(unknown[:8]) + (" ..." if len(unknown) > 8 else "")
        warnings.append(
            f"{path.name}: {outside:,} record(s) name {len(unknown)} school(s) not in the schools table; "
            f"those students count as outside the district that year: {shown}"
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
    table = {name: records[name][known] for name in ("student", "year", "school", "grade")}
    flows, used, ignored = classify(table, schools, np.array([y for y, _ in pairs]))
    report = RecordsReport(
        records=len(records["year"]),
        year_pairs=pairs,
        students_used=used,
        ignored=ignored,
        outside_records=outside,
    )
    return flows.assign(students=flows["students"] / len(pairs)), report


def classify(
    table: dict[str, np.ndarray], schools: pd.DataFrame, first_years: np.ndarray
) -> tuple[pd.DataFrame, int, dict[str, int]]:
    """Sort every student's year pair into a flow or a reason; return (summed flows, used, ignored).

    Records are sorted by student and year, so a student's next year is the next row.
    """
    order = np.lexsort((table["year"], table["student"]))
    student, year, school, grade = (table[name][order] for name in ("student", "year", "school", "grade"))
    follows = np.append((student[1:] == student[:-1]) & (year[1:] == year[:-1] + 1), False)
    lo = schools["grade_lo"].to_numpy(dtype=float, na_value=np.nan)
    hi = schools["grade_hi"].to_numpy(dtype=float, na_value=np.nan)
    ids = np.append(schools["school_id"].to_numpy(dtype=object), OUTSIDE)
    sender = np.isin(year, first_years)
    arrived = np.isin(year, first_years + 1) & ~np.insert(follows[:-1], 0, False)
    stayed_in = follows[sender]
    s, g = school[sender], grade[sender]
    t = np.roll(school, -1)[sender]
    g_next = np.roll(grade, -1)[sender]
    top = hi[s]
    is_top = g == top
    inner_exit = np.isin(g, TRANSITION_GRADES) & (lo[s] <= g) & (g < top)
    up = stayed_in & (g_next == g + 1)
    takes = (hi[t] > top) | ((hi[t] == top) & (lo[t] > lo[s]))
    moved = stayed_in & (t != s)
    flow = moved & up & (is_top | inner_exit) & takes
    out = ~stayed_in & is_top & (g < GRADUATION)
    ungraded = np.isnan(top) | (moved & np.isnan(hi[t]))
    reasons = {
        STAYED: up & (t == s),
        REPEATED: stayed_in & (g_next <= g),
        SKIPPED: stayed_in & (g_next > g + 1),
        LATERAL: moved & up & ~flow,
        LEFT_EARLY: ~stayed_in & ~is_top,
        GRADUATED: ~stayed_in & is_top & (g >= GRADUATION),
    }
    ignored = {reason: int((mask & ~ungraded).sum()) for reason, mask in reasons.items()}
    ignored[UNGRADED] = int(ungraded.sum())
    ignored[ARRIVED] = int(arrived.sum())
    chosen = flow | out
    receiver = np.where(flow, t, len(ids) - 1)
    counted = pd.DataFrame({"from_id": ids[s[chosen]], "to_id": ids[receiver[chosen]]})
    flows = counted.groupby(["from_id", "to_id"], sort=True).size().rename("students").reset_index()
    return flows.astype({"students": float}), int(chosen.sum()), {r: ignored[r] for r in REASONS}


# Reading


def read_records(path: Path, school_ids: np.ndarray) -> dict[str, np.ndarray]:
    """Read enrollment.csv into integer arrays: student (codes), year, school (index into
    school_ids, -1 when unknown), grade; and unknown_ids, the unknown school ids.

    Refuses blank cells, unreadable years and grades, and a student listed twice in one
    year, naming the first offending row.
    """
    table = read_arrow(path)
    names = table.column_names
    missing = [c for c in COLUMNS if c not in names]
    if missing:
        raise at(path, f"missing column(s) {', '.join(missing)}; expected {','.join(COLUMNS)}", row=1)
    if table.num_rows == 0:
        raise at(path, "the file has a header but no data rows", row=2)
    cells = {name: pc.utf8_trim_whitespace(table.column(name).combine_chunks()) for name in COLUMNS}
    for name in COLUMNS:
        empty = pc.equal(cells[name], "")
        if pc.any(empty).as_py():
            raise at(path, f"{name} is empty", row=first_true(empty) + 2, column=name)
    year = parse_codes(path, cells["year"], "year", school_year)
    grade = parse_codes(path, cells["grade"], "grade", grade_number)
    student = pc.dictionary_encode(cells["student_id"]).indices.to_numpy().astype(np.int64)
    key = student * 4096 + (year - year.min())
    _, first_seen, counts = np.unique(key, return_index=True, return_counts=True)
    if (counts > 1).any():
        again = np.setdiff1d(np.flatnonzero(np.isin(key, np.unique(key)[counts > 1])), first_seen)
        row = int(again.min())
        raise at(
            path,
            f"student '{cells['student_id'][row].as_py()}' has a second row for {year[row]} "
            "(one row per student per school year: keep the school of the fall census)",
            row=row + 2,
            column="student_id",
        )
    school = pc.index_in(cells["school_id"], value_set=pa.array(school_ids.astype(str)))
    unknown = pc.unique(pc.filter(cells["school_id"], pc.is_null(school)))
    return {
        "student": student,
        "year": year,
        "school": pc.fill_null(school, -1).to_numpy().astype(np.int64),
        "grade": grade,
        "unknown_ids": np.array(unknown.to_pylist(), dtype=object),
    }


def read_arrow(path: Path) -> pa.Table:
    """The whole file as text columns with trimmed lower-case names (UTF-8 with or without BOM, else cp1252)."""
    if not path.exists():
        raise FeederError(f"{path}: file not found")
    last_error: Exception | None = None
    with path.open("rb") as handle:
        utf16 = handle.read(2) in UTF16_BOMS
    for encoding in ("utf-16",) if utf16 else ("utf-8-sig", "cp1252"):
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


def parse_codes(path: Path, cells: pa.Array, column: str, parse: Callable[[str], int | None]) -> np.ndarray:
    """Parse a column of few distinct values once per value; refuse the first unparseable cell."""
    encoded = pc.dictionary_encode(cells)
    codes = encoded.indices.to_numpy()
    values = [parse(text) for text in encoded.dictionary.to_pylist()]
    bad = [i for i, value in enumerate(values) if value is None]
    if bad:
        row = int(np.flatnonzero(np.isin(codes, bad))[0])
        hint = "2023 or 2023-24" if column == "year" else "K, PK, TK or 1-12"
        raise at(
            path,
            f"'{cells[row].as_py()}' is not a {'school year' if column == 'year' else 'grade'} (use {hint})",
            row=row + 2,
            column=column,
        )
    return np.array(values, dtype=np.int64)[codes]


def school_year(text: str) -> int | None:
    """A school year as its first calendar year: 2023, or 2023-24 / 2023-2024 -> 2023."""
    return int(text[:4]) if YEAR.fullmatch(text) else None


def grade_number(text: str) -> int | None:
    """A grade as an integer: K = 0, TK/PK = -1, 1-12 (13 for a fifth high-school year)."""
    word = GRADE_WORDS.get(text.upper())
    if word is not None:
        return word
    number = int(text) if text.lstrip("-").isdigit() else None
    return number if number is not None and -1 <= number <= 13 else None


def first_true(mask: pa.Array) -> int:
    return int(np.asarray(mask.to_numpy(zero_copy_only=False)).argmax())
