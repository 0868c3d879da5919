"""Edited areas: after a move the page draws a border exactly where two Voronoi cells of different
portfolios meet. The page holds each cell corner once and finds borders as the edges two cells share."""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path

import numpy as np
import pytest
import shapely
from test_maps_browser import browser, script_errors  # noqa: F401 (browser is a fixture)
from test_maps_edit_browser import SAMPLE, load

from feeder.district import load_district
from feeder.maps import render_maps
from feeder.maps.editor import cell_data
from feeder.maps.model import DEGREES, build_model, site_cells
from feeder.plan import Plan

pytestmark = pytest.mark.browser

Segment = frozenset[tuple[float, float]]
DRAWN_BORDERS = """
var out = [];
feeder.layers.areas.eachLayer(function (layer) {
  if (layer instanceof L.Polyline && !(layer instanceof L.Polygon)) {
    layer.getLatLngs().forEach(function (part) {
      for (var k = 1; k < part.length; k++) {
        out.push([[part[k - 1].lat, part[k - 1].lng], [part[k].lat, part[k].lng]]);
      }
    });
  }
});
return out;
"""


def borders(labels: np.ndarray, district) -> set[Segment]:
    """Each straight piece of boundary two cells of different portfolios share, as (lat, lon) ends."""
    cells, _ = site_cells(district.schools)
    owners = cells["school"].to_numpy()
    shapes = shapely.set_precision(cells.geometry.to_crs("EPSG:4326").to_numpy(), DEGREES)
    left, right = shapely.STRtree(shapes).query(shapes, predicate="touches")
    found: set[Segment] = set()
    for a, b in zip(left, right, strict=True):
        if a < b and labels[owners[a]] != labels[owners[b]]:
            shared = shapely.intersection(shapes[a].boundary, shapes[b].boundary)
            for part in shapely.get_parts(shapely.line_merge(shared)):
                if part.geom_type == "LineString":
                    xy = shapely.get_coordinates(part).round(5).tolist()
                    found.update(frozenset({(y0, x0), (y1, x1)}) for (x0, y0), (x1, y1) in pairwise(xy))
    return found


def drawn(browser) -> set[Segment]:  # noqa: F811
    return {
        frozenset((round(lat, 5), round(lon, 5)) for lat, lon in segment)
        for segment in browser.execute_script(DRAWN_BORDERS)
    }


def test_each_corner_is_written_once_and_cells_share_theirs() -> None:
    district = load_district(SAMPLE)
    data = cell_data(build_model(Plan.current(district)))
    corners = [tuple(corner) for corner in data["vertices"]]
    assert len(corners) == len(set(corners))
    used = {k for _, polygons in data["cells"] for polygon in polygons for ring in polygon for k in ring}
    assert used == set(range(len(corners)))
    assert len(corners) < sum(len(ring) for _, p in data["cells"] for polygon in p for ring in polygon) / 2


def test_borders_follow_an_edit_where_cells_of_two_portfolios_meet(browser, tmp_path: Path) -> None:  # noqa: F811
    district = load_district(SAMPLE)
    plan = Plan.current(district)
    render_maps(plan, tmp_path / "maps")
    load(browser, plan, tmp_path / "maps")
    movers = plan.portfolios()[sorted(plan.sizes())[0]][:5]
    for school in movers:
        browser.execute_script("feeder.assign(arguments[0], 'Moved')", school)
    labels = np.array(
        [("Moved" if s in movers else p) for s, p in zip(district.ids, plan.labels, strict=True)]
    )
    expected = borders(labels, district)
    assert expected != borders(plan.labels, district)
    assert drawn(browser) == expected
    for _ in movers:
        browser.execute_script("feeder.undo()")
    assert drawn(browser) == borders(plan.labels, district)
    assert script_errors(browser) == []
