"""`feeder check`: every problem of a district folder at once, not only the first.

Loading a district stops at its first error (a planner fixes it and runs again); the
linter instead reads schools.csv and flows.csv cell by cell and lists every error and
every warning as `file, row N, column 'c': problem (fix)`. It reuses the loader's
primitives (the numeric contract, levels, grade words) so both agree on what is wrong.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd

from feeder.alignment.tags import parse_programs
from feeder.district import load_district
from feeder.errors import FeederError, InputError, at
from feeder.geo import haversine_km
from feeder.infer.records import ENROLLMENT
from feeder.infer.sources import ASSIGNMENTS, BOUNDARY_FILES, ROUGH_SOURCE, UNIT_FILES, inference_source
from feeder.io.flows import (
    FlowYears,
    all_leaving_note,
    declared_source,
    empty_senders_note,
    flow_years,
    idle_flows_note,
    mostly_unknown,
    origin_note,
    shares_note,
)
from feeder.io.idmatch import match_lost_zeros, scientific_note, spelling_key
from feeder.io.schools import (
    DEFAULT_GRADES,
    FAR_SITE_KM,
    FAR_SITE_SPREAD,
    GRADE_SPAN_COLUMNS,
    LEVELS,
    MOST_STUDENTS,
    NEED_LIMIT,
    NUMBER_COLUMNS,
    OUTSIDE,
    PLACEHOLDER_COORDINATES,
    PROJECTED,
    PROJECTED_HINT,
    SCHOOL_FILES,
    SOUTHERNMOST_SCHOOL,
    closed_schools,
    grade_bands,
    grade_name,
    grade_numbers,
    grade_span_cells,
    grade_span_note,
    highest_grade_note,
    level_of,
    level_word,
    missing_schools,
    readings,
    reworded_levels,
    shared_names,
    site_columns,
    split_grade_spans,
    suppressed,
    unenrolled_note,
)
from feeder.io.tables import (
    DECIMAL_COMMA,
    WHOLE_THOUSANDS,
    no_rows,
    parse_cell,
    present,
    read_text_table,
    workbook_instead,
)
from feeder.sites import lost_minus_sign, outlying_schools

ERROR, WARNING = "error", "warning"
MAX_CYCLES = 20
FEW_SHARED_SITES = 3  # rows at an earlier row's site warned one by one; more: one line for all
FEW_UNKNOWN_LEVELS = 3  # unread level words refused one by one; more: one line for all
SHOWN_ROWS = 5  # rows named per unread level word
TOP_GRADES = {level: grades[1] for level, grades in DEFAULT_GRADES.items()}
INFERENCE_FILES = (ENROLLMENT, ASSIGNMENTS, *BOUNDARY_FILES, *UNIT_FILES)
GRADE_COLUMNS = ("grade_lo", "grade_hi", *GRADE_SPAN_COLUMNS)
COHORT_RATIO = 4.0  # flows out of a school beyond 4x (or under 1/4 of) one grade's enrollment are suspect


@dataclass(frozen=True)
class Problem:
    severity: str
    file: str
    row: int | None
    column: str | None
    text: str

    def line(self) -> str:
        return str(at(self.file, self.text, row=self.row, column=self.column))


def lint_district(folder: Path) -> list[Problem]:
    """Every problem of the district folder, errors first, each in file order."""
    if not folder.is_dir():
        raise FeederError(f"{folder}: not a district folder (expected a folder holding schools.csv)")
    problems: list[Problem] = []
    schools_path = folder / "schools.csv"
    if not present(schools_path):
        other = next((folder / n for n in SCHOOL_FILES if present(folder / n)), None)
        if other is None:
            raise missing_schools(folder)
        problems.append(
            Problem(WARNING, other.name, None, None, "only CSV school tables are checked cell by cell")
        )
        problems.extend(loader_problems(folder, unchecked=(other.name, *INFERENCE_FILES)))
        return sorted(problems, key=lambda p: (p.severity != ERROR, p.file, p.row or 0))
    schools = table_or_problem(schools_path, problems)
    schools = None if schools is None else site_columns(schools)
    has_flows = present(folder / "flows.csv")  # a broken link is an error, as for every other command
    comments: list[str] = []
    flows = table_or_problem(folder / "flows.csv", problems, comments=comments) if has_flows else None
    workbook = None if has_flows else workbook_instead(folder, "flows.csv")
    if workbook is not None:
        problems.append(Problem(ERROR, str(workbook.file), None, None, workbook.detail))
    elif not has_flows:
        problems.append(inferred_flows_note(folder))
    source = declared_source(comments)
    if source is not None:
        problems.append(Problem(WARNING, "flows.csv", 1, None, origin_note(source)))
    if schools is not None:
        facts = SchoolFacts.read(schools, schools_path.name, problems)
        if flows is not None and facts is not None:
            found: list[Problem] = []
            check_flows(flows, "flows.csv", facts, found)
            problems.extend(below(found, "flows.csv", len(comments)))
        problems.extend(program_problems(schools, schools_path.name))
        problems.extend(portfolio_problems(schools, schools_path.name))
    if not any(p.severity == ERROR for p in problems):
        problems.extend(loader_problems(folder, unchecked=INFERENCE_FILES))
    return sorted(problems, key=lambda p: (p.severity != ERROR, p.file, p.row or 0))


def loader_problems(folder: Path, *, unchecked: tuple[str, ...]) -> list[Problem]:
    """What loading the district refuses or warns of in files the cell checks do not read (a spatial
    schools file, enrollment records, assignments, boundaries) or as a whole (no flow can be inferred):
    `check` must never call usable what every other command refuses."""
    warnings: list[str] = []
    try:
        warnings = load_district(folder).warnings
    except InputError as error:
        file, text = error.file or folder.name, str(error).split(": ", 1)[-1]
        return [Problem(ERROR, file, error.row, error.column, text)]
    except FeederError as error:
        return [Problem(ERROR, folder.name, None, None, str(error).split(": ", 1)[-1])]
    problems = []
    for warning in warnings:
        file, _, text = warning.partition(": ")
        if file in unchecked:
            problems.append(Problem(WARNING, file, None, None, text))
    return problems


def program_problems(table: pd.DataFrame, file: str) -> Iterator[Problem]:
    """Malformed program tags, which align, map, report and run refuse (feeder.alignment.tags)."""
    if "programs" not in table.columns or "school_id" not in table.columns:
        return
    for position, (school, cell) in enumerate(zip(table["school_id"], table["programs"], strict=True)):
        try:
            parse_programs(cell, file, position, school)
        except InputError as error:
            yield Problem(ERROR, file, error.row, error.column, str(error).split(": ", 1)[-1])


def portfolio_problems(table: pd.DataFrame, file: str) -> Iterator[Problem]:
    """Schools without a portfolio among schools with one: today's plan cannot be scored, mapped or
    reported until every school has one (a design still runs)."""
    if "portfolio" not in table.columns or "school_id" not in table.columns:
        return
    blank = table["portfolio"].str.strip() == ""
    if blank.all():
        return
    for index in np.flatnonzero(blank.to_numpy()):
        yield Problem(
            WARNING,
            file,
            int(index) + 2,
            "portfolio",
            f"school '{table['school_id'].iloc[index]}' has no portfolio while others have one: today's "
            "plan cannot be scored, mapped or reported (give it its portfolio)",
        )


def inferred_flows_note(folder: Path) -> Problem:
    """Without flows.csv every command infers the flows: say from what, as `feeder infer` would."""
    source, path = inference_source(folder)
    if source == ROUGH_SOURCE:
        text = (
            "not in the folder, and no enrollment.csv, assignments.csv or boundaries.geojson either: flows "
            "will be a rough nearest-school estimate from the sites (add one of them; see feeder infer)"
        )
    else:
        text = f"not in the folder: flows will be inferred from {path.name if path else source} (see feeder infer)"
    return Problem(WARNING, "flows.csv", None, None, text)


def table_or_problem(
    path: Path, problems: list[Problem], *, comments: list[str] | None = None
) -> pd.DataFrame | None:
    """The file's table, or None with its error listed where the loader puts it (row 1 for a title line,
    row 2 for a header without rows); `comments` collects `#` lines above the header (read_text_table)."""
    try:
        table = read_text_table(path, comments=comments)
    except FeederError as error:
        row, column = (error.row, error.column) if isinstance(error, InputError) else (None, None)
        problems.append(Problem(ERROR, path.name, row, column, str(error).split(": ", 1)[-1]))
        return None
    if table.empty:
        skipped = len(comments) if comments is not None else 0
        problems.append(Problem(ERROR, path.name, 2 + skipped, None, no_rows(path.name)))
        return None
    return table


def below(problems: list[Problem], file: str, lines: int) -> list[Problem]:
    """Problems of `file` read without `lines` comment lines above its header, at their rows in the file."""
    return [replace(p, row=p.row + lines) if p.file == file and p.row is not None else p for p in problems]


def numbers(
    table: pd.DataFrame, file: str, column: str, problems: list[Problem], *, integer: bool = False
) -> pd.Series:
    """Each cell under the numeric contract; bad cells become problems and NaN."""
    values = []
    cells = table[column]
    has_decimal_commas = any(DECIMAL_COMMA.match(c) and not WHOLE_THOUSANDS.match(c) for c in cells)
    for row, cell in enumerate(cells, start=2):
        try:
            separators = column not in ("lat", "lon") and not has_decimal_commas
            values.append(
                parse_cell(
                    cell, Path(file), row, column, integer=integer, separators=separators, example=None
                )
            )
        except FeederError as error:
            problems.append(Problem(ERROR, file, row, column, str(error).split(": ", 1)[-1]))
            values.append(np.nan)
    return pd.Series(values, index=table.index, dtype=float)


@dataclass(frozen=True)
class SchoolFacts:
    """What the flow checks need to know about the schools."""

    ids: pd.Series
    level: dict[str, str]
    grade_lo: dict[str, float]
    grade_hi: dict[str, float]
    enrollment: dict[str, float]

    @classmethod
    def read(cls, table: pd.DataFrame, file: str, problems: list[Problem]) -> SchoolFacts | None:
        missing = [c for c in ("school_id", "name", "lat", "lon") if c not in table.columns]
        for column in missing:
            problems.append(Problem(ERROR, file, 1, column, f"missing required column '{column}' (add it)"))
        if "school_id" in missing:
            return None
        ids = table["school_id"]
        problems.extend(id_problems(ids, file))
        if "lat" in table.columns and "lon" in table.columns:
            lat = numbers(table, file, "lat", problems)
            lon = numbers(table, file, "lon", problems)
            problems.extend(site_problems(table, lat, lon, file))
            problems.extend(wrong_geocodes(table, lat, lon, file))
            problems.extend(lost_sign(table, lat, lon, file))
        grade_lo, grade_hi = grade_columns(table, file, problems)
        level = level_column(table, file, grade_lo, grade_hi, problems)
        problems.extend(table_notes(table, file, grade_hi.fillna(level.map(TOP_GRADES))))
        enrollment = pd.Series(np.nan, index=table.index)
        for column in NUMBER_COLUMNS:
            if column in table.columns:
                values = optional_numbers(table, file, column, problems)
                enrollment = values if column == "enrollment" else enrollment
        missing = enrollment.isna()
        if missing.any() and not missing.all():
            problems.append(
                Problem(WARNING, file, None, "enrollment", unenrolled_note(ids[missing], len(ids)))
            )

        def keyed(series: pd.Series) -> dict:
            return dict(zip(ids, series, strict=True))

        return cls(ids, keyed(level), keyed(grade_lo), keyed(grade_hi), keyed(enrollment))


def lost_sign(table: pd.DataFrame, lat: pd.Series, lon: pd.Series, file: str) -> Iterator[Problem]:
    """Every lon positive in a US district (feeder.sites.lost_minus_sign)."""
    valid = valid_sites(lat, lon)
    note = lost_minus_sign(table[valid].assign(lon=lon[valid]))
    if note is not None:
        yield Problem(WARNING, file, None, "lon", note)


def table_notes(table: pd.DataFrame, file: str, grade_hi: pd.Series) -> Iterator[Problem]:
    """Shared names, closed schools and no high-school grades (as loading does); `grade_hi` with the
    level's default where not given."""
    names = shared_names(table) if "name" in table.columns else None
    if names is not None:
        yield Problem(WARNING, file, None, "name", names)
    closed = closed_schools(table)
    if closed is not None:
        yield Problem(WARNING, file, None, *closed)
    top = highest_grade_note(grade_hi)
    if top is not None:
        yield Problem(WARNING, file, None, "grade_hi", top)


