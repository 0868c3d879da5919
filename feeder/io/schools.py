"""Reading schools.csv (or a point file): one validated row per school.

Accepts what real exports look like (BOM or cp1252 CSVs, stray spaces, point files in
any CRS) and refuses bad data with one line naming file, row and column.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from feeder.errors import at, first_bad_row
from feeder.geo import haversine_km
from feeder.io.tables import (
    clean_cells,
    parse_numbers,
    read_spatial_file,
    read_text_table,
    refuse_bad_headers,
    require_columns,
)

LEVELS = ("elementary", "middle", "high", "span")
DEFAULT_GRADES = {"elementary": (0, 5), "middle": (6, 8), "high": (9, 12)}
GRADE_WORDS = {"K": 0, "KG": 0, "TK": -1, "PK": -1, "P": -1, "PREK": -1}
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


def read_schools(path: Path) -> gpd.GeoDataFrame:
    """Read schools.csv or a point file and return the validated schools table."""
    table = read_point_file(path) if path.suffix != ".csv" else read_text_table(path)
    require_columns(table, path, ("school_id", "name", "lat", "lon"))
    ids = table["school_id"]
    for bad, message in (
        (ids == "", "school_id is empty"),
        (ids.duplicated(), "duplicate school_id '{cell}'"),
        (ids == OUTSIDE, f"'{OUTSIDE}' is reserved for flows leaving the district"),
    ):
        raise_first(path, bad, column="school_id", message=message, cells=ids)
    schools = pd.DataFrame({"school_id": ids, "name": table["name"]})
    schools["lat"] = coordinate(table, path, "lat", 90.0)
    schools["lon"] = coordinate(table, path, "lon", 180.0)
    refuse_null_island(schools, path)
    check_far_sites(schools, path)
    grade_lo, grade_hi = grades(table, path)
    schools["level"] = levels(table, path, grade_lo, grade_hi)
    for column, given, end in (("grade_lo", grade_lo, 0), ("grade_hi", grade_hi, 1)):
        default = schools["level"].map({level: span[end] for level, span in DEFAULT_GRADES.items()})
        schools[column] = given.fillna(default.astype(float)).astype("Int64")
    for column in NUMBER_COLUMNS:
        if column == "need_index" and column in table.columns:
            schools[column] = parse_numbers(table, path, column, minimum=-NEED_LIMIT, maximum=NEED_LIMIT)
        elif column in table.columns:
            schools[column] = parse_numbers(
                table, path, column, minimum=0, maximum=MOST_STUDENTS, integer=True
            )
        else:
            schools[column] = np.nan
    for column in TEXT_COLUMNS:
        schools[column] = table[column] if column in table.columns else ""
    known = set(schools.columns) | {"geometry", "grade_lo", "grade_hi", "level"}
    for column in table.columns:
        if column not in known:
            schools[column] = table[column]
    geometry = gpd.points_from_xy(schools["lon"], schools["lat"], crs="EPSG:4326")
    return gpd.GeoDataFrame(schools.reset_index(drop=True), geometry=geometry, crs="EPSG:4326")


def name_unnamed(schools: pd.DataFrame) -> list[str]:
    """Show schools with an empty name by their school_id (published lists have such gaps, and a
    blank row in every table and map helps no one), with one warning naming them."""
    blank = schools["name"].astype(str).str.strip() == ""
    if not blank.any():
        return []
    ids = schools.loc[blank, "school_id"].tolist()
    schools.loc[blank, "name"] = schools.loc[blank, "school_id"]
    shown = ", ".join(ids[:SHOWN_IDS]) + (f" and {len(ids) - SHOWN_IDS} more" if len(ids) > SHOWN_IDS else "")
    return [
        f"{len(ids)} {'school has' if len(ids) == 1 else 'schools have'} an empty name ({shown}); "
        "shown by school_id until the name column is filled"
    ]


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


def grades(table: pd.DataFrame, path: Path) -> tuple[pd.Series, pd.Series]:
    """Parse grade_lo / grade_hi (K = 0, TK/PK = -1); missing columns give all-NA."""
    parsed = []
    for column in ("grade_lo", "grade_hi"):
        if column not in table.columns:
            parsed.append(pd.Series(np.nan, index=table.index))
            continue
        text = table[column].str.upper().replace(GRADE_WORDS | {k.title(): v for k, v in GRADE_WORDS.items()})
        values = pd.to_numeric(text.where(text != ""), errors="coerce")
        given = table[column] != ""
        bad = given & (values.isna() | (values < -1) | (values > 13) | (values % 1 != 0))
        raise_first(
            path,
            bad,
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
    return lo, hi


def levels(table: pd.DataFrame, path: Path, grade_lo: pd.Series, grade_hi: pd.Series) -> pd.Series:
    """Use the level column where given, else derive it from the grades served."""
    written = table["level"] if "level" in table.columns else pd.Series("", index=table.index)
    given = written.str.lower()
    unknown = (given != "") & ~given.isin(LEVELS)
    raise_first(
        path,
        unknown,
        column="level",
        message=f"unknown level '{{cell}}' (use {', '.join(LEVELS)})",
        cells=written,
    )
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
        if lo > band_hi or hi < band_lo:
            raise at(
                path,
                f"school '{table['school_id'].iloc[row]}' is '{table['level'].iloc[row]}' but serves grades "
                f"{grade_name(lo)}-{grade_name(hi)} ({level} is {grade_name(band_lo)}-{band_hi}); "
                "fix the level or the grades",
                row=row + 2,
                column="level",
            )


def grade_name(grade: float) -> str:
    return {-1: "PK", 0: "K"}.get(int(grade), str(int(grade)))


def level_of(grade_lo: float, grade_hi: float) -> str:
    """K-5 elementary, 6-8 middle, 9-12 high; anything spanning two of those is a span school."""
    if pd.isna(grade_lo) or pd.isna(grade_hi):
        return ""
    bands = {band for band, (lo, hi) in DEFAULT_GRADES.items() if grade_lo <= hi and grade_hi >= lo}
    if len(bands) == 1:
        return bands.pop()
    return "span"


def raise_first(
    path: Path, bad: pd.Series, *, column: str, message: str, cells: pd.Series | None = None
) -> None:
    """Raise the error of the first bad row (feeder.errors.first_bad_row), if any."""
    error = first_bad_row(path, bad, column=column, message=message, cells=cells)
    if error is not None:
        raise error
