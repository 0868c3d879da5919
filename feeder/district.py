"""District: the validated school and flow tables every other module starts from.

`load_district` is the only door in. It accepts what real exports look like (BOM or
cp1252 CSVs, stray spaces, point files in any CRS) and refuses bad data with one line
naming file, row and column, so nothing downstream has to re-check its input.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd

from feeder.errors import FeederError, at, first_bad_row
from feeder.geo import delaunay_edges, haversine_km, local_km
from feeder.sites import outlying_sites
from feeder.tables import (
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
PROVENANCE = "provenance.txt"  # optional: one paragraph every output can repeat
SCHOOL_FILES = ("schools.csv", "schools.geojson", "schools.gpkg", "schools.shp")
TEXT_COLUMNS = ("region", "portfolio", "programs", "principal")
NUMBER_COLUMNS = ("enrollment", "capacity", "need_index")
FAR_SITE_KM = 300.0
FAR_SITE_SPREAD = 4.0
MOST_STUDENTS = 100_000  # more than any one school enrolls or any one flow carries
NEED_LIMIT = 1e6
PLACEHOLDER_COORDINATES = (-999.0, -9999.0, 999.0, 9999.0, -99.0)
SOUTHERNMOST_SCHOOL = -60.0  # no school lies further south (Antarctica)
DEFAULT_MIN_CELL = 10  # flow counts below it are published as "<10" when flows come from records


@dataclass(frozen=True)
class District:
    """A district's schools (one row each, file order kept) and student flows.

    schools: GeoDataFrame in EPSG:4326 with at least school_id, name, level, grade_lo,
        grade_hi (nullable Int64; level defaults filled in, a span without grades stays
        missing), lat, lon, enrollment, capacity, need_index (float, NaN when absent),
        region, portfolio, programs, principal (str, "" when absent), plus any extra columns.
    flows: from_id, to_id, students (float > 0); repeated pairs summed; only district
        schools, and `OUT` as a destination.
    """

    schools: gpd.GeoDataFrame
    flows: pd.DataFrame
    path: Path
    flows_source: str = "flows.csv"  # or enrollment records, assignments, boundaries, sites (rough estimate)
    warnings: list[str] = field(default_factory=list)
    provenance: str = ""  # the folder's provenance.txt: which data are real, which estimated
    min_cell: int = DEFAULT_MIN_CELL  # publication rule for counts from student records (feeder.privacy)

    @property
    def name(self) -> str:
        return self.path.resolve().name

    @property
    def ids(self) -> list[str]:
        return self.schools["school_id"].tolist()

    @property
    def has_regions(self) -> bool:
        return bool((self.schools["region"] != "").any())

    @property
    def has_current_plan(self) -> bool:
        return bool((self.schools["portfolio"] != "").all())

    def internal_flows(self) -> pd.DataFrame:
        """Flows whose two ends are district schools (the ones cohesion counts)."""
        return self.flows[self.flows["to_id"] != OUTSIDE].reset_index(drop=True)

    # Derived structures, computed once per district and shared by metrics, design and maps.

    @cached_property
    def adjacency(self) -> np.ndarray:
        """Delaunay neighbours (METRICS.md `contiguous`) as sorted position pairs, shape (E, 2)."""
        edges = sorted(delaunay_edges(self.schools["lat"], self.schools["lon"]))
        return np.array(edges, dtype=int).reshape(-1, 2)

    @cached_property
    def flow_positions(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(sender position, receiver position, students) of the flows between district schools."""
        flows = self.internal_flows()
        position = pd.Series(np.arange(len(self.schools)), index=self.schools["school_id"])
        return (
            position.loc[flows["from_id"]].to_numpy(),
            position.loc[flows["to_id"]].to_numpy(),
            flows["students"].to_numpy(dtype=float),
        )

    @cached_property
    def positions_km(self) -> np.ndarray:
        """School sites in a local planar frame (km, centred on the district), shape (n, 2)."""
        return local_km(self.schools["lat"].to_numpy(dtype=float), self.schools["lon"].to_numpy(dtype=float))