def id_problems(ids: pd.Series, file: str) -> Iterator[Problem]:
    for row, school in enumerate(ids, start=2):
        if school == "":
            yield Problem(ERROR, file, row, "school_id", "school_id is empty (give every school an id)")
        elif school == OUTSIDE:
            yield Problem(
                ERROR, file, row, "school_id", f"'{OUTSIDE}' is reserved for flows leaving the district"
            )
    for index in np.flatnonzero(ids.duplicated().to_numpy()):
        yield Problem(
            ERROR,
            file,
            int(index) + 2,
            "school_id",
            f"duplicate school_id '{ids.iloc[index]}' (ids are unique)",
        )


def shared_sites(file: str, sites: pd.DataFrame) -> Iterator[Problem]:
    """Rows at the site of an earlier row: one warning each when a few, else one for them all at
    the first (LAUSD's 26 rows on 15 campuses filled the warnings)."""
    first_at = sites.drop_duplicates().reset_index().set_index(["lat", "lon"])["index"]
    later = sites.index[sites.duplicated()]
    earlier = [int(first_at.loc[(sites.at[index, "lat"], sites.at[index, "lon"])]) for index in later]
    fix = "a shared campus is fine; otherwise fix the coordinates"
    if len(later) <= FEW_SHARED_SITES:
        for index, first in zip(later, earlier, strict=True):
            yield Problem(WARNING, file, int(index) + 2, "lat", f"same site as row {first + 2} ({fix})")
        return
    by_site: dict[int, list[int]] = {}
    for index, first in zip(later, earlier, strict=True):
        by_site.setdefault(first, []).append(int(index) + 2)
    shown = "; ".join(
        f"{', '.join(map(str, rows))} as row {first + 2}" for first, rows in list(by_site.items())[:6]
    )
    more = f"; and {len(by_site) - 6} more sites" if len(by_site) > 6 else ""
    yield Problem(
        WARNING,
        file,
        int(later[0]) + 2,
        "lat",
        f"{len(later)} rows share the site of an earlier row, on {len(by_site)} sites ({fix}): rows {shown}{more}",
    )


