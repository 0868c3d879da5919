"""Static map images for the printed report, drawn with matplotlib and no network.

matplotlib's object API (no pyplot) keeps it free of GUI backends and global state.
Portfolio areas are the union of each school's nearest-school (Voronoi) cell, clipped
to the district's outline, in the district's UTM zone so distances look right.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import shapely
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from feeder import metrics
from feeder.geo import voronoi_cells
from feeder.maps.colors import plan_colours
from feeder.plan import Plan

MARKERS = {"elementary": "o", "middle": "s", "high": "^", "span": "D"}
MARGIN_M = 800.0
DPI = 110
LABEL_STYLE = {
    "fontsize": 6.5,
    "va": "center",
    "weight": "bold",
    "bbox": {"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.75},
}
# (offset in points, alignment): on the meeting site, above, below, right of it, left of it
LABEL_SPOTS = (
    ((0, 0), "center"),
    ((0, 8), "center"),
    ((0, -8), "center"),
    ((5, 0), "left"),
    ((-5, 0), "right"),
)
NUMBER_RADIUS_PX = 6.0  # half the size of a number's label: a name must leave other sites this clear


@dataclass(frozen=True)
class Canvas:
    """What every image of one plan shares: projected schools, portfolio areas, colours, meeting sites."""

    schools: gpd.GeoDataFrame
    areas: gpd.GeoDataFrame
    colours: dict[str, str]
    medoids: dict[str, int]


def canvas(plan: Plan) -> Canvas:
    """Project the schools to their UTM zone and build the portfolio areas once per plan."""
    schools = plan.district.schools[["school_id", "name", "level", "geometry"]].copy()
    schools["portfolio"] = plan.labels
    schools = schools.to_crs(schools.estimate_utm_crs())
    colours = plan_colours(plan)
    medoids = metrics.medoids(plan.district, plan.labels)
    return Canvas(schools=schools, areas=portfolio_areas(schools), colours=colours, medoids=medoids)


def portfolio_areas(schools: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Each portfolio's area: its schools' Voronoi cells, clipped to the buffered hull of all sites.

    Schools sharing one site share its cell, so each of their portfolios gets it.
    """
    sites = np.unique(np.column_stack([schools.geometry.x, schools.geometry.y]), axis=0)
    outline = shapely.multipoints(sites).convex_hull.buffer(MARGIN_M)
    cells = gpd.GeoDataFrame(geometry=voronoi_cells(sites, outline), crs=schools.crs)
    joined = gpd.sjoin(schools[["portfolio", "geometry"]], cells, predicate="intersects")
    joined = joined[~joined.index.duplicated()]  # a site on the edge of two cells takes the first
    pieces = gpd.GeoDataFrame(
        {"portfolio": joined["portfolio"].to_numpy()},
        geometry=cells.geometry.iloc[joined["index_right"].to_numpy()].to_numpy(),
        crs=schools.crs,
    )
    return pieces.dissolve(by="portfolio", as_index=False)


def overview_png(drawn: Canvas) -> tuple[bytes, list[str]]:
    """Every portfolio's area in its colour, its name at its meeting site, schools by level.

    Returns the PNG and the names drawn as numbers (1, 2, ...) where a full name would have
    covered another: in a dense city (35 portfolios of LAUSD) names piled up unreadably.
    """
    schools, areas, colours = drawn.schools, drawn.areas, drawn.colours
    figure = Figure(figsize=(7.2, 5.2), dpi=DPI)
    FigureCanvasAgg(figure)
    axes = figure.subplots()
    areas.plot(
        ax=axes, color=[colours[p] for p in areas["portfolio"]], alpha=0.55, edgecolor="white", linewidth=1
    )
    draw_schools(axes, schools, colour="#333333", size=6)
    widest_first = areas.assign(size=areas.area).sort_values(["size", "portfolio"], ascending=[False, True])
    sites = {name: schools.geometry.iloc[medoid] for name, medoid in drawn.medoids.items()}
    labels = [(name, sites[name].x, sites[name].y) for name in widest_first["portfolio"] if name in sites]
    numbered = place_labels(axes, labels)
    return finish(figure, axes), numbered