def load_district(path: str | Path) -> District:
    """Load and validate a district folder (FORMAT.md)."""
    folder = Path(path)
    if not folder.is_dir():
        raise FeederError(f"{folder}: not a district folder (expected a folder holding schools.csv)")
    schools_path = next((folder / n for n in SCHOOL_FILES if (folder / n).exists()), None)
    if schools_path is None:
        raise FeederError(f"{folder}: no schools.csv (or schools.geojson/.gpkg/.shp) in this folder")
    schools = read_schools(schools_path)
    warnings: list[str] = outlying_sites(schools)
    flows_path = folder / "flows.csv"
    if flows_path.exists():
        flows = read_flows(flows_path, schools, warnings)
        source = "flows.csv"
    else:
        from feeder.infer import infer_flows

        inferred = infer_flows(folder, schools, warnings)
        flows, source = inferred.flows, inferred.source
    provenance_path = folder / PROVENANCE
    provenance = provenance_path.read_text(encoding="utf-8").strip() if provenance_path.exists() else ""
    return District(
        schools=schools,
        flows=flows,
        path=folder,
        flows_source=source,
        warnings=warnings,
        provenance=provenance,
    )


def read_schools(path: Path) -> gpd.GeoDataFrame:
    """Read schools.csv or a point file and return the validated schools table."""
    table = read_point_file(path) if path.suffix != ".csv" else read_text_table(path)
    require_columns(table, path, ("school_id", "name", "lat", "lon"))
    ids = table["school_id"]
    if (ids == "").any():
        raise at(path, "school_id is empty", row=first(ids == "") + 2, column="school_id")
    duplicated = ids.duplicated()
    if duplicated.any():
        row = first(duplicated)
        raise at(path, f"duplicate school_id '{ids.iloc[row]}'", row=row + 2, column="school_id")
    if (ids == OUTSIDE).any():
        raise at(
            path,
            f"'{OUTSIDE}' is reserved for flows leaving the district",
            row=first(ids == OUTSIDE) + 2,
            column="school_id",
        )
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


def read_point_file(path: Path) -> pd.DataFrame:
    """Read a point GeoJSON / GeoPackage / shapefile into the same text table as a CSV."""
    frame = read_spatial_file(path)
    frame = frame.to_crs("EPSG:4326")
    bad = ~frame.geometry.geom_type.isin(["Point"]) | frame.geometry.is_empty
    if bad.any():
        raise at(path, "school sites must be points", row=first(bad) + 2, column="geometry")
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
        error = first_bad_row(path, bad, column=column, message=message, cells=cells)
        if error is not None:
            raise error
    return values


