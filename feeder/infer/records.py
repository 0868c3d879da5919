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

Student-information-system extracts always hold mid-year moves and ungraded students, so
neither refuses the file: a student's first row of a school year in file order is the one
used (the others are counted and left out), and an ungraded record (`UG`) is counted and
is no flow, nor is a year pair ending in one. School ids a spreadsheet respelled (`101`
for `0101`) are matched as in flows, zones and plans (feeder.io.idmatch); records naming
a school that is still not in the schools table are treated as outside the district (a
warning counts them). Files of millions of rows are read with pyarrow into integer codes,
so ids stay text without costing a Python string per cell.
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
from feeder.io.idmatch import match_lost_zeros, respelled_warning, scientific_note
from feeder.io.schools import GRADE_WORDS, OUTSIDE
from feeder.io.tables import UTF16_BOMS

ENROLLMENT = "enrollment.csv"
COLUMNS = ("student_id", "year", "school_id", "grade")
TRANSITION_GRADES = (5, 8)  # last grades of elementary (K-5) and middle (6-8)
GRADUATION = 12
YEAR = re.compile(r"(\d{4})(?:[-/]\d{2}(?:\d{2})?)?")
UNGRADED_WORDS = frozenset({"UG", "UE", "US", "UNGRADED"})  # UE, US: CALPADS' ungraded elementary, secondary
NO_GRADE = -99  # the grade of an ungraded record: the student is enrolled that year, in no grade
SHOWN = 5  # rows (or values) an error names when many share one problem
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
UNGRADED_NEXT = "ungraded (UG) the next year"
ARRIVED = "new arrival (no record the year before)"
REASONS = (STAYED, REPEATED, SKIPPED, LATERAL, LEFT_EARLY, GRADUATED, UNGRADED, UNGRADED_NEXT, ARRIVED)

# Why a record is left out before the rule applies (counted in records, not students).
SECOND_ROW = "later row(s) of a student in a school year (mid-year moves: the year's first row is used)"
UNGRADED_ROW = "ungraded (UG) record(s)"


@dataclass(frozen=True)
class Records:
    """enrollment.csv as integer arrays, one entry per student and school year.

    student: codes; school: index into the schools table, -1 when not in it; grade: NO_GRADE
    when ungraded; rows: the file's data rows; second_rows: later rows of a student-year, left
    out; unknown_ids: the school ids not in the schools table, in file order.
    """

    student: np.ndarray
    year: np.ndarray
    school: np.ndarray
    grade: np.ndarray
    rows: int
    second_rows: int
    unknown_ids: list[str]


@dataclass(frozen=True)
class RecordsReport:
    """What the records gave: how many were read, which year pairs, students used and ignored."""

    records: int
    year_pairs: tuple[tuple[int, int], ...]
    students_used: int
    ignored: dict[str, int]
    outside_records: int
    ignored_records: dict[str, int]

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
        lines += [f"ignored: {count:,} {reason}" for reason, count in self.ignored_records.items() if count]
        return [*lines, NOT_FOR_PUBLICATION]


def flows_from_records(
    path: Path, schools: pd.DataFrame, warnings: list[str]
) -> tuple[pd.DataFrame, RecordsReport]:
    """Return (flows, report) from an enrollment.csv, following the rule in the module docstring."""
    school_ids = schools["school_id"].astype(str).tolist()
    records = read_records(path, school_ids, warnings)
    known = records.school >= 0
    if not known.any():
        raise at(
            path,
            f"no school id of the records matches a school of schools.csv ('{records.unknown_ids[0]}' here, "
            f"'{school_ids[0]}' there): write school_id as schools.csv does"
            + scientific_note(records.unknown_ids[0], school_ids[0]),
            row=2,
            column="school_id",
        )
    outside = int((~known).sum())
    if outside:
        unknown = records.unknown_ids
        shown = ", ".join(unknown[:8]) + (" ..." if len(unknown) > 8 else "")
        warnings.append(
            f"{path.name}: {outside:,} record(s) name {len(unknown)} school(s) not in the schools table; "
            f"those students count as outside the district that year: {shown}"
        )
    years = np.unique(records.year)
    pairs = tuple((int(y), int(y) + 1) for y in years if y + 1 in set(years.tolist()))
    if not pairs:
        raise at(
            path,
            f"no two consecutive school years (years: {', '.join(map(str, years))}); "
            "flows need records of at least two consecutive years",
            column="year",
        )
    table = {name: getattr(records, name)[known] for name in ("student", "year", "school", "grade")}
    flows, used, ignored = classify(table, schools, np.array([y for y, _ in pairs]))
    report = RecordsReport(
        records=records.rows,
        year_pairs=pairs,
        students_used=used,
        ignored=ignored,
        outside_records=outside,
        ignored_records={
            SECOND_ROW: records.second_rows,
            UNGRADED_ROW: int((table["grade"] == NO_GRADE).sum()),
        },
    )
    return flows.assign(students=flows["students"] / len(pairs)), report