def valid_sites(lat: pd.Series, lon: pd.Series) -> pd.Series:
    """Rows whose lat and lon were read and lie within the globe's ranges."""
    return lat.notna() & lon.notna() & (lat.abs() <= 90) & (lon.abs() <= 180)


def site_problems(table: pd.DataFrame, lat: pd.Series, lon: pd.Series, file: str) -> Iterator[Problem]:
    """Blank, placeholder, out-of-range and Antarctic coordinates; duplicate and far-away sites."""
    for column, values, limit in (("lat", lat, 90.0), ("lon", lon, 180.0)):
        for row, (cell, value) in enumerate(zip(table[column], values, strict=True), start=2):
            if cell == "":
                yield Problem(ERROR, file, row, column, f"{column} is empty (give the site in WGS84 degrees)")
            elif value in PLACEHOLDER_COORDINATES:
                yield Problem(ERROR, file, row, column, f"'{cell}' is a placeholder (give the real site)")
            elif abs(value) > PROJECTED:
                yield Problem(ERROR, file, row, column, PROJECTED_HINT.format(cell=cell))
            elif abs(value) > limit:
                yield Problem(
                    ERROR, file, row, column, f"'{cell}' is outside -{limit:g}..{limit:g} (swapped?)"
                )
            elif column == "lat" and value < SOUTHERNMOST_SCHOOL:
                yield Problem(
                    ERROR, file, row, column, f"'{cell}' is in Antarctica (are lat and lon swapped?)"
                )
    valid = valid_sites(lat, lon)
    for index in np.flatnonzero((valid & (lat == 0) & (lon == 0)).to_numpy()):
        yield Problem(
            ERROR,
            file,
            int(index) + 2,
            "lat",
            "0, 0 is a placeholder for a missing site (give the real site)",
        )
    yield from shared_sites(file, pd.DataFrame({"lat": lat.round(6), "lon": lon.round(6)})[valid])
    if valid.sum() >= 3:
        distance = haversine_km(lat[valid], lon[valid], lat[valid].median(), lon[valid].median())
        spread = float(np.percentile(np.sort(distance)[:-1], 75))
        limit = max(FAR_SITE_KM, FAR_SITE_SPREAD * spread)
        for index, km in zip(lat[valid].index, distance, strict=True):
            if km > limit:
                yield Problem(
                    ERROR,
                    file,
                    int(index) + 2,
                    "lat",
                    f"{km:,.0f} km from the district's other sites (lat and lon swapped or mistyped?)",
                )


