"""Reading schools.csv (or a point file): one validated row per school.

Accepts what real exports look like (BOM or cp1252 CSVs, stray spaces, point files in
any CRS) and refuses bad data with one line naming file, row and column.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from feeder.errors import FeederError, at, first_bad_row
from feeder.geo import haversine_km
from feeder.io.idmatch import scientific_note
from feeder.io.tables import (
    clean_cells,
    parse_numbers,
    read_spatial_file,
    read_text_table,
    refuse_bad_headers,
    require_columns,
    workbook_instead,
)

LEVELS = ("elementary", "middle", "high", "span")
DEFAULT_GRADES = {"elementary": (0, 5), "middle": (6, 8), "high": (9, 12)}
GRADE_WORDS = {"K": 0, "KG": 0, "TK": -1, "PK": -1, "P": -1, "PREK": -1}
LEVEL_WORDS = {  # how published school lists name the levels, compared without case or spaces
    "elementary": ("elementary school", "elem", "es", "primary"),
    "middle": ("middle school", "ms", "junior high", "jhs", "intermediate", "intermediate/middle"),
    "high": ("high school", "hs", "senior high", "shs", "continuation high"),
    "span": ("k-8", "k-12", "6-12", "combined"),
}
# California's soc_type words: 'Elementary Schools (Public)', 'Elementary Schools in 1 School Dist. (Public)'
PLURAL_SUFFIX = re.compile(r"(schools?)?(in1schooldist\.?)?(\(public\))?$")
GRADE_SPAN_COLUMNS = ("grades", "grade_span", "grade_range", "grades_offered")
GRADE_SPAN = re.compile(
    r"^(?P<lo>[a-z0-9]+)\s*(?:[-\u2013\u2014]|\sto\s)\s*(?P<hi>[a-z0-9]+)$", re.IGNORECASE
)
SUPPRESSED = ("*", "**", "n/a", "na", "-", "--", "<10", "<11", "ds", "suppressed", "masked")
OUTSIDE = "OUT"
SCHOOL_FILES = ("schools.csv", "schools.geojson", "schools.gpkg", "schools.shp")
TEXT_COLUMNS = ("region", "portfolio", "programs", "principal")
NUMBER_COLUMNS = ("enrollment", "capacity", "need_index")
FAR_SITE_KM = 300.0
FAR_SITE_SPREAD = 4.0
MOST_STUDENTS = 100_000  # more than any one school enrolls or any one flow carries
NEED_LIMIT = 1e6
PLACEHOLDER_COORDINATES = (-999.0, -9999.0, 999.0, 9999.0, -99.0)
SOUTHERNMOST_SCHOOL = -60.0  # no school lies further south (Antarctica)
SHOWN_IDS = 8  # unnamed schools listed by id in the warning
STATUS_COLUMNS = ("status", "school_status", "statustype", "status_type", "sy_status_text")
CLOSED_STATUSES = ("closed", "inactive", "merged")  # first word of the status, without case
HIGH_SCHOOL_GRADE = 10  # the grade metrics.K12_GRADES asks of a portfolio's high school
SITE_COLUMNS = {"latitude": "lat", "longitude": "lon", "long": "lon", "lng": "lon"}  # GIS exports

PROJECTED = 1000.0  # no degree is this large: metres or feet of a projected CRS (state plane, UTM)
PROJECTED_HINT = (
    "'{cell}' looks like a projected coordinate (metres or feet), not degrees: give WGS84 lat/lon, "
    "or the sites as schools.geojson in their CRS"
)


def read_schools(path: Path, *, warnings: list[str]) -> gpd.GeoDataFrame:
    """Read schools.csv or a point file and return the validated schools table.

    What was read other than as written (level words, a grades column, suppressed numbers) is
    added to `warnings`, one line each, so that the planner can check the reading.
    """
    table = site_columns(read_point_file(path) if path.suffix != ".csv" else read_text_table(path))
    require_columns(table, path, ("school_id", "name", "lat", "lon"))
    ids = table["school_id"]
    for bad, message in (
        (ids == "", "school_id is empty"),
        (ids.duplicated(), "duplicate school_id '{cell}'" + scientific_note(*ids[ids.duplicated()])),
        (ids == OUTSIDE, f"'{OUTSIDE}' is reserved for flows leaving the district"),
    ):
        raise_first(path, bad, column="school_id", message=message, cells=ids)
    schools = pd.DataFrame({"school_id": ids, "name": table["name"]})
    schools["lat"] = coordinate(table, path, "lat", 90.0)
    schools["lon"] = coordinate(table, path, "lon", 180.0)
    refuse_null_island(schools, path)
    check_far_sites(schools, path)
    grade_lo, grade_hi = grades(table, path, warnings)
    schools["level"] = levels(table, path, grade_lo, grade_hi, warnings)
    for column, given, end in (("grade_lo", grade_lo, 0), ("grade_hi", grade_hi, 1)):
        default = schools["level"].map({level: span[end] for level, span in DEFAULT_GRADES.items()})
        schools[column] = given.fillna(default.astype(float)).astype("Int64")
    for column in NUMBER_COLUMNS:
        schools[column] = (
            optional_numbers(table, path, column, warnings) if column in table.columns else np.nan
        )
    for column in TEXT_COLUMNS:
        schools[column] = table[column] if column in table.columns else ""
    known = set(schools.columns) | {"geometry", "grade_lo", "grade_hi", "level"}
    for column in table.columns:
        if column not in known:
            schools[column] = table[column]
    geometry = gpd.points_from_xy(schools["lon"], schools["lat"], crs="EPSG:4326")
    return gpd.GeoDataFrame(schools.reset_index(drop=True), geometry=geometry, crs="EPSG:4326")


def site_columns(table: pd.DataFrame) -> pd.DataFrame:
    """`latitude` / `longitude` (or `lng`) read as lat / lon where the file has no lat / lon column."""
    renames = {
        column: short
        for column, short in SITE_COLUMNS.items()
        if column in table.columns and short not in table.columns
    }
    if len(set(renames.values())) < len(renames):  # `long` and `longitude` both: let the planner choose
        return table
    return table.rename(columns=renames)


def missing_schools(folder: Path) -> FeederError:
    """The error for a folder without a school table (naming a schools.xlsx kept there instead)."""
    workbook = workbook_instead(folder, "schools.csv")
    if workbook is not None:
        return workbook
    return FeederError(f"{folder}: no schools.csv (or schools.geojson/.gpkg/.shp) in this folder")


def name_unnamed(schools: pd.DataFrame) -> list[str]:
    """Show schools with an empty name by their school_id (published lists have such gaps, and a
    blank row in every table and map helps no one), with one warning naming them."""
    blank = schools["name"].astype(str).str.strip() == ""
    if not blank.any():
        return []
    ids = schools.loc[blank, "school_id"].tolist()
    schools.loc[blank, "name"] = schools.loc[blank, "school_id"]
    return [
        f"{len(ids)} {'school has' if len(ids) == 1 else 'schools have'} an empty name ({shown(ids)}); "
        "shown by school_id until the name column is filled"
    ]


def unenrolled(schools: pd.DataFrame, file: str) -> list[str]:
    """Schools without enrollment among schools with one count 0 students in every portfolio total,
    the enrollment balance and --max-enrollment: one warning naming them, so no total is silently short."""
    missing = schools["enrollment"].isna()
    if not missing.any() or missing.all():
        return []
    return [f"{file}: {unenrolled_note(schools.loc[missing, 'school_id'], len(schools))}"]


def unenrolled_note(ids: pd.Series, schools: int) -> str:
    """`30 of 90 schools have no enrollment (MSE, ...)`: what their blank cells do to the totals."""
    return (
        f"{len(ids)} of {schools} schools have no enrollment ({shown(ids.tolist())}); their students count as 0 in "
        "portfolio totals, enrollment balance and --max-enrollment (give their enrollment)"
    )


def read_point_file(path: Path) -> pd.DataFrame:
    """Read a point GeoJSON / GeoPackage / shapefile into the same text table as a CSV."""
    frame = read_spatial_file(path)
    frame = frame.to_crs("EPSG:4326")
    bad = ~frame.geometry.geom_type.isin(["Point"]) | frame.geometry.is_empty
    raise_first(path, bad, column="geometry", message="school sites must be points")
    table = pd.DataFrame(frame.drop(columns="geometry"))
    table.columns = [str(c).strip().lower() for c in table.columns]
    refuse_bad_headers(path, list(table.columns))
    table = table.astype(object).where(table.notna(), "").astype(str)
    table["lon"] = frame.geometry.x.map(repr).to_numpy()
    table["lat"] = frame.geometry.y.map(repr).to_numpy()
    return clean_cells(table)


def coordinate(table: pd.DataFrame, path: Path, column: str, limit: float) -> pd.Series:
    """Parse lat or lon, refusing blanks, placeholders, values outside ±limit and sites in Antarctica."""
    values = parse_numbers(table, path, column, thousands=False)
    cells = table[column]
    for bad, message in (
        (values.isna(), f"{column} is empty; give the school's site in WGS84 degrees"),
        (
            values.isin(PLACEHOLDER_COORDINATES),
            "'{cell}' is a placeholder for a missing coordinate; give the school's real site",
        ),
        (values.abs() > PROJECTED, PROJECTED_HINT),
        (
            values.abs() > limit,
            f"'{{cell}}' is outside -{limit:g}..{limit:g}"
            + ("; are lat and lon swapped?" if column == "lat" else "; check the value"),
        ),
        (
            (values < SOUTHERNMOST_SCHOOL) if column == "lat" else values != values,
            "'{cell}' puts the school in Antarctica; are lat and lon swapped?",
        ),
    ):
        raise_first(path, bad, column=column, message=message, cells=cells)
    return values


def refuse_null_island(schools: pd.DataFrame, path: Path) -> None:
    """lat 0, lon 0 is what a geocoder writes when it found nothing."""
    raise_first(
        path,
        (schools["lat"] == 0) & (schools["lon"] == 0),
        column="lat",
        message="0, 0 is a placeholder for a missing site (in the Gulf of Guinea); give the school's real site",
    )


def check_far_sites(schools: pd.DataFrame, path: Path) -> None:
    """Refuse a site hundreds of km from the district's median site (swapped or mistyped coordinates).

    The limit is 300 km, or four times the spread of the other sites (75th
    percentile distance) for districts that really are that large (a statewide district).
    """
    if len(schools) < 3:
        return
    distance = haversine_km(schools["lat"], schools["lon"], schools["lat"].median(), schools["lon"].median())
    spread_of_others = float(np.percentile(np.sort(distance)[:-1], 75))
    far = distance > max(FAR_SITE_KM, FAR_SITE_SPREAD * spread_of_others)
    if far.any():
        row = int(np.argmax(distance))
        raise at(
            path,
            f"school '{schools['school_id'].iloc[row]}' is {distance[row]:,.0f} km from the district's median site "
            "(are lat and lon swapped or mistyped?)",
            row=row + 2,
            column="lat",
        )


def optional_numbers(table: pd.DataFrame, path: Path, column: str, warnings: list[str]) -> pd.Series:
    """enrollment, capacity or need_index; cells a publisher suppressed ('*', 'N/A', '<10') are missing,
    as an empty cell is, with one warning: they hide a small or unknown value, not a wrong one."""
    hidden = suppressed(table[column])
    if hidden.any():
        warnings.append(f"{path.name}: {column} {readings(table[column][hidden], lambda _: 'missing')}")
        table = table.assign(**{column: table[column].mask(hidden, "")})
    if column == "need_index":
        return parse_numbers(table, path, column, minimum=-NEED_LIMIT, maximum=NEED_LIMIT)
    return parse_numbers(table, path, column, minimum=0, maximum=MOST_STUDENTS, integer=True)


def suppressed(cells: pd.Series) -> pd.Series:
    """Cells that say a number was suppressed or is not available (`*`, `N/A`, `<10`, `DS`, ...)."""
    return cells.str.casefold().isin(SUPPRESSED)


def readings(cells: pd.Series, reading: Callable[[str], str]) -> str:
    """`'ES' read as elementary (57 schools); 'MS' read as middle (17 schools)`: each distinct cell
    read otherwise than written, in file order, with how many schools wrote it."""
    counts = cells.value_counts(sort=False)
    return "; ".join(
        f"'{cell}' read as {reading(cell)} ({count} school{'s' if count > 1 else ''})"
        for cell, count in counts.items()
    )


def grades(table: pd.DataFrame, path: Path, warnings: list[str]) -> tuple[pd.Series, pd.Series]:
    """Parse grade_lo / grade_hi (K = 0, TK/PK = -1), and a grades column ('K-5') for the schools
    that have neither; missing columns give all-NA."""
    parsed = []
    for column in ("grade_lo", "grade_hi"):
        if column not in table.columns:
            parsed.append(pd.Series(np.nan, index=table.index))
            continue
        values = grade_numbers(table[column])
        raise_first(
            path,
            (table[column] != "") & values.isna(),
            column=column,
            message="'{cell}' is not a grade (use K, PK, TK or 1-12)",
            cells=table[column],
        )
        parsed.append(values)
    lo, hi = parsed
    if {"grade_lo", "grade_hi"} <= set(table.columns):
        raise_first(
            path,
            (lo > hi).fillna(False),
            column="grade_lo",
            message="{cell}; swap them",
            cells="grade_lo " + table["grade_lo"] + " is above grade_hi " + table["grade_hi"],
        )
    spans = grade_span_cells(table)
    if spans is None:
        return lo, hi
    column, cells = spans
    span_lo, span_hi = split_grade_spans(cells)
    raise_first(
        path,
        (cells != "") & span_lo.isna(),
        column=column,
        message="'{cell}' is not a grade span (write the lowest and highest grade, e.g. K-5, PK-8 or 9-12)",
        cells=cells,
    )
    given = cells != ""
    if given.any():
        warnings.append(
            f"{path.name}: column '{column}' {grade_span_note(cells[given], span_lo[given], span_hi[given])}"
        )
    return lo.mask(given, span_lo), hi.mask(given, span_hi)


def grade_numbers(cells: pd.Series) -> pd.Series:
    """Grades as numbers (K = 0, TK/PK = -1, `05` = 5); NaN where a cell is empty or no grade."""
    values = pd.to_numeric(cells.str.upper().replace(GRADE_WORDS).where(cells != ""), errors="coerce")
    return values.where((values >= -1) & (values <= 13) & (values % 1 == 0))


def grade_span_cells(table: pd.DataFrame) -> tuple[str, pd.Series] | None:
    """The column that gives grades as one span ('K-5') and its cells for the schools it gives grades
    to: those whose grade_lo and grade_hi are blank or absent ("" for the others); None without one."""
    column = next((column for column in GRADE_SPAN_COLUMNS if column in table.columns), None)
    if column is None:
        return None
    graded = pd.Series(False, index=table.index)
    for own in ("grade_lo", "grade_hi"):
        if own in table.columns:
            graded |= table[own] != ""
    return column, table[column].mask(graded, "")


def split_grade_spans(cells: pd.Series) -> tuple[pd.Series, pd.Series]:
    """'K-5', 'TK-8' (or an en dash), 'KG-05', 'K to 5' as lowest and highest grade, and a single
    grade ('K', '12', 'TK': state directories list one-grade schools so) as a span of one; NaN if no span."""
    parts = cells.str.extract(GRADE_SPAN).fillna("")
    single = grade_numbers(cells)
    lo, hi = grade_numbers(parts["lo"]).fillna(single), grade_numbers(parts["hi"]).fillna(single)
    unreadable = lo.isna() | hi.isna() | (lo > hi)
    return lo.mask(unreadable), hi.mask(unreadable)


def grade_span_note(cells: pd.Series, lo: pd.Series, hi: pd.Series) -> str:
    """`read as grade_lo and grade_hi for 90 schools (e.g. 'K-5' as K to 5)`."""
    return (
        f"read as grade_lo and grade_hi for {len(cells)} school{'s' if len(cells) > 1 else ''} "
        f"(e.g. '{cells.iloc[0]}' as {grade_name(lo.iloc[0])} to {grade_name(hi.iloc[0])})"
    )


def levels(
    table: pd.DataFrame, path: Path, grade_lo: pd.Series, grade_hi: pd.Series, warnings: list[str]
) -> pd.Series:
    """Use the level column where given (level words read as levels), else derive it from the grades."""
    written = table["level"] if "level" in table.columns else pd.Series("", index=table.index, name="level")
    given = written.map(level_word)
    raise_first(
        path,
        (written != "") & (given == ""),
        column="level",
        message=f"unknown level '{{cell}}' (use {', '.join(LEVELS)})",
        cells=written,
    )
    reworded = reworded_levels(written)
    if reworded.any():
        warnings.append(f"{path.name}: level {readings(written[reworded], level_word)}")
    derived = pd.Series(
        [level_of(lo, hi) for lo, hi in zip(grade_lo, grade_hi, strict=True)], index=table.index
    )
    refuse_contradicting_levels(table, path, given, grade_lo, grade_hi)
    result = given.where(given != "", derived)
    raise_first(path, result == "", column="level", message="neither level nor grade_lo/grade_hi is given")
    return result


def refuse_contradicting_levels(
    table: pd.DataFrame, path: Path, given: pd.Series, grade_lo: pd.Series, grade_hi: pd.Series
) -> None:
    """A level whose grade band the school's grades do not touch (elementary with 9-12), at its own row."""
    for row, (level, lo, hi) in enumerate(zip(given, grade_lo, grade_hi, strict=True)):
        if level not in DEFAULT_GRADES or pd.isna(lo) or pd.isna(hi):
            continue
        band_lo, band_hi = DEFAULT_GRADES[level]
        if level not in grade_bands(lo, hi):
            raise at(
                path,
                f"school '{table['school_id'].iloc[row]}' is '{table['level'].iloc[row]}' but serves grades "
                f"{grade_name(lo)}-{grade_name(hi)} ({level} is {grade_name(band_lo)}-{band_hi}); "
                "fix the level or the grades",
                row=row + 2,
                column="level",
            )


