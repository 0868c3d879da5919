"""What the maps show, computed once per plan: colours, areas, per-school facts, flows.

Pages (overview, cohorts) only pick rows from this model, so every map of one plan
agrees on colours, areas, medoids and which feeders are split.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from feeder import metrics
from feeder.geo import voronoi_cells
from feeder.io.schools import OUTSIDE
from feeder.maps.colors import portfolio_colours
from feeder.maps.counts import scored_count
from feeder.maps.symbols import SYMBOLS
from feeder.plan import Plan
from feeder.privacy import data_notes, privacy_of
from feeder.sites import outlying_schools

BROKEN_COLUMNS = ("from_id", "to_id", "students", "family", "value_from")
MIN_MARGIN_M = 1500.0
MARGIN_SHARE = 0.04
SIMPLIFY_SHARE = 0.0005
DEGREES = 1e-5  # coordinates are written to 5 decimals (about 1 m)
RADIUS = (4.0, 7.0)  # smallest symbol radius (px) and the growth up to the largest school
REACH = max(math.hypot(x, y) for corners in SYMBOLS.values() for x, y in corners)  # in radii
WEIGHT = (1.0, 8.0)  # thinnest flow line (px) and the growth up to the largest flow


@dataclass(frozen=True)
class MapModel:
    """Everything the pages draw.

    schools: the district's schools plus portfolio, colour, km (to the meeting site),
        medoid (is the meeting site), sent / crossing / leaving students, split,
        radius (symbol size in px, by enrollment), and for schools sharing a site `fan`
        (the symbol's offset in px, [dx, dy]; None elsewhere) and `campus` (the other schools there),
        and `check`: the data note doubting the school's site (a likely wrong geocode), else "".
    flows: district-internal flows with their end portfolios, `crossing`, the count a line is drawn
        by (`drawn`: published, so its width gives no suppressed count away) and its weight (px).
    areas: one row per portfolio (see voronoi_areas).
    regions: the same for the district's regions (empty when it has none).
    broken: broken program pathways between district schools (may be empty).
    edges: the Delaunay neighbours (school positions) metrics.contiguous uses, computed once.
    """

    plan: Plan
    colours: dict[str, str]
    schools: pd.DataFrame
    flows: pd.DataFrame
    areas: gpd.GeoDataFrame
    regions: gpd.GeoDataFrame
    broken: pd.DataFrame
    edges: set[tuple[int, int]]


def build_model(plan: Plan, broken_edges: pd.DataFrame | None = None) -> MapModel:
    """Compute the map model of a plan (and of the alignment check's broken edges, if any)."""
    district = plan.district
    schools = district.schools
    labels = np.asarray(plan.labels).astype(str)
    edges = {(a, b) for a, b in district.adjacency.tolist()}
    colours = portfolio_colours(labels, edges)
    return MapModel(
        plan=plan,
        colours=colours,
        schools=school_facts(plan, labels, colours),
        flows=flow_table(plan, labels),
        areas=voronoi_areas(schools, labels),
        regions=region_areas(schools) if district.has_regions else empty_areas(),
        broken=broken_table(broken_edges, set(district.ids)),
        edges=edges,
    )


def school_facts(plan: Plan, labels: np.ndarray, colours: dict[str, str]) -> pd.DataFrame:
    """The schools table with everything a marker, popup or member table needs."""
    district = plan.district
    facts = pd.DataFrame(district.schools.drop(columns="geometry"))
    facts["portfolio"] = labels
    facts["colour"] = [colours[label] for label in labels]
    facts["radius"] = scaled(facts["enrollment"], *RADIUS)
    facts["fan"], facts["campus"] = shared_sites(facts)
    facts["km"] = metrics.distances_to_medoid(district, labels)
    facts["medoid"] = False
    facts.loc[list(metrics.medoids(district, labels).values()), "medoid"] = True
    sender, receiver, students = district.flow_positions
    n = len(labels)
    facts["sent"] = np.bincount(sender, weights=students, minlength=n)
    facts["crossing"] = np.bincount(
        sender, weights=students * (labels[sender] != labels[receiver]), minlength=n
    )
    facts["split"] = facts["crossing"] > metrics.SPLIT_ABOVE * facts["sent"]
    leaving = district.flows[district.flows["to_id"] == OUTSIDE].groupby("from_id")["students"].sum()
    facts["leaving"] = facts["school_id"].map(leaving).fillna(0.0).to_numpy()
    facts["check"] = site_checks(plan)
    return facts


def site_checks(plan: Plan) -> list[str]:
    """Per school, the data note saying its site is far from its peers (feeder.sites), else "": the map
    marks exactly the schools the side panel's data notes name."""
    district = plan.district
    notes = set(data_notes(district))
    checks = [""] * len(district.schools)
    for position, warning in outlying_schools(district.schools):
        if warning in notes:
            checks[position] = warning
    return checks


def flow_table(plan: Plan, labels: np.ndarray) -> pd.DataFrame:
    """District-internal flows with sender / receiver portfolios and whether they cross a line."""
    flows = plan.district.internal_flows().copy()
    portfolio = pd.Series(labels, index=plan.district.schools["school_id"])
    flows["from_portfolio"] = portfolio.loc[flows["from_id"]].to_numpy()
    flows["to_portfolio"] = portfolio.loc[flows["to_id"]].to_numpy()
    flows["crossing"] = flows["from_portfolio"] != flows["to_portfolio"]
    privacy = privacy_of(plan.district)
    flows["drawn"] = [scored_count(students, privacy=privacy) for students in flows["students"]]
    flows["weight"] = scaled(flows["drawn"], *WEIGHT)
    return flows.sort_values(["crossing", "drawn"], kind="stable").reset_index(drop=True)


def scaled(values: pd.Series, low: float, span: float) -> np.ndarray:
    """low .. low + span by square root of the value, so symbol area follows the value."""
    values = np.clip(np.nan_to_num(values.to_numpy(dtype=float)), 0, None)
    top = values.max() if len(values) and values.max() > 0 else 1.0
    return np.round(low + span * np.sqrt(values / top), 1)


def shared_sites(facts: pd.DataFrame) -> tuple[list[list[float] | None], list[list[int]]]:
    """Symbols of schools on one site (a shared campus) fanned out on a ring around it, in screen
    pixels at every zoom, the widest symbols (a star's points) just touching, the first above the site: stacked, only the top one
    showed or took a click (41 of LAUSD's 725 schools share a site with another). Also, per school,
    the positions of the others on its site."""
    sites = facts.groupby([facts["lat"].round(5), facts["lon"].round(5)], sort=False).indices
    fan: list[list[float] | None] = [None] * len(facts)
    campus: list[list[int]] = [[] for _ in range(len(facts))]
    radius = facts["radius"].to_numpy(dtype=float)
    for members in sites.values():
        if len(members) < 2:
            continue
        ring = REACH * float(radius[members].max()) / np.sin(np.pi / len(members))
        for k, school in enumerate(members):
            angle = -np.pi / 2 + 2 * np.pi * k / len(members)
            fan[school] = [round(float(ring * np.cos(angle)), 1), round(float(ring * np.sin(angle)), 1)]
            campus[school] = [int(other) for other in members if other != school]
    return fan, campus


def broken_table(broken_edges: pd.DataFrame | None, known: set[str]) -> pd.DataFrame:
    """Broken pathways between district schools, one row per (from, to, family)."""
    if broken_edges is None:
        return pd.DataFrame(columns=list(BROKEN_COLUMNS))
    missing = [c for c in BROKEN_COLUMNS if c not in broken_edges.columns]
    if missing:
        raise ValueError(f"broken_edges lacks column(s) {', '.join(missing)}")
    table = broken_edges[list(BROKEN_COLUMNS)].copy()
    for column in ("from_id", "to_id", "family", "value_from"):
        table[column] = table[column].astype(str)
    inside = table["from_id"].isin(known) & table["to_id"].isin(known)
    return table[inside].reset_index(drop=True)


def region_areas(schools: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The regions' areas, drawn as outlines so one sees whether portfolios nest in them."""
    return voronoi_areas(schools, schools["region"].to_numpy(dtype=str))


def empty_areas() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"name": [], "anchor": []}, geometry=[], crs="EPSG:4326")


def voronoi_areas(schools: gpd.GeoDataFrame, labels: np.ndarray) -> gpd.GeoDataFrame:
    """Each label's area (a portfolio's, a region's): the union of its schools' Voronoi cells.

    One row per label, sorted: name, geometry (EPSG:4326, clipped to the district's
    buffered hull) and anchor (where its name goes). Computed in metres (the district's UTM zone). A site shared by schools of several
    portfolios goes to the first of them in file order. Shared boundaries are simplified
    once for both neighbours (coverage simplification), so areas neither gap nor overlap.
    """
    cells, extent = site_cells(schools)
    owners = gpd.GeoDataFrame({"name": labels[cells["school"].to_numpy()]}, geometry=cells.geometry)
    merged = owners.dissolve("name", sort=True)
    geometry = shapely.set_precision(merged.geometry.to_numpy(), 1.0)
    tolerance = max(10.0, SIMPLIFY_SHARE * extent)
    simplified = gpd.GeoSeries(shapely.coverage_simplify(geometry, tolerance), crs=cells.crs)
    areas = gpd.GeoDataFrame(
        {"name": merged.index.to_numpy()},
        geometry=shapely.set_precision(simplified.to_crs("EPSG:4326").to_numpy(), DEGREES),
        crs="EPSG:4326",
    )
    areas["anchor"] = [anchor(g) for g in areas.geometry]
    return areas


def site_cells(schools: gpd.GeoDataFrame) -> tuple[gpd.GeoDataFrame, float]:
    """One Voronoi cell per distinct school site (metres, the district's UTM zone), clipped to the district.

    `school` is the first school at the site in file order, which owns the cell; also
    returned: the diagonal of the sites' bounding box (m), the district's scale.
    """
    points = schools.geometry.to_crs(schools.estimate_utm_crs())
    xy = np.column_stack([points.x, points.y]).round(1)
    sites, first = np.unique(xy, axis=0, return_index=True)
    hull = shapely.multipoints(sites).convex_hull
    extent = float(np.hypot(*np.ptp(sites, axis=0))) if len(sites) > 1 else 0.0
    clip = hull.buffer(max(MIN_MARGIN_M, MARGIN_SHARE * extent))
    cells = gpd.GeoDataFrame({"school": first}, geometry=voronoi_cells(sites, clip), crs=points.crs)
    return cells, extent


def anchor(area: shapely.Geometry) -> shapely.Point:
    """Where a portfolio's name goes: inside its largest piece."""
    parts = shapely.get_parts(area)
    largest = parts[int(np.argmax(shapely.area(parts)))]
    return shapely.set_precision(largest.point_on_surface(), DEGREES)