def wrong_geocodes(table: pd.DataFrame, lat: pd.Series, lon: pd.Series, file: str) -> Iterator[Problem]:
    """Sites far outside their ZIP's or region's cluster, as the loader warns of them (feeder/sites.py)."""
    valid = valid_sites(lat, lon).to_numpy()
    located = table[valid].assign(lat=lat[valid], lon=lon[valid])
    for position, warning in outlying_schools(located):
        yield Problem(WARNING, file, int(located.index[position]) + 2, "lat", warning)


def optional_numbers(table: pd.DataFrame, file: str, column: str, problems: list[Problem]) -> pd.Series:
    """enrollment, capacity or need_index as the loader reads them: suppressed cells ('*', 'N/A') are
    missing, with one warning for the column."""
    hidden = suppressed(table[column])
    if hidden.any():
        problems.append(
            Problem(WARNING, file, None, column, readings(table[column][hidden], lambda _: "missing"))
        )
    table = table.assign(**{column: table[column].mask(hidden, "")})
    need = column == "need_index"
    values = numbers(table, file, column, problems, integer=not need)
    low, high = (-NEED_LIMIT, NEED_LIMIT) if need else (0, MOST_STUDENTS)
    problems.extend(range_problems(table, values, file, column, low, high))
    return values


def grade_columns(table: pd.DataFrame, file: str, problems: list[Problem]) -> tuple[pd.Series, pd.Series]:
    """grade_lo and grade_hi, and a grades column ('K-5') read for the schools without them, as the
    loader does."""
    lo, hi = (grade_column(table, file, column, problems) for column in ("grade_lo", "grade_hi"))
    spans = grade_span_cells(table)
    if spans is None:
        return lo, hi
    column, cells = spans
    span_lo, span_hi = split_grade_spans(cells)
    for row in np.flatnonzero(((cells != "") & span_lo.isna()).to_numpy()):
        problems.append(
            Problem(
                ERROR,
                file,
                int(row) + 2,
                column,
                f"'{cells.iloc[row]}' is not a grade span (write the lowest and highest grade, e.g. K-5)",
            )
        )
    read = span_lo.notna()
    if read.any():
        problems.append(
            Problem(WARNING, file, None, column, grade_span_note(cells[read], span_lo[read], span_hi[read]))
        )
    return lo.mask(read, span_lo), hi.mask(read, span_hi)


