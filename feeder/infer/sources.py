"""Flows inferred when a district has no flows.csv (FORMAT.md, "When there is no flows.csv").

Sources, the first one present wins (District.flows_source names it):

1. `enrollment.csv`: student enrollment records, the most accurate (feeder/records.py).
2. `assignments.csv`: planning units naming their `elementary_id`, `middle_id` and `high_id`.
   Exact data, so every shared unit counts and nothing is dropped as a sliver.
3. `boundaries.geojson` (or `.gpkg` / `.shp`): one attendance zone per school (`school_id`),
   in any CRS. A sender is split over the receiving zones it overlaps, in proportion to the
   overlap area, or to the students living in the overlap when `planning_units.geojson`
   (or `.gpkg` / `.shp`: polygons with a `students` column) sits beside it. A school without
   a zone gets its nearest-school cell (as in source 4), with a warning.
4. School sites alone: each school's Voronoi cell among the schools serving the same grade
   stands in for its zone, and no school receives over twice its own grade size. A rough
   estimate, labelled so in the source and in a warning.

For sources 2-4, a sender's flows add up to its transition cohort: enrollment divided
by the grades it serves from K to its top grade (pre-K classes are small and often part-day,
so they are not counted as a grade).

Who can feed whom comes from grades, not level names: a school sends its top grade to schools
that serve the next grade and start above where it starts (K-5 -> 6-8, K-5 -> 6-12,
K-8 -> 9-12, 6-8 -> 9-12, but never K-5 -> K-8 or 6-8 -> 6-12). Schools that start at the
next grade come first, sender by sender: K-8 leavers whose zone meets a 9-12 zone go there,
not to a 6-12 whose 9th grade comes from its own 8th grade; where none is at hand, a school
entering mid-span takes them (K-6 leavers into a 6-8's 7th grade).

Slivers: a geometric overlap carrying under MIN_SHARE of its sender's cohort (ROUGH_MIN_SHARE
for the site estimate, whose cells are coarse) is not a feeder; it is dropped, the sender's
other flows are rescaled to keep its cohort whole, and a warning counts what was dropped.
A sender's largest flow is never dropped.

Bad geometry: an invalid polygon is repaired with make_valid (a warning says so); a feature
with no geometry, a non-polygon or a blank school_id is refused with one line naming file and
row; zones of schools missing from the schools table are left out with a warning (closed or
out-of-district schools are harmless); several features of one school are merged.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.spatial import cKDTree

from feeder import geo
from feeder.errors import FeederError, InputError, at
from feeder.infer.records import ENROLLMENT, RecordsReport, flows_from_records
from feeder.io.idmatch import match_lost_zeros, respelled_warning
from feeder.io.schools import MOST_STUDENTS, SCHOOL_FILES, grade_name, read_schools
from feeder.io.tables import parse_numbers, read_spatial_file, read_text_table, require_columns

ASSIGNMENTS = "assignments.csv"
ASSIGNMENT_COLUMNS = ("elementary_id", "middle_id", "high_id")
BOUNDARY_FILES = ("boundaries.geojson", "boundaries.gpkg", "boundaries.shp")
UNIT_FILES = ("planning_units.geojson", "planning_units.gpkg", "planning_units.shp")
MIN_SHARE = 0.03
FAR_ZONE_KM = 10.0  # a zone this far from its own school is not its attendance zone
ROUGH_MIN_SHARE = 0.10
FLOW_DECIMALS = 4  # flows.csv written by infer: see flows_csv
RECORDS_SOURCE = "enrollment records"
ASSIGNMENTS_SOURCE = "assignments"
BOUNDARIES_SOURCE = "boundaries"
ROUGH_SOURCE = "sites (rough estimate)"
FLOWS_SOURCES = ("flows.csv", RECORDS_SOURCE, ASSIGNMENTS_SOURCE, BOUNDARIES_SOURCE, ROUGH_SOURCE)
ROUGH_WARNING = (
    "flows are a rough nearest-school estimate from school sites alone (no flows.csv, "
    "assignments.csv or boundaries.geojson): treat feeder patterns and split feeders as guesses"
)
NO_FLOW_HINTS = {
    RECORDS_SOURCE: "no student moves on from one school of schools.csv to another between consecutive "
    "years (check its school_id, year and grade values)",
    ASSIGNMENTS_SOURCE: "no unit with students above 0 names a school of schools.csv and the school its "
    "students go on to (check its ids against schools.csv, and its students)",
    BOUNDARIES_SOURCE: "no zone overlaps a zone of the schools its students go on to (check that the "
    "zones lie where the schools are)",
    ROUGH_SOURCE: "no school's students reach a school they can go on to (check the sites and enrollment)",
}
NOMINAL_COHORT = 100.0
MIN_MARGIN_M = 500.0
ROOM = 2.0  # the sites estimate gives a receiver at most this many times its own grade size
MAX_ROUNDS = 100  # of moving what full receivers cannot take (each round fills one at least)
FLOW_COLUMNS = ["from_id", "to_id", "students"]
WEIGHT_COLUMNS = ["from_id", "to_id", "weight"]
POLYGONS = ("Polygon", "MultiPolygon")


@dataclass(frozen=True)
class Inferred:
    """Flows inferred from a district's other data, and where they came from.

    source: one of FLOWS_SOURCES (what District.flows_source records);
    detail: the files used, for the `feeder infer` report;
    records: what enrollment records gave and ignored, when they were the source.
    """

    flows: pd.DataFrame
    source: str
    detail: str
    records: RecordsReport | None = None


def inference_source(folder: Path) -> tuple[str, Path | None]:
    """The source a folder without flows.csv gets its flows from (the first present, in this
    order) and its file; sites alone have none."""
    boundaries = first_existing(folder, BOUNDARY_FILES)
    if (folder / ENROLLMENT).exists():
        return RECORDS_SOURCE, folder / ENROLLMENT
    if (folder / ASSIGNMENTS).exists():
        return ASSIGNMENTS_SOURCE, folder / ASSIGNMENTS
    if boundaries is not None:
        return BOUNDARIES_SOURCE, boundaries
    return ROUGH_SOURCE, None


def infer_flows(folder: Path, schools: gpd.GeoDataFrame, warnings: list[str]) -> Inferred:
    """Infer flows for a folder without flows.csv, from the source `inference_source` names."""
    source, path = inference_source(folder)
    if source == RECORDS_SOURCE and path is not None:
        flows, report = flows_from_records(path, schools, warnings)
        inferred = Inferred(flows, RECORDS_SOURCE, ENROLLMENT, report)
    elif source == ASSIGNMENTS_SOURCE and path is not None:
        flows = flows_from_assignments(path, schools, warnings)
        inferred = Inferred(flows, ASSIGNMENTS_SOURCE, ASSIGNMENTS)
    elif source == BOUNDARIES_SOURCE and path is not None:
        units = first_existing(folder, UNIT_FILES)
        flows = flows_from_boundaries(path, schools, warnings, units=units)
        weighting = f"students in {units.name}" if units else "overlap area"
        inferred = Inferred(flows, BOUNDARIES_SOURCE, f"{path.name} (weighted by {weighting})")
    else:
        warnings.append(ROUGH_WARNING)
        inferred = Inferred(flows_from_sites(schools, warnings), ROUGH_SOURCE, "school sites")
    if inferred.flows.empty:
        raise InputError(
            f"{folder}: no flows could be inferred from {inferred.detail}: {why_no_flows(inferred, schools)}"
        )
    if source != RECORDS_SOURCE:
        warn_silent_senders(schools, inferred.flows, warnings)
    return inferred


def warn_silent_senders(schools: gpd.GeoDataFrame, flows: pd.DataFrame, warnings: list[str]) -> None:
    """Name the schools below grade 12 whose leavers the estimate sends nowhere: they drop out of
    cohesion, so a planner should know (LAUSD's sites once left 68 schools so, unsaid)."""
    below_12 = schools.loc[schools["grade_hi"].astype(float) < 12, "school_id"]
    silent = below_12[~below_12.isin(set(flows["from_id"]))]
    if not silent.empty:
        warnings.append(
            f"{len(silent)} school(s) below grade 12 send no inferred flow (no school that may take "
            f"their leavers is near, or their zone meets none; a flows.csv would place them): {listing(silent)}"
        )


def why_no_flows(inferred: Inferred, schools: gpd.GeoDataFrame) -> str:
    """What left the source without a single flow, and what would give some."""
    if transitions(schools, []).empty:
        spans = schools[["grade_lo", "grade_hi"]].dropna().astype(int).value_counts().sort_index()
        taught = ", ".join(
            f"{grade_name(lo)}{'' if lo == hi else '-' + grade_name(hi)} ({count} school{'s' * (count > 1)})"
            for (lo, hi), count in spans.items()
        )
        return (
            f"no school teaches the grade after another school's highest grade (the schools teach grades "
            f"{taught or 'not given'}); add the schools students go on to, or a flows.csv"
        )
    return NO_FLOW_HINTS[inferred.source]


def infer_district(folder: Path) -> tuple[Inferred, list[str]]:
    """Infer a district folder's flows from its other data, ignoring any flows.csv there."""
    schools_path = first_existing(folder, SCHOOL_FILES)
    if not folder.is_dir() or schools_path is None:
        raise FeederError(f"{folder}: not a district folder (no schools.csv or schools.geojson)")
    warnings: list[str] = []
    return infer_flows(folder, read_schools(schools_path, warnings=warnings), warnings), warnings


def first_existing(folder: Path, names: tuple[str, ...]) -> Path | None:
    return next((folder / name for name in names if (folder / name).exists()), None)


# Who feeds whom, and how many students leave each school


def transitions(schools: gpd.GeoDataFrame, warnings: list[str]) -> pd.DataFrame:
    """Every (from_id, to_id) pair where the receiver can take the sender's leavers, and whether
    it is an `entry` point (starts at the grade after the sender's top grade).

    The receiver must teach the grade after the sender's top grade and start above where the
    sender starts (a K-5 sends to 6-8s, not to K-8s); a sender no such school takes (a K-only or
    K-2 primary centre, a K-5 where only K-8s go on) sends to any school teaching that grade. Entry points are the usual way on (6-8 or 6-12 for K-5 leavers, 9-12 for
    K-8 leavers); a receiver entering mid-span (a 6-12 taking K-8 leavers in grade 9, a 6-8
    taking K-6 leavers in grade 7) is where those are not at hand, which each source decides
    for each sender (prefer_entry_points, flows_from_sites): a rule for the whole district let
    LAUSD's seven 7-12 community day schools take every K-6 leaver.
    """
    grades = schools[["school_id", "grade_lo", "grade_hi"]]
    unknown = grades[["grade_lo", "grade_hi"]].isna().any(axis=1)
    if unknown.any():
        warnings.append(
            f"{int(unknown.sum())} school(s) without grade_lo/grade_hi are left out of the "
            f"inferred flows: {listing(grades.loc[unknown, 'school_id'])}"
        )
    known = grades[~unknown].astype({"grade_lo": int, "grade_hi": int})
    pairs = known.merge(known, how="cross", suffixes=("_from", "_to"))
    following = pairs["grade_hi_from"] + 1
    teaches_next = (pairs["grade_lo_to"] <= following) & (following <= pairs["grade_hi_to"])
    serves = teaches_next & (pairs["grade_lo_to"] > pairs["grade_lo_from"])
    # A K-only or K-2 school's children go on to grade 1 or 3 at a school that also starts at K.
    stranded = ~serves.groupby(pairs["school_id_from"]).transform("any")
    serves |= stranded & teaches_next
    chosen = pairs.assign(entry=pairs["grade_lo_to"] == following).loc[serves]
    chosen = chosen[["school_id_from", "school_id_to", "entry"]].set_axis(
        ["from_id", "to_id", "entry"], axis=1
    )
    return chosen.reset_index(drop=True)


def prefer_entry_points(weights: pd.DataFrame, pairs: pd.DataFrame, *, min_share: float) -> pd.DataFrame:
    """Each sender's weights to entry points only, where they hold at least `min_share` of its
    weight: a K-8 zone meeting a 9-12 zone sends its leavers there, not into a 6-12 whose 9th
    grade is filled from its own 8th; a sliver of a small 7-12's cell does not take a K-6's all."""
    weights = weights.merge(pairs, on=["from_id", "to_id"])
    entry = weights["weight"].where(weights["entry"], 0.0).groupby(weights["from_id"]).transform("sum")
    total = weights.groupby("from_id")["weight"].transform("sum")
    reaches_entry = entry >= min_share * total
    return weights.loc[weights["entry"] | ~reaches_entry, WEIGHT_COLUMNS].reset_index(drop=True)


def cohorts(schools: gpd.GeoDataFrame, warnings: list[str]) -> pd.Series:
    """Students leaving each school at its top grade: enrollment / grades served (K..top).

    A school without enrollment gets the median cohort of its level, or NOMINAL_COHORT when
    no school of its level has one (flows then read as percentages of that cohort).
    """
    top = schools["grade_hi"].astype(float)
    served = (top - schools["grade_lo"].astype(float).clip(lower=0) + 1).clip(lower=1)
    cohort = pd.Series((schools["enrollment"] / served).to_numpy(), index=schools["school_id"])
    missing = schools["enrollment"].isna().to_numpy()
    if missing.any():
        by_level = cohort.groupby(schools["level"].to_numpy()).transform("median")
        cohort = cohort.fillna(by_level).fillna(NOMINAL_COHORT)
        warnings.append(
            f"{int(missing.sum())} school(s) have no enrollment; their transition cohort is the "
            f"median of their level ({NOMINAL_COHORT:g} when none is known): "
            f"{listing(schools.loc[missing, 'school_id'])}"
        )
    return cohort


def split_cohorts(
    weights: pd.DataFrame, cohort: pd.Series, min_share: float, label: str, warnings: list[str]
) -> pd.DataFrame:
    """Split each sender's cohort over receivers in proportion to weight, dropping slivers."""
    weights = weights.groupby(["from_id", "to_id"], as_index=False)["weight"].sum()
    weights = weights[weights["weight"] > 0]
    if weights.empty:  # nothing links two known schools; infer_flows says so
        return pd.DataFrame({"from_id": [], "to_id": [], "students": []}).astype({"students": float})
    by_sender = weights.groupby("from_id")["weight"]
    share = weights["weight"] / by_sender.transform("sum")
    sliver = (share < min_share) & (weights["weight"] < by_sender.transform("max"))
    if sliver.any():
        lost = (share * weights["from_id"].map(cohort))[sliver].sum()
        edges = weights.loc[sliver, "from_id"] + "→" + weights.loc[sliver, "to_id"]
        warnings.append(
            f"{label}: {int(sliver.sum())} sliver overlap(s) under {min_share:.0%} of the sender's "
            f"cohort dropped ({lost:.1f} students given to the sender's other feeders): "
            f"{listing(edges)}"
        )
    kept = weights[~sliver]
    share = kept["weight"] / kept.groupby("from_id")["weight"].transform("sum")
    flows = pd.DataFrame(
        {"from_id": kept["from_id"], "to_id": kept["to_id"], "students": share * kept["from_id"].map(cohort)}
    )
    return flows.sort_values(["from_id", "to_id"]).reset_index(drop=True)


def listing(values: pd.Series, limit: int = 8) -> str:
    """A short comma-separated list for a warning: the first few values, then '...'."""
    items = [str(v) for v in values]
    return ", ".join(items[:limit]) + (" ..." if len(items) > limit else "")


# Source 1: planning-unit assignments


def flows_from_assignments(path: Path, schools: gpd.GeoDataFrame, warnings: list[str]) -> pd.DataFrame:
    """Flows from units naming one school per level: each unit links its schools in grade order.

    A unit's chain skips blanks and repeats, so a K-8 unit (elementary_id = middle_id, or a
    blank middle_id) links the K-8 straight to its high school. A school missing from the
    schools table breaks the chain instead (its links are left out with a warning). Units
    weigh their `students` when that column is present, else one each.
    """
    table = read_text_table(path)
    require_columns(table, path, ("unit_id",))
    columns = [c for c in ASSIGNMENT_COLUMNS if c in table.columns]
    if len(columns) < 2:
        raise at(path, "needs at least two of the columns " + ", ".join(ASSIGNMENT_COLUMNS), row=1)
    weight = pd.Series(1.0, index=table.index)
    if "students" in table.columns:
        weight = parse_numbers(table, path, "students", minimum=0, maximum=MOST_STUDENTS)
        if weight.isna().any():
            row = int(weight.isna().to_numpy().argmax()) + 2
            raise at(path, "students is empty", row=row, column="students")
    links = unit_links(table, columns, set(schools["school_id"]), path, warnings)
    links = allowed_links(links, transitions(schools, warnings), schools, path)
    weight = weight.loc[links["row"]].to_numpy()
    weights = pd.DataFrame({"from_id": links["from_id"], "to_id": links["to_id"], "weight": weight})
    return split_cohorts(weights, cohorts(schools, warnings), 0.0, path.name, warnings)


def unit_links(
    table: pd.DataFrame, columns: list[str], known: set[str], path: Path, warnings: list[str]
) -> pd.DataFrame:
    """One row per consecutive pair of distinct known schools in a unit: row, column, from_id, to_id."""
    cells = table[columns].reset_index(names="row")
    cells = cells.melt(id_vars="row", var_name="column", value_name="school_id")
    cells["rank"] = cells["column"].map(columns.index)
    cells = cells[cells["school_id"] != ""].sort_values(["row", "rank"])
    cells["school_id"] = matched_ids(cells["school_id"], sorted(known), path.name, warnings)
    unknown = ~cells["school_id"].isin(known)
    if unknown.any():
        names = pd.Series(sorted(set(cells.loc[unknown, "school_id"])))
        warnings.append(
            f"{path.name}: {int(unknown.sum())} assignment(s) name schools not in the schools table; "
            f"links to and from them are left out: {listing(names)}"
        )
    cells = cells[cells["school_id"] != cells.groupby("row")["school_id"].shift()]
    following = cells.groupby("row")[["school_id", "column"]].shift(-1)
    links = pd.DataFrame(
        {
            "row": cells["row"],
            "column": following["column"],
            "from_id": cells["school_id"],
            "to_id": following["school_id"],
        }
    ).dropna()
    links = links[links["from_id"].isin(known) & links["to_id"].isin(known)]
    return links.reset_index(drop=True)


def allowed_links(
    links: pd.DataFrame, pairs: pd.DataFrame, schools: gpd.GeoDataFrame, path: Path
) -> pd.DataFrame:
    """Refuse a link whose receiver cannot take the sender's leavers (wrong column or grades).

    Links touching a school without grades are left out (transitions() has warned about them).
    """
    graded = set(pairs["from_id"]) | set(pairs["to_id"])
    links = links[links["from_id"].isin(graded) & links["to_id"].isin(graded)]
    allowed = links.merge(pairs, on=["from_id", "to_id"], how="left", indicator=True)["_merge"] == "both"
    if not allowed.all():
        bad = links.iloc[int((~allowed).to_numpy().argmax())]
        span = schools.set_index("school_id")[["grade_lo", "grade_hi"]]
        raise at(
            path,
            f"'{bad['to_id']}' ({grade_span(span.loc[bad['to_id']])}) cannot take the leavers of "
            f"'{bad['from_id']}' ({grade_span(span.loc[bad['from_id']])}); "
            "columns run elementary_id → middle_id → high_id",
            row=int(bad["row"]) + 2,
            column=bad["column"],
        )
    return links


def grade_span(grades: pd.Series) -> str:
    """'grades K-5' style text for a message."""
    names = {-1: "PK", 0: "K"}
    lo, hi = (names.get(int(g), str(int(g))) for g in (grades["grade_lo"], grades["grade_hi"]))
    return f"grades {lo}-{hi}"


# Source 2: attendance boundaries, optionally weighted by planning-unit students


def flows_from_boundaries(
    path: Path, schools: gpd.GeoDataFrame, warnings: list[str], *, units: Path | None = None
) -> pd.DataFrame:
    """Flows from overlapping attendance zones (area-weighted, or by students in `units`)."""
    crs = schools.estimate_utm_crs()
    zones = read_zones(path, schools, warnings).to_crs(crs)
    check_zones_near_schools(zones, schools.to_crs(crs), path, warnings)
    pairs = transitions(schools, warnings)
    zoneless = sorted((set(pairs["from_id"]) | set(pairs["to_id"])) - set(zones["school_id"]))
    if zoneless:
        warnings.append(
            f"{path.name}: {len(zoneless)} school(s) have no zone; their nearest-school cells stand in "
            f"(a rough estimate of their flows): {listing(pd.Series(zoneless))}"
        )
        zones = pd.concat([zones, stand_in_cells(schools.to_crs(crs), zones, zoneless)], ignore_index=True)
    students = read_units(units, warnings).to_crs(crs) if units is not None else None
    weights = prefer_entry_points(overlap_weights(zones, zones, pairs, students), pairs, min_share=MIN_SHARE)
    flows = split_cohorts(weights, cohorts(schools, warnings), MIN_SHARE, path.name, warnings)
    report_stranded(pairs, zones, flows, path.name, warnings)
    return flows


def stand_in_cells(sites: gpd.GeoDataFrame, zones: gpd.GeoDataFrame, zoneless: list[str]) -> gpd.GeoDataFrame:
    """Zones for schools that have none: each one's nearest-school cell among the schools teaching
    its top grade, within the zones' and the sites' area. Districts often publish elementary and
    high school zones only; the middle schools' leavers and intake then went nowhere."""
    region = shapely.union(study_region(sites), zones.union_all())
    wanted = sites[sites["school_id"].isin(zoneless)]
    cells = [
        voronoi_cells(serving(sites, int(grade)), region)
        for grade in sorted(set(wanted["grade_hi"].dropna().astype(int)))
    ]
    found = pd.concat(cells, ignore_index=True) if cells else zones.iloc[:0]
    return found[found["school_id"].isin(zoneless)].drop_duplicates("school_id")


def check_zones_near_schools(
    zones: gpd.GeoDataFrame, schools: gpd.GeoDataFrame, path: Path, warnings: list[str]
) -> None:
    """Zones far from their own schools come from a wrong CRS or another district's file: their flows
    would be an even spread, not a feeder pattern. Most zones far: refused; a few: named in a warning."""
    sites = schools.drop_duplicates("school_id").set_index("school_id").geometry.loc[zones["school_id"]]
    gaps = gpd.GeoSeries(shapely.shortest_line(sites.to_numpy(), zones.geometry.to_numpy()), crs=zones.crs)
    ends = shapely.get_coordinates(gaps.to_crs("EPSG:4326").to_numpy()).reshape(-1, 2, 2)
    km = pd.Series(
        geo.haversine_km(ends[:, 0, 1], ends[:, 0, 0], ends[:, 1, 1], ends[:, 1, 0]), index=zones["school_id"]
    )
    far = km[km > FAR_ZONE_KM].sort_values(ascending=False)
    if far.empty:
        return
    example = f"'{far.index[0]}' is {far.iloc[0]:,.0f} km from its school"
    if km.median() > FAR_ZONE_KM:
        raise at(
            path,
            f"the zones lie far from their schools' sites (half are over {km.median():,.0f} km away; {example}): "
            "a wrong CRS, or another district's zones? Export the zones with their CRS",
        )
    warnings.append(
        f"{path.name}: {len(far)} zone(s) lie over {FAR_ZONE_KM:g} km from their school's site ({example}); "
        f"check them: {listing(pd.Series(far.index))}"
    )


def report_stranded(
    pairs: pd.DataFrame, zones: gpd.GeoDataFrame, flows: pd.DataFrame, label: str, warnings: list[str]
) -> None:
    """Warn about zoned senders whose zone overlaps no receiving zone (no flow leaves them)."""
    zoned = set(zones["school_id"])
    senders = {s for s, r in zip(pairs["from_id"], pairs["to_id"], strict=True) if s in zoned and r in zoned}
    stranded = sorted(senders - set(flows["from_id"]))
    if stranded:
        warnings.append(
            f"{label}: {len(stranded)} zone(s) overlap no next-level zone, so no flow leaves them: "
            f"{listing(pd.Series(stranded))}"
        )


def overlap_weights(
    senders: gpd.GeoDataFrame,
    receivers: gpd.GeoDataFrame,
    pairs: pd.DataFrame,
    units: gpd.GeoDataFrame | None = None,
) -> pd.DataFrame:
    """Weight of each allowed (sender, receiver) pair: overlap area, or students living in it.

    Students of a planning unit are spread evenly over its area, so a unit cut by a zone
    border gives each side its area's share.
    """
    left = senders[senders["school_id"].isin(pairs["from_id"])].rename(columns={"school_id": "from_id"})
    right = receivers[receivers["school_id"].isin(pairs["to_id"])].rename(columns={"school_id": "to_id"})
    if left.empty or right.empty:
        return pd.DataFrame(columns=WEIGHT_COLUMNS)
    pieces = gpd.overlay(left, right, how="intersection", keep_geom_type=True)
    pieces = pieces.merge(pairs[["from_id", "to_id"]], on=["from_id", "to_id"])
    if pieces.empty:
        return pd.DataFrame(columns=WEIGHT_COLUMNS)
    if units is None:
        weight = pieces.area
    else:
        units = units.assign(unit_area=units.area)
        pieces = gpd.overlay(pieces, units, how="intersection", keep_geom_type=True)
        weight = pieces["students"] * pieces.area / pieces["unit_area"]
    return pd.DataFrame({"from_id": pieces["from_id"], "to_id": pieces["to_id"], "weight": weight})


def read_zones(path: Path, schools: gpd.GeoDataFrame, warnings: list[str]) -> gpd.GeoDataFrame:
    """Attendance zones as one (multi)polygon per known school: school_id, geometry."""
    frame = read_polygons(path, warnings)
    if "school_id" not in frame.columns:
        found = ", ".join(c for c in frame.columns if c != "geometry") or "none"
        raise at(path, f"missing required column 'school_id' (found: {found})", row=1, column="school_id")
    ids = id_text(frame["school_id"])
    blank = ids == ""
    if blank.any():
        raise at(path, "zone has no school_id", row=int(blank.idxmax()) + 2, column="school_id")
    ids = matched_ids(ids, schools["school_id"].tolist(), path.name, warnings)
    unknown = ~ids.isin(set(schools["school_id"]))
    if unknown.all():
        raise at(
            path,
            f"none of the {len(ids)} zones names a school of schools.csv (e.g. '{ids.iloc[0]}'; schools.csv has "
            f"'{schools['school_id'].iloc[0]}'): write each zone's school_id as schools.csv does",
            row=2,
            column="school_id",
        )
    if unknown.any():
        warnings.append(
            f"{path.name}: {int(unknown.sum())} zone(s) name schools not in the schools table and "
            f"are left out: {listing(pd.Series(sorted(set(ids[unknown]))))}"
        )
    zones = gpd.GeoDataFrame({"school_id": ids}, geometry=frame.geometry, crs=frame.crs)[~unknown]
    return zones.dissolve(by="school_id", as_index=False)[["school_id", "geometry"]]


def matched_ids(ids: pd.Series, known: list[str], file: str, warnings: list[str]) -> pd.Series:
    """`ids` with those a spreadsheet or a number column respelled ('224' for '0224') matched to the
    district's, with a warning."""
    matched, count = match_lost_zeros(ids, known)
    if count:
        warnings.append(respelled_warning(file, count))
    return matched


def id_text(ids: pd.Series) -> pd.Series:
    """School ids from a spatial file as text: numbers stored as 281.0 read back as '281'."""
    if pd.api.types.is_float_dtype(ids) and (ids.dropna() % 1 == 0).all():
        ids = ids.astype("Int64")
    return ids.astype(object).where(ids.notna(), "").astype(str).str.strip()


def read_units(path: Path, warnings: list[str]) -> gpd.GeoDataFrame:
    """Planning-unit polygons with the students living in each: students, geometry."""
    frame = read_polygons(path, warnings)
    if "students" not in frame.columns:
        raise at(
            path,
            "missing required column 'students' (students living in each unit)",
            row=1,
            column="students",
        )
    raw = frame["students"]
    text = pd.DataFrame({"students": raw.astype(object).where(raw.notna(), "").astype(str).str.strip()})
    students = parse_numbers(text, path, "students", minimum=0, maximum=MOST_STUDENTS)
    if students.isna().any():
        raise at(
            path, "students is empty", row=int(students.isna().to_numpy().argmax()) + 2, column="students"
        )
    return gpd.GeoDataFrame(
        {"students": students.to_numpy()}, geometry=frame.geometry.to_numpy(), crs=frame.crs
    )


def read_polygons(path: Path, warnings: list[str]) -> gpd.GeoDataFrame:
    """Read a polygon layer with lower-case columns; refuse missing shapes, repair invalid ones.

    Rows in messages count like the attribute table seen as a CSV (first feature = row 2),
    as for schools files. A polygon that collapses to nothing when repaired is left out.
    """
    frame = read_spatial_file(path)
    frame.columns = [c if c == frame.geometry.name else str(c).strip().lower() for c in frame.columns]
    geometry = frame.geometry
    missing = (geometry.isna() | geometry.is_empty).to_numpy()
    if missing.any():
        raise at(path, "feature has no geometry", row=int(missing.argmax()) + 2, column="geometry")
    wrong = ~geometry.geom_type.isin(POLYGONS).to_numpy()
    if wrong.any():
        row = int(wrong.argmax())
        raise at(
            path,
            f"a {geometry.iloc[row].geom_type} where a polygon was expected",
            row=row + 2,
            column="geometry",
        )
    invalid = ~geometry.is_valid.to_numpy()
    if invalid.any():
        repaired = geometry[invalid].make_valid(method="structure", keep_collapsed=False)
        frame.loc[invalid, frame.geometry.name] = repaired
        rows = pd.Series(np.flatnonzero(invalid) + 2)
        warnings.append(
            f"{path.name}: {int(invalid.sum())} invalid polygon(s) repaired (rows {listing(rows)})"
        )
        collapsed = frame.geometry.is_empty.to_numpy()
        if collapsed.any():
            rows = pd.Series(np.flatnonzero(collapsed) + 2)
            warnings.append(
                f"{path.name}: {int(collapsed.sum())} polygon(s) have no area once repaired "
                f"and are left out (rows {listing(rows)})"
            )
            frame = frame[~collapsed]
    return frame


# Source 3: school sites alone (rough)


def flows_from_sites(schools: gpd.GeoDataFrame, warnings: list[str]) -> pd.DataFrame:
    """Rough flows from sites: Voronoi cells per grade stand in for attendance zones.

    A sender's catchment is its cell among the schools serving its top grade; a receiver's
    is its cell among the schools that may take those leavers. So a K-8 competes with the
    middle schools for grade 8, and a 6-12 with the middle schools for grade 6, but a K-5
    beside a K-8 (which fills its 6th grade from its own 5th) still reaches a middle school:
    cells among every school teaching the next grade left 17 of LAUSD's K-5s with no flow.
    A receiver then takes at most ROOM times its own grade size (with_room): a continuation
    high school of 161 students had a cell that "sent" it 810 ninth graders.
    """
    crs = schools.estimate_utm_crs()
    sites = schools[["school_id", "grade_lo", "grade_hi", "geometry"]].to_crs(crs)
    pairs = transitions(schools, warnings)
    region = study_region(sites)
    top = sites.set_index("school_id")["grade_hi"]
    cohort = cohorts(schools, warnings)
    by_grade = pairs.groupby(pairs["from_id"].map(top))
    found = []
    for grade, group in by_grade:
        senders = voronoi_cells(serving(sites, int(grade)), region)
        receivers = voronoi_cells(sites[sites["school_id"].isin(group["to_id"])], region)
        found.append(
            prefer_entry_points(overlap_weights(senders, receivers, group), group, min_share=ROUGH_MIN_SHARE)
        )
    weights = pd.concat(found, ignore_index=True) if found else pd.DataFrame(columns=WEIGHT_COLUMNS)
    flows = split_cohorts(weights, cohort, ROUGH_MIN_SHARE, ROUGH_SOURCE, warnings)
    if flows.empty:
        return flows
    positions = sites.set_index("school_id").geometry
    leaving = flows.rename(columns={"students": "weight"})
    grades = [(leaving[leaving["from_id"].isin(group["from_id"])], group) for _, group in by_grade]
    roomy = [with_room(sent, group, positions, cohort) for sent, group in grades if not sent.empty]
    flows = pd.concat(roomy, ignore_index=True).rename(columns={"weight": "students"})
    return flows.sort_values(["from_id", "to_id"]).reset_index(drop=True)


def with_room(
    weights: pd.DataFrame, pairs: pd.DataFrame, sites: gpd.GeoSeries, cohort: pd.Series
) -> pd.DataFrame:
    """One grade's flows (weight = students) with no receiver taking over ROOM times its own grade
    size; what a full receiver cannot take goes to the sender's other receivers in proportion,
    or, where it has none with room, to its nearest receiver with room."""
    flows = whole_cohorts(weights.groupby(["from_id", "to_id"], as_index=False)["weight"].sum(), cohort)
    room = ROOM * cohort
    if room.reindex(pairs["to_id"].unique()).sum() < flows["weight"].sum():
        return flows  # the district's sizes do not add up: no receiver is full
    candidates = pairs.assign(km=pairs_km(pairs, sites)).sort_values(["from_id", "km", "to_id"])
    closed: set[str] = set()  # receivers filled to their room: they take no more, so this ends
    for _ in range(MAX_ROUNDS):
        intake = flows.groupby("to_id")["weight"].sum()
        over = intake[intake > room.reindex(intake.index) * (1 + 1e-9)]
        if over.empty:
            break
        closed |= set(over.index)
        keep = (room.reindex(over.index) / over).reindex(flows["to_id"]).fillna(1.0).to_numpy()
        excess = (flows["weight"] * (1 - keep)).groupby(flows["from_id"]).sum()
        flows["weight"] *= keep
        open_to = ~flows["to_id"].isin(closed)
        others = flows[open_to].groupby("from_id")["weight"].transform("sum")
        spread = flows[open_to].assign(
            weight=flows.loc[open_to, "weight"] / others * flows.loc[open_to, "from_id"].map(excess)
        )
        spread = spread[others > 0]
        stranded = excess[(excess > 0) & ~excess.index.isin(spread["from_id"])]
        nearest = candidates[candidates["from_id"].isin(stranded.index) & ~candidates["to_id"].isin(closed)]
        nearest = nearest.groupby("from_id").head(1)
        moved = pd.DataFrame(
            {
                "from_id": nearest["from_id"],
                "to_id": nearest["to_id"],
                "weight": nearest["from_id"].map(stranded),
            }
        )
        flows = pd.concat([flows, spread[["from_id", "to_id", "weight"]], moved], ignore_index=True)
        flows = flows.groupby(["from_id", "to_id"], as_index=False)["weight"].sum()
    return whole_cohorts(flows, cohort)  # a sender whose every choice is full keeps its cohort whole


def whole_cohorts(flows: pd.DataFrame, cohort: pd.Series) -> pd.DataFrame:
    """`flows` scaled so that each sender's weights add up to its cohort."""
    total = flows.groupby("from_id")["weight"].transform("sum")
    return flows.assign(weight=flows["weight"] * flows["from_id"].map(cohort) / total)


def pairs_km(pairs: pd.DataFrame, sites: gpd.GeoSeries) -> np.ndarray:
    """Straight-line km between each pair's sites (projected metres / 1000)."""
    start = shapely.get_coordinates(sites.loc[pairs["from_id"]].to_numpy())
    end = shapely.get_coordinates(sites.loc[pairs["to_id"]].to_numpy())
    return np.hypot(*(start - end).T) / 1000.0


def serving(sites: gpd.GeoDataFrame, grade: int) -> gpd.GeoDataFrame:
    """Sites of the schools that teach `grade`."""
    lo, hi = sites["grade_lo"].astype(float), sites["grade_hi"].astype(float)
    return sites[((lo <= grade) & (grade <= hi)).to_numpy()]


def study_region(sites: gpd.GeoDataFrame) -> shapely.Geometry:
    """The area the district's students live in, as far as sites tell: their convex hull,
    widened by half the median spacing between sites (at least MIN_MARGIN_M metres)."""
    points = np.unique(shapely.get_coordinates(sites.geometry.to_numpy()), axis=0)
    margin = MIN_MARGIN_M
    if len(points) > 1:
        spacing, _ = cKDTree(points).query(points, k=2)
        margin = max(float(np.median(spacing[:, 1])) / 2, MIN_MARGIN_M)
    return shapely.multipoints(points).convex_hull.buffer(margin)


def voronoi_cells(sites: gpd.GeoDataFrame, region: shapely.Geometry) -> gpd.GeoDataFrame:
    """Each school's nearest-site territory within `region`; schools sharing a site share its cell."""
    coords = shapely.get_coordinates(sites.geometry.to_numpy())
    unique, which = np.unique(coords, axis=0, return_inverse=True)
    geometry = geo.voronoi_cells(unique, region)[np.asarray(which).ravel()]
    return gpd.GeoDataFrame({"school_id": sites["school_id"].to_numpy()}, geometry=geometry, crs=sites.crs)


def flows_csv(flows: pd.DataFrame, *, origin: str) -> str:
    """flows.csv text (FORMAT.md): students to 4 decimals (so a plan scored on the file keeps the
    cohesion feeder gives it on the folder without the file, to 1e-7; 2 decimals moved it by 2e-6),
    flows that round to 0 left out, below the comment line `origin` that says where they come from
    (feeder.io.flows.origin_line), so that the file keeps its label, and records their small-cell
    rule, when it is put into a district folder."""
    table = flows[FLOW_COLUMNS].assign(students=flows["students"].astype(float).round(FLOW_DECIMALS))
    table = table[table["students"] > 0]
    return f"{origin}\n" + table.to_csv(index=False, lineterminator="\n")