def level_word(cell: str) -> str:
    """The level a level word names ('Elementary School', 'HS', 'K-8', 'High Schools (Public)'); ""
    if it names none."""
    key = level_key(cell)
    return LEVEL_READINGS.get(key) or LEVEL_READINGS.get(PLURAL_SUFFIX.sub("", key), "")


def level_key(cell: str) -> str:
    """A level word compared without case, spaces or dash style: 'K - 8' (or an en dash) is 'k-8'."""
    return "".join(cell.casefold().split()).replace("\u2013", "-").replace("\u2014", "-")


LEVEL_READINGS = {level_key(word): level for level, words in LEVEL_WORDS.items() for word in (level, *words)}


def reworded_levels(written: pd.Series) -> pd.Series:
    """Cells naming a level by another word than feeder's ('ES', not 'elementary' or 'Elementary')."""
    given = written.map(level_word)
    return (given != "") & (written.str.casefold() != given)


def grade_name(grade: float) -> str:
    """A grade as schools write it: PK (TK too: both are -1), K, 1..12."""
    return {-1: "PK", 0: "K"}.get(int(grade), str(int(grade)))


def level_of(grade_lo: float, grade_hi: float) -> str:
    """K-5 elementary, 6-8 middle, 9-12 high; anything spanning two of those is a span school."""
    if pd.isna(grade_lo) or pd.isna(grade_hi):
        return ""
    bands = grade_bands(grade_lo, grade_hi)
    if len(bands) == 1:
        return bands.pop()
    return "span"