def grade_column(table: pd.DataFrame, file: str, column: str, problems: list[Problem]) -> pd.Series:
    if column not in table.columns:
        return pd.Series(np.nan, index=table.index)
    values = grade_numbers(table[column])
    for row in np.flatnonzero(((table[column] != "") & values.isna()).to_numpy()):
        cell = table[column].iloc[row]
        problems.append(
            Problem(ERROR, file, int(row) + 2, column, f"'{cell}' is not a grade (use K, PK, TK or 1-12)")
        )
    return values


def level_column(
    table: pd.DataFrame, file: str, lo: pd.Series, hi: pd.Series, problems: list[Problem]
) -> pd.Series:
    """The level of each school (given, level words read as the loader does, or derived from the
    grades); contradictions reported at the school's row."""
    written = table["level"] if "level" in table.columns else pd.Series("", index=table.index, name="level")
    reworded = reworded_levels(written)
    if reworded.any():
        problems.append(Problem(WARNING, file, None, "level", readings(written[reworded], level_word)))
    # a row whose grades are already an error has no level because of it: one error is the true one
    refused = {
        p.row for p in problems if p.severity == ERROR and p.file == file and p.column in GRADE_COLUMNS
    }
    result = []
    unknown: dict[int, str] = {}  # row: level word not read
    for row, (cell, low, high) in enumerate(zip(written, lo, hi, strict=True), start=2):
        level = level_word(cell)
        if not pd.isna(low) and not pd.isna(high) and low > high:
            problems.append(
                Problem(ERROR, file, row, "grade_lo", f"grade_lo {low:g} is above grade_hi {high:g}")
            )
        if cell != "" and level == "":
            unknown[row] = cell
            level = cell
        elif (
            level in DEFAULT_GRADES
            and not pd.isna(low)
            and not pd.isna(high)
            and level not in grade_bands(low, high)
        ):
            problems.append(
                Problem(
                    ERROR,
                    file,
                    row,
                    "level",
                    f"'{level}' but grades {grade_name(low)}-{grade_name(high)} (fix the level or the grades)",
                )
            )
        derived = level or level_of(low, high)
        if derived == "" and row not in refused:
            problems.append(Problem(ERROR, file, row, "level", "neither level nor grades given (give one)"))
        result.append(derived)
    problems.extend(unknown_levels(unknown, file))
    return pd.Series(result, index=table.index)