def place_labels(axes, labels: list[tuple[str, float, float]]) -> list[str]:
    """Write each (name, x, y) in order, on its site or just beside it, where it covers no
    label already written and no other label's site; a name that fits nowhere is written as
    its number in the returned list (1-based)."""
    axes.set_aspect("equal")
    axes.apply_aspect()
    renderer = axes.figure.canvas.get_renderer()
    points_to_px = axes.figure.dpi / 72
    sites = axes.transData.transform([(x, y) for _, x, y in labels]).reshape(-1, 2)
    taken = np.empty((0, 4))
    numbered: list[str] = []
    for index, (name, x, y) in enumerate(labels):
        others = np.delete(sites, index, axis=0)
        spot = next(
            (s for s in spots(axes, renderer, name, x, y, points_to_px) if fits(s[2], taken, others)), None
        )
        if spot is None:
            numbered.append(name)
            text = axes.annotate(str(len(numbered)), (x, y), ha="center", **LABEL_STYLE)
        else:
            offset, align, _ = spot
            text = axes.annotate(
                name, (x, y), xytext=offset, textcoords="offset points", ha=align, **LABEL_STYLE
            )
        extent = text.get_window_extent(renderer)
        taken = np.vstack([taken, [extent.x0, extent.y0, extent.x1, extent.y1]])
    return numbered


def spots(axes, renderer, name: str, x: float, y: float, points_to_px: float) -> list:
    """(offset, alignment, pixel box) of each LABEL_SPOTS place, from one measured text."""
    probe = axes.annotate(name, (x, y), ha="center", **LABEL_STYLE)
    box = probe.get_window_extent(renderer)
    probe.remove()
    width, middle = box.x1 - box.x0, (box.x0 + box.x1) / 2
    places = []
    for (dx, dy), align in LABEL_SPOTS:
        left = middle + dx * points_to_px - {"center": width / 2, "left": 0.0, "right": width}[align]
        shift = dy * points_to_px
        places.append(((dx, dy), align, (left, box.y0 + shift, left + width, box.y1 + shift)))
    return places


def fits(box: tuple[float, float, float, float], taken: np.ndarray, sites: np.ndarray) -> bool:
    """No written label within half a pixel of the box, no other site within NUMBER_RADIUS_PX."""
    x0, y0, x1, y1 = box
    pad = 0.5
    covers_a_label = (
        (x0 - pad < taken[:, 2])
        & (taken[:, 0] < x1 + pad)
        & (y0 - pad < taken[:, 3])
        & (taken[:, 1] < y1 + pad)
    ).any()
    r = NUMBER_RADIUS_PX
    covers_a_site = (
        (sites[:, 0] >= x0 - r) & (sites[:, 0] <= x1 + r) & (sites[:, 1] >= y0 - r) & (sites[:, 1] <= y1 + r)
    ).any()
    return not covers_a_label and not covers_a_site


def cohort_png(drawn: Canvas, portfolio: str) -> bytes:
    """One portfolio's area and schools (by level), its meeting site as a star, neighbours in grey."""
    schools, areas = drawn.schools, drawn.areas
    members = schools["portfolio"] == portfolio
    figure = Figure(figsize=(4.6, 3.9), dpi=DPI)
    axes = figure.subplots()
    mine = areas["portfolio"] == portfolio
    areas[~mine].plot(ax=axes, color="#eeeeee", edgecolor="white", linewidth=0.8)
    areas[mine].plot(ax=axes, color=drawn.colours[portfolio], alpha=0.5, edgecolor="#333333", linewidth=1)
    draw_schools(axes, schools[~members], colour="#aaaaaa", size=5)
    draw_schools(axes, schools[members], colour="#111111", size=16)
    site = schools.geometry.iloc[drawn.medoids[portfolio]]
    axes.scatter([site.x], [site.y], marker="*", s=170, color="#ffd400", edgecolor="#111111", zorder=5)
    west, south, east, north = areas[mine].total_bounds
    pad = max(east - west, north - south) * 0.08 + MARGIN_M / 2
    axes.set_xlim(west - pad, east + pad)
    axes.set_ylim(south - pad, north + pad)
    return finish(figure, axes)


def draw_schools(axes, schools: gpd.GeoDataFrame, *, colour: str, size: float) -> None:
    for level, marker in MARKERS.items():
        chosen = schools[schools["level"] == level]
        if len(chosen):
            axes.scatter(
                chosen.geometry.x,
                chosen.geometry.y,
                marker=marker,
                s=size,
                color=colour,
                zorder=3,
                linewidths=0,
            )


def finish(figure, axes) -> bytes:
    """The figure as PNG bytes (no axes, no timestamp in the file)."""
    axes.set_aspect("equal")
    axes.set_axis_off()
    add_scale(axes)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", bbox_inches="tight", pad_inches=0.05, metadata={"Software": None})
    return buffer.getvalue()


def add_scale(axes) -> None:
    """A scale bar of a round number of km in the lower left corner."""
    west, east = axes.get_xlim()
    south, north = axes.get_ylim()
    length_km = next(k for k in (0.5, 1, 2, 5, 10, 20, 50, 100) if k * 1000 >= (east - west) / 6)
    x, y = west + (east - west) * 0.04, south + (north - south) * 0.04
    axes.plot([x, x + length_km * 1000], [y, y], color="#111111", linewidth=2)
    axes.text(x, y + (north - south) * 0.015, f"{length_km:g} km", fontsize=7)