def refuse_null_island(schools: pd.DataFrame, path: Path) -> None:
    """lat 0, lon 0 is what a geocoder writes when it found nothing."""
    zero = (schools["lat"] == 0) & (schools["lon"] == 0)
    if zero.any():
        raise at(
            path,
            "0, 0 is a placeholder for a missing site (in the Gulf of Guinea); give the school's real site",
            row=first(zero) + 2,
            column="lat",
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
        if bad.any():
            row = first(bad)
            raise at(
                path,
                f"'{table[column].iloc[row]}' is not a grade (use K, PK, TK or 1-12)",
                row=row + 2,
                column=column,
            )
        parsed.append(values)
    lo, hi = parsed
    reversed_span = lo > hi
    if reversed_span.any():
        row = first(reversed_span)
        raise at(
            path,
            f"grade_lo {lo.iloc[row]:g} is above grade_hi {hi.iloc[row]:g}",
            row=row + 2,
            column="grade_lo",
        )
    return lo, hi


def levels(table: pd.DataFrame, path: Path, grade_lo: pd.Series, grade_hi: pd.Series) -> pd.Series:
    """Use the level column where given, else derive it from the grades served."""
    given = table["level"].str.lower() if "level" in table.columns else pd.Series("", index=table.index)
    unknown = (given != "") & ~given.isin(LEVELS)
    if unknown.any():
        row = first(unknown)
        raise at(
            path,
            f"unknown level '{table['level'].iloc[row]}' (use {', '.join(LEVELS)})",
            row=row + 2,
            column="level",
        )
    derived = pd.Series(
        [level_of(lo, hi) for lo, hi in zip(grade_lo, grade_hi, strict=True)], index=table.index
    )
    refuse_contradicting_levels(table, path, given, grade_lo, grade_hi)
    result = given.where(given != "", derived)
    missing = result == ""
    if missing.any():
        row = first(missing)
        raise at(path, "neither level nor grade_lo/grade_hi is given", row=row + 2, column="level")
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


def read_flows(path: Path, schools: gpd.GeoDataFrame, warnings: list[str]) -> pd.DataFrame:
    """Read flows.csv: positive students, lower level to higher, unknown ids dropped with a warning."""
    table = read_text_table(path)
    require_columns(table, path, ("from_id", "to_id", "students"))
    students = parse_numbers(table, path, "students", maximum=MOST_STUDENTS)
    for column in ("from_id", "to_id"):
        empty = table[column] == ""
        if empty.any():
            raise at(path, f"{column} is empty", row=first(empty) + 2, column=column)
    missing = students.isna()
    if missing.any():
        raise at(path, "students is empty", row=first(missing) + 2, column="students")
    not_positive = students <= 0
    if not_positive.any():
        row = first(not_positive)
        raise at(
            path,
            f"{students.iloc[row]:g} students; every flow must carry more than 0",
            row=row + 2,
            column="students",
        )
    flows = pd.DataFrame({"from_id": table["from_id"], "to_id": table["to_id"], "students": students})
    known = set(schools["school_id"])
    unknown = ~flows["from_id"].isin(known) | ~(flows["to_id"].isin(known) | (flows["to_id"] == OUTSIDE))
    if unknown.any():
        names = sorted(
            set(flows.loc[unknown, "from_id"]) - known | set(flows.loc[unknown, "to_id"]) - known - {OUTSIDE}
        )
        warnings.append(
            f"{path.name}: {int(unknown.sum())} flow(s) name schools not in the schools table and are left out: "
            + ", ".join(names[:10])
            + (" ..." if len(names) > 10 else "")
        )
    refuse_self_loops(flows, path)
    check_directions(flows, unknown, schools, path)
    refuse_cycles(flows, unknown, path)
    flows = flows[~unknown]
    return flows.groupby(["from_id", "to_id"], sort=False, as_index=False)["students"].sum()


def refuse_self_loops(flows: pd.DataFrame, path: Path) -> None:
    """A flow from a school to itself is not a move between schools."""
    error = first_bad_row(
        path,
        flows["from_id"] == flows["to_id"],
        column="to_id",
        message="flow from '{cell}' to itself; a flow moves students to another school, so remove this row",
        cells=flows["from_id"],
    )
    if error is not None:
        raise error


def refuse_cycles(flows: pd.DataFrame, unknown: pd.Series, path: Path) -> None:
    """Students cannot come back to a school they left (checked even where grades are unknown)."""
    kept = (~unknown & (flows["to_id"] != OUTSIDE)).to_numpy()
    graph = nx.DiGraph(list(zip(flows["from_id"][kept], flows["to_id"][kept], strict=True)))
    try:
        cycle = nx.find_cycle(graph)
    except nx.NetworkXNoCycle:
        return
    closing = cycle[-1]
    rows = np.flatnonzero(
        ((flows["from_id"] == closing[0]) & (flows["to_id"] == closing[1])).to_numpy() & kept
    )
    path_text = " → ".join([edge[0] for edge in cycle] + [cycle[0][0]])
    raise at(
        path,
        f"flows go round in a cycle ({path_text}); students cannot return to a school they left: "
        "fix the levels/grades of these schools or remove one of these flows",
        row=int(rows[0]) + 2,
        column="to_id",
    )


def check_directions(flows: pd.DataFrame, unknown: pd.Series, schools: gpd.GeoDataFrame, path: Path) -> None:
    """Refuse a flow that goes down or sideways in grades.

    A receiver must top out above its sender, or at the same grade while starting later
    (a K-8 sending to a 6-8 middle school at the 5 → 6 move is normal).
    """
    top = dict(zip(schools["school_id"], schools["grade_hi"], strict=True))
    bottom = dict(zip(schools["school_id"], schools["grade_lo"], strict=True))
    level = dict(zip(schools["school_id"], schools["level"], strict=True))
    for row, (sender, receiver) in enumerate(zip(flows["from_id"], flows["to_id"], strict=True)):
        if unknown.iloc[row] or receiver == OUTSIDE:
            continue
        low, high = top[sender], top[receiver]
        if pd.isna(low) or pd.isna(high):
            continue
        if high < low or (high == low and not bottom[receiver] > bottom[sender]):
            raise at(
                path,
                f"flow from {level[sender]} school '{sender}' to {level[receiver]} school '{receiver}' "
                "goes from a higher level to a lower one (flows run elementary → middle → high)",
                row=row + 2,
                column="to_id",
            )


def first(mask: pd.Series) -> int:
    """Position of the first True in a boolean mask."""
    return int(np.asarray(mask).argmax())