def unknown_levels(unknown: dict[int, str], file: str) -> Iterator[Problem]:
    """Level words not read (row: word): one error each when a few (a typo), else one for them all
    (a state's school types, such as California's 'Alternative Schools of Choice', filled 68 of LAUSD's rows)."""
    use = f"use {', '.join(LEVELS)}"
    if len(unknown) <= FEW_UNKNOWN_LEVELS:
        for row, cell in unknown.items():
            yield Problem(ERROR, file, row, "level", f"unknown level '{cell}' ({use})")
        return
    rows_of: dict[str, list[int]] = {}
    for row, cell in unknown.items():
        rows_of.setdefault(cell, []).append(row)
    shown = "; ".join(
        f"'{cell}' ({len(rows)} row{'s' if len(rows) > 1 else ''}: "
        f"{', '.join(map(str, rows[:SHOWN_ROWS]))}{' ...' if len(rows) > SHOWN_ROWS else ''})"
        for cell, rows in rows_of.items()
    )
    yield Problem(
        ERROR,
        file,
        next(iter(unknown)),
        "level",
        f"{len(unknown)} rows have a level feeder cannot read: {shown} ({use}, or give their grade_lo and "
        "grade_hi and leave level blank)",
    )


def range_problems(
    table: pd.DataFrame, values: pd.Series, file: str, column: str, low: float, high: float
) -> Iterator[Problem]:
    for row in np.flatnonzero(((values < low) | (values > high)).to_numpy()):
        cell = table[column].iloc[row]
        yield Problem(
            ERROR, file, int(row) + 2, column, f"'{cell}' is outside {low:g}..{high:g} (check the value)"
        )


def check_flows(table: pd.DataFrame, file: str, facts: SchoolFacts, problems: list[Problem]) -> None:
    """Every flow problem: columns, cells, unknown ids, self-loops, direction, cycles, silent senders."""
    missing = [c for c in ("from_id", "to_id", "students") if c not in table.columns]
    for column in missing:
        problems.append(Problem(ERROR, file, 1, column, f"missing required column '{column}' (add it)"))
    if missing:
        return
    years = years_or_problem(table, file, problems)
    students = numbers(table, file, "students", problems)
    for index in np.flatnonzero(((students < 0) | (students > MOST_STUDENTS)).to_numpy()):
        cell = table["students"].iloc[index]
        problems.append(
            Problem(
                ERROR,
                file,
                int(index) + 2,
                "students",
                f"'{cell}' students (a flow carries 0..{MOST_STUDENTS:,}; a 0 is left out)",
            )
        )
    for index in np.flatnonzero((table["students"] == "").to_numpy()):
        problems.append(
            Problem(ERROR, file, int(index) + 2, "students", "students is empty (give the count)")
        )
    idle = (students == 0).to_numpy()
    if idle.size and idle.all():
        problems.append(
            Problem(ERROR, file, 2, "students", "every flow carries 0 students (give the students who move)")
        )
    elif idle.any():
        problems.append(Problem(WARNING, file, None, "students", idle_flows_note(int(idle.sum()))))
    table, students = table[~idle], students[~idle]  # the index keeps each flow's row in the file
    if len(table) and (table["to_id"].str.upper() == OUTSIDE).all():
        problems.append(Problem(WARNING, file, None, "to_id", all_leaving_note()))
    known = set(facts.ids)
    table = respelled_ids(table, file, facts, problems)
    for index, sender, receiver in zip(table.index, table["from_id"], table["to_id"], strict=True):
        row = int(index) + 2
        for column, school in (("from_id", sender), ("to_id", receiver)):
            if school == "":
                problems.append(Problem(ERROR, file, row, column, f"{column} is empty (name a school)"))
            elif school not in known and not (column == "to_id" and school == OUTSIDE):
                problems.append(
                    Problem(WARNING, file, row, column, unknown_id(school, known, leaving=column == "to_id"))
                )
        if sender == receiver and sender != "":
            problems.append(
                Problem(ERROR, file, row, "to_id", f"flow from '{sender}' to itself (remove the row)")
            )
        elif sender in known and receiver in known and against_level_order(facts, sender, receiver):
            problems.append(
                Problem(
                    ERROR,
                    file,
                    row,
                    "to_id",
                    f"{facts.level[sender]} '{sender}' sends to {facts.level[receiver]} '{receiver}', against "
                    "the level order (fix the row, or the grades of either school)",
                )
            )
    problems.extend(unmatched_ids(table.assign(students=students), file, facts))
    problems.extend(cycles(table, file, known))
    problems.extend(silent_senders(table, facts, file, known))
    problems.extend(sender_totals(table, students / years.count, facts, file))