def classify(
    table: dict[str, np.ndarray], schools: pd.DataFrame, first_years: np.ndarray
) -> tuple[pd.DataFrame, int, dict[str, int]]:
    """Sort every student's year pair into a flow or a reason; return (summed flows, used, ignored).

    Records are sorted by student and year, so a student's next year is the next row. Ungraded
    records send no one and, as a student's next year, make the pair UNGRADED_NEXT.
    """
    order = np.lexsort((table["year"], table["student"]))
    student, year, school, grade = (table[name][order] for name in ("student", "year", "school", "grade"))
    follows = np.append((student[1:] == student[:-1]) & (year[1:] == year[:-1] + 1), False)
    lo = schools["grade_lo"].to_numpy(dtype=float, na_value=np.nan)
    hi = schools["grade_hi"].to_numpy(dtype=float, na_value=np.nan)
    ids = np.append(schools["school_id"].to_numpy(dtype=object), OUTSIDE)
    graded = grade != NO_GRADE
    sender = np.isin(year, first_years) & graded
    arrived = np.isin(year, first_years + 1) & graded & ~np.insert(follows[:-1], 0, False)
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
    ungraded_next = stayed_in & (g_next == NO_GRADE) & ~ungraded
    reasons = {
        STAYED: up & (t == s),
        REPEATED: stayed_in & (g_next <= g),
        SKIPPED: stayed_in & (g_next > g + 1),
        LATERAL: moved & up & ~flow,
        LEFT_EARLY: ~stayed_in & ~is_top,
        GRADUATED: ~stayed_in & is_top & (g >= GRADUATION),
    }
    ignored = {reason: int((mask & ~ungraded & ~ungraded_next).sum()) for reason, mask in reasons.items()}
    ignored[UNGRADED] = int(ungraded.sum())
    ignored[UNGRADED_NEXT] = int(ungraded_next.sum())
    ignored[ARRIVED] = int(arrived.sum())
    chosen = flow | out
    receiver = np.where(flow, t, len(ids) - 1)
    counted = pd.DataFrame({"from_id": ids[s[chosen]], "to_id": ids[receiver[chosen]]})
    flows = counted.groupby(["from_id", "to_id"], sort=True).size().rename("students").reset_index()
    return flows.astype({"students": float}), int(chosen.sum()), {r: ignored[r] for r in REASONS}


# Reading


def read_records(path: Path, school_ids: list[str], warnings: list[str]) -> Records:
    """Read enrollment.csv into Records: each student's first row of each school year in file order
    (a mid-year move adds later ones), school ids a spreadsheet respelled matched with a warning.

    Refuses blank cells and unreadable years and grades, counting every offending row.
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
        empty = np.asarray(pc.equal(cells[name], "").to_numpy(zero_copy_only=False), dtype=bool)
        if empty.any():
            raise at(path, f"{name} is empty{rows_note(empty)}", row=int(empty.argmax()) + 2, column=name)
    year = parse_codes(path, cells["year"], "year", school_year)
    grade = parse_codes(path, cells["grade"], "grade", grade_number)
    student = pc.dictionary_encode(cells["student_id"]).indices.to_numpy().astype(np.int64)
    first = first_rows(student, year)
    school, written = school_positions(path, cells["school_id"], school_ids, warnings)
    unknown = np.unique(written.indices.to_numpy()[first & (school < 0)])  # codes follow file order
    return Records(
        student=student[first],
        year=year[first],
        school=school[first],
        grade=grade[first],
        rows=len(year),
        second_rows=int((~first).sum()),
        unknown_ids=[str(written.dictionary[int(code)]) for code in unknown],
    )


def first_rows(student: np.ndarray, year: np.ndarray) -> np.ndarray:
    """Whether each row is its student's first of that school year in the file: the one used."""
    key = student * (int(year.max() - year.min()) + 1) + (year - year.min())
    first = np.zeros(len(key), dtype=bool)
    first[np.unique(key, return_index=True)[1]] = True
    return first