def grade_bands(grade_lo: float, grade_hi: float) -> set[str]:
    """The levels whose grade bands (DEFAULT_GRADES) the grades touch; pre-K belongs to elementary,
    so a pre-K centre (PK alone) is an elementary school."""
    top = max(grade_hi, 0)
    return {band for band, (lo, hi) in DEFAULT_GRADES.items() if grade_lo <= hi and top >= lo}


def raise_first(
    path: Path, bad: pd.Series, *, column: str, message: str, cells: pd.Series | None = None
) -> None:
    """Raise the error of the first bad row (feeder.errors.first_bad_row), if any."""
    error = first_bad_row(path, bad, column=column, message=message, cells=cells)
    if error is not None:
        raise error


def shared_names(schools: pd.DataFrame) -> str | None:
    """Names several schools share (by case and spacing too): tables, maps and a portfolio's list of
    schools ('Central Hs; Central Hs') cannot tell them apart. None when every name is its own."""
    schools = schools.drop_duplicates("school_id")  # a row given twice is an error of its own
    names = schools["name"].astype(str)
    key = names.str.casefold().str.split().str.join(" ")
    shared = (key != "") & key.duplicated(keep=False)
    if not shared.any():
        return None
    groups = schools["school_id"][shared].groupby(key[shared], sort=False)
    described = [f"'{names[ids.index[0]]}' ({', '.join(ids)})" for _, ids in groups]
    return (
        f"names shared by several schools: {shown(described, separator='; ')}; tables and maps cannot tell them apart "
        f"(add the campus or level to the name, e.g. '{names[shared].iloc[0]} North')"
    )