def sender_totals(
    table: pd.DataFrame, students: pd.Series, facts: SchoolFacts, file: str
) -> Iterator[Problem]:
    """Flows given as shares (one line, not one per school), else schools sending far more or fewer
    than a grade of their enrollment; schools of enrollment 0 that send students."""
    known = set(facts.ids)
    sent = students.groupby(table["from_id"]).sum()
    sent = sent[sent.index.isin(known)]
    enrollment = pd.Series(facts.enrollment, dtype=float)
    shares = shares_note(sent)
    if shares is not None:
        yield Problem(WARNING, file, None, "students", shares)
    else:
        yield from cohort_mismatches(table, students, facts, known)
    empty = empty_senders_note(sent, enrollment)
    if empty is not None:
        yield Problem(WARNING, file, None, "students", empty)


def years_or_problem(table: pd.DataFrame, file: str, problems: list[Problem]) -> FlowYears:
    """The school years of the flows (feeder.io.flows.flow_years): a warning when they are averaged,
    an error for a flow without its year."""
    try:
        years = flow_years(table, Path(file))
    except InputError as error:
        problems.append(Problem(ERROR, file, error.row, error.column, error.detail))
        return FlowYears("", ())
    if years.count > 1:
        problems.append(Problem(WARNING, file, None, years.column, years.note()))
    return years


def respelled_ids(
    table: pd.DataFrame, file: str, facts: SchoolFacts, problems: list[Problem]
) -> pd.DataFrame:
    """The flows with ids a spreadsheet respelled matched back as the loader does (feeder.io.idmatch),
    so that check judges the flows design will use; one warning per column says so."""
    for column, ids in (("from_id", facts.ids), ("to_id", [*facts.ids, OUTSIDE])):
        matched, _ = match_lost_zeros(table[column], ids)
        changed = matched != table[column]
        if changed.any():
            problems.append(respelled_note(table[column][changed], matched[changed], file, column))
        table = table.assign(**{column: matched})
    return table


def respelled_note(written: pd.Series, matched: pd.Series, file: str, column: str) -> Problem:
    """One warning for all the respelled ids of a column: how many, and two of them (at its row if one)."""
    pairs = list(dict(zip(written, matched, strict=True)).items())[:2]
    examples = ", ".join(f"'{id_written}' as '{id_matched}'" for id_written, id_matched in pairs)
    count = len(written)
    return Problem(
        WARNING,
        file,
        int(written.index[0]) + 2 if count == 1 else None,
        column,
        f"{count} id(s) written otherwise than in schools.csv (a spreadsheet changed their leading zeros, "
        f"'.0' or case) are read as its ids, e.g. {examples} (format the column as text)",
    )