def school_positions(
    path: Path, cells: pa.Array, school_ids: list[str], warnings: list[str]
) -> tuple[np.ndarray, pa.DictionaryArray]:
    """Each row's school as an index into school_ids (-1 when not a district school), and the
    column dictionary-encoded. Ids a spreadsheet respelled ('101' for '0101') are matched as in
    flows, zones and plans, with the same warning: student records go through Excel most often."""
    written = pc.dictionary_encode(cells)
    distinct = pd.Series(written.dictionary.to_pylist(), dtype=object)
    matched, count = match_lost_zeros(distinct, school_ids)
    if count:
        changed = (matched != distinct).to_numpy()
        examples = ", ".join(
            f"'{a}' as '{b}'" for a, b in zip(distinct[changed][:2], matched[changed][:2], strict=True)
        )
        warnings.append(f"{respelled_warning(path.name, count)}, e.g. {examples}")
    position = pd.Index(school_ids).get_indexer(matched)
    return position[written.indices.to_numpy()].astype(np.int64), written


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
    """Parse a column of few distinct values once per value; refuse unparseable cells, all counted."""
    encoded = pc.dictionary_encode(cells)
    codes = encoded.indices.to_numpy()
    values = [parse(text) for text in encoded.dictionary.to_pylist()]
    bad = [i for i, value in enumerate(values) if value is None]
    if bad:
        rows = np.isin(codes, bad)
        row = int(rows.argmax())
        hint = "2023 or 2023-24" if column == "year" else "K, PK, TK, UG (ungraded) or 1-12"
        first = cells[row].as_py()
        others = [repr(text) for text in (encoded.dictionary[i].as_py() for i in bad) if text != first]
        also = f"; also {', '.join(others[:SHOWN])}{', ...' * (len(others) > SHOWN)}" if others else ""
        raise at(
            path,
            f"'{first}' is not a {'school year' if column == 'year' else 'grade'} (use {hint}){also}"
            + rows_note(rows),
            row=row + 2,
            column=column,
        )
    return np.array(values, dtype=np.int64)[codes]


def rows_note(bad: np.ndarray) -> str:
    """'' for one bad row; else how many rows share the problem and the first of them, so that the
    one line a refusal prints accounts for every bad row (feeder check lists only that line)."""
    rows = np.flatnonzero(bad) + 2
    if len(rows) < 2:
        return ""
    shown = ", ".join(map(str, rows[:SHOWN])) + (", ..." if len(rows) > SHOWN else "")
    return f" ({len(rows):,} rows: {shown})"


def school_year(text: str) -> int | None:
    """A school year as its first calendar year: 2023, or 2023-24 / 2023-2024 -> 2023."""
    return int(text[:4]) if YEAR.fullmatch(text) else None


def grade_number(text: str) -> int | None:
    """A grade as an integer: K = 0, TK/PK = -1, 1-12 (13 for a fifth high-school year), NO_GRADE
    for an ungraded student (`UG`), whom every extract has and who must not refuse the file."""
    if text.upper() in UNGRADED_WORDS:
        return NO_GRADE
    word = GRADE_WORDS.get(text.upper())
    if word is not None:
        return word
    number = int(text) if text.lstrip("-").isdigit() else None
    return number if number is not None and -1 <= number <= 13 else None