def closed_schools(table: pd.DataFrame) -> tuple[str, str] | None:
    """(column, warning) for schools a status column (state exports: `status`, `School Status`,
    `StatusType`) calls closed, inactive or merged: they would be planned as open schools."""
    column = next((c for c in STATUS_COLUMNS if c in table.columns), None)
    if column is None:
        return None
    status = table[column].astype(str).str.strip()
    closed = status.str.casefold().str.split().str[0].isin(CLOSED_STATUSES)
    if not closed.any():
        return None
    rows = table[closed]
    names = rows["name"] if "name" in rows.columns else rows["school_id"]
    described = [
        f"{school} ({name}, {word})"
        for school, name, word in zip(rows["school_id"], names, status[closed], strict=True)
    ]
    return column, (
        f"schools not open: {shown(described)}; feeder plans them as open schools "
        "(remove their rows and flows, or fix the status)"
    )


def shown(items: list[str], *, separator: str = ", ") -> str:
    """The first SHOWN_IDS items a warning names, and how many more."""
    more = f" and {len(items) - SHOWN_IDS} more" if len(items) > SHOWN_IDS else ""
    return separator.join(items[:SHOWN_IDS]) + more


def highest_grade_note(grade_hi: pd.Series) -> str | None:
    """A district without high-school grades (K-8): no portfolio can be 'K-12 complete', which needs a
    school serving grade 10 (metrics.K12_GRADES), so that share reads 0 % for every plan. None if
    one serves it, or if a school's grades are unknown."""
    if grade_hi.isna().any() or (grade_hi >= HIGH_SCHOOL_GRADE).any():
        return None
    return (
        f"no school teaches grade 12 (the highest grade is {grade_name(grade_hi.max())}): no portfolio can be "
        "'K-12 complete', which reads 0 % (fine for a district without high schools; else add them)"
    )