def unmatched_ids(table: pd.DataFrame, file: str, facts: SchoolFacts) -> Iterator[Problem]:
    """No flow, or flows of too few students, naming district schools: the files use different ids,
    and design would refuse them."""
    known = set(facts.ids)
    usable = table["from_id"].isin(known) & (table["to_id"].isin(known) | (table["to_id"] == OUTSIDE))
    if len(table) and not usable.any():
        yield Problem(
            ERROR,
            file,
            2,
            "from_id",
            f"none of the {len(table)} flows names a school of schools.csv (write from_id and to_id with "
            f"its school_id{scientific_note(table['from_id'].iloc[0], facts.ids.iloc[0])})",
        )
        return
    mostly = mostly_unknown(table, ~usable, facts.ids.tolist())
    if mostly is not None:
        row, column, text = mostly
        yield Problem(ERROR, file, row, column, text)


def unknown_id(school: str, known: set[str], *, leaving: bool) -> str:
    """An unknown id, with the district ids it could be when respelled (several, or it would be matched);
    a receiver outside the district (`leaving`: a charter, a private school) takes students out of it."""
    match = [k for k in known if spelling_key(k) == spelling_key(school) and k != school]
    fate = "the flow counts as leaving the district, to OUT" if leaving else "the flow is left out"
    hint = (
        f"did you mean one of {', '.join(repr(k) for k in match)}? a spreadsheet respelled it: write it "
        "as schools.csv does"
        if match
        else f"{fate}; if it is a district school, add it or fix the id"
    )
    return f"'{school}' is not a school in schools.csv ({hint})"


def against_level_order(facts: SchoolFacts, sender: str, receiver: str) -> bool:
    low, high = facts.grade_hi[sender], facts.grade_hi[receiver]
    if pd.isna(low) or pd.isna(high):
        return False
    return bool(high < low or (high == low and not facts.grade_lo[receiver] > facts.grade_lo[sender]))


def cycles(table: pd.DataFrame, file: str, known: set[str]) -> Iterator[Problem]:
    edges = [
        (a, b) for a, b in zip(table["from_id"], table["to_id"], strict=True) if a in known and b in known
    ]
    graph = nx.DiGraph([(a, b) for a, b in edges if a != b])
    for count, cycle in enumerate(nx.simple_cycles(graph)):
        if count == MAX_CYCLES:
            break
        text = " → ".join([*cycle, cycle[0]])
        yield Problem(
            ERROR, file, None, "to_id", f"flows go round in a cycle {text} (remove one of these flows)"
        )


def silent_senders(table: pd.DataFrame, facts: SchoolFacts, file: str, known: set[str]) -> Iterator[Problem]:
    """Schools below the top grade that send nobody anywhere: a missing or mistyped row."""
    sending = set(table["from_id"])
    for row, school in enumerate(facts.ids, start=2):
        top = facts.grade_hi.get(school, np.nan)
        if school in sending or school == "" or pd.isna(top) or top >= 12:
            continue
        yield Problem(
            WARNING,
            "schools.csv",
            row,
            "school_id",
            f"'{school}' ends at grade {grade_name(top)} but sends no flow (add its flows, or check its id)",
        )


def cohort_mismatches(
    table: pd.DataFrame, students: pd.Series, facts: SchoolFacts, known: set[str]
) -> Iterator[Problem]:
    """A school whose flows out are far from one grade of its enrollment (a misread number?)."""
    sent = students.groupby(table["from_id"]).sum()
    # a cell that is already an error (unreadable, or no count a flow can carry): no second guess on its total
    unreadable = set(table["from_id"][students.isna() | ~students.between(0, MOST_STUDENTS)])
    for row, school in enumerate(facts.ids, start=2):
        enrolled, low, high = (
            facts.enrollment.get(school, np.nan),
            facts.grade_lo.get(school, np.nan),
            facts.grade_hi.get(school, np.nan),
        )
        if (
            school not in sent.index
            or school in unreadable
            or pd.isna(enrolled)
            or enrolled <= 0
            or pd.isna(low)
            or pd.isna(high)
        ):
            continue
        cohort = enrolled / max(1.0, high - low + 1)
        if not cohort / COHORT_RATIO <= sent[school] <= cohort * COHORT_RATIO:
            yield Problem(
                WARNING,
                "flows.csv",
                None,
                "students",
                f"'{school}' (schools.csv row {row}) sends {sent[school]:,.1f} students but one grade of its "
                f"enrollment is about {cohort:,.0f} (check the students or the enrollment)",
            )
