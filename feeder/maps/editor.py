"""What the overview page's edit mode needs to score any plan in the browser exactly as Python does.

The page recomputes every METRICS.md metric after each edit. Rather than re-deriving
anything in JavaScript (the Delaunay triangulation above all), Python hands over the
very inputs feeder.metrics uses: school facts in schools.csv order, the internal flows
in district order and the Delaunay edges. The Voronoi cell of every site lets the page
redraw portfolio areas; the borders between cells are the edges two cells share, which
the page finds itself (edit-ui.js) rather than hold each twice.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import shapely

from feeder.maps import counts
from feeder.maps.assets import own_file
from feeder.maps.colors import PALETTE
from feeder.maps.elements import Raw, data_script
from feeder.maps.model import DEGREES, MapModel, site_cells
from feeder.privacy import privacy_of, shown_cohesion

PLACES = 5
SCRIPTS = ("edit-score.js", "edit-plan.js", "edit-panel.js", "edit-ui.js")


def edit_scripts(model: MapModel) -> list[Raw]:
    """The edit mode's data and scripts, inline so the page edits offline."""
    code = "\n".join(own_file(name) for name in SCRIPTS)
    return [data_script(edit_data(model), variable="FEEDER_EDIT"), Raw(f"<script>{code}</script>")]


def edit_section() -> str:
    """The edit mode's tools, live scorecard and portfolio table; edit-ui.js brings them to life."""
    button = '<button type="button" data-ref="{}">{}</button>'.format
    return (
        '<section class="feeder-edit"><h2>Edit this plan</h2>'
        + button("toggle", "Edit this plan")
        + '<div data-ref="tools" hidden>'
        '<p class="feeder-note">Click schools to select them (blue outline); Shift-drag draws a '
        "rectangle around several. Locked schools have a dashed black outline.</p>"
        '<p><span data-ref="selection"></span> ' + button("clear", "Clear") + "</p>"
        '<p>Move to <select data-ref="target"></select> '
        '<input data-ref="newName" placeholder="new portfolio name" size="16"> '
        + button("move", "Move")
        + "</p><p>"
        + button("lock", "Lock")
        + button("unlock", "Unlock")
        + button("undo", "Undo")
        + button("redo", "Redo")
        + "</p></div><p>"
        + button("savePlan", "Download plan (portfolios.csv)")
        + button("saveLocks", "Download locks (locks.csv)")
        + '<button type="button" data-ref="redesign" hidden>Re-design around my locks</button></p>'
        '<p class="feeder-note" data-ref="keeps" hidden></p>'
        '<p class="feeder-note" data-ref="message" role="status"></p>'
        '<h2>Scorecard</h2><table class="feeder-members feeder-scorecard"><tbody data-ref="scorecard"></tbody></table>'
        '<table class="feeder-members"><thead><tr><th>Portfolio</th><th class=num>Schools</th>'
        "<th class=num>Students</th><th>Meeting site</th><th class=num>Mean km</th><th class=num>Max km</th>"
        '</tr></thead><tbody data-ref="portfolios"></tbody></table></section>'
    )


def edit_data(model: MapModel) -> dict[str, Any]:
    """The page's FEEDER_EDIT object: metric inputs, today's plan, colours, site cells and every
    hard constraint of the plan's spec (sizes, count, regions, caps, locks, contiguity), so an edit
    that breaks one shows at once, as `feeder score` would word it."""
    plan = model.plan
    spec = plan.spec
    district = plan.district
    schools = district.schools
    sender, receiver, students = district.flow_positions
    privacy = privacy_of(district)
    return {
        "ids": schools["school_id"].tolist(),
        "names": schools["name"].tolist(),
        "lat": schools["lat"].astype(float).tolist(),
        "lon": schools["lon"].astype(float).tolist(),
        "gradeLo": optional(schools["grade_lo"]),
        "gradeHi": optional(schools["grade_hi"]),
        "enrollment": optional(schools["enrollment"]),
        "need": optional(schools["need_index"]),
        "region": schools["region"].tolist() if district.has_regions else None,
        "today": schools["portfolio"].tolist(),
        "labels": [str(label) for label in plan.labels],
        "flows": [
            [int(a), int(b), counts.scored_count(s, privacy=privacy)]
            for a, b, s in zip(sender, receiver, students, strict=True)
        ],
        "flowsApproximate": privacy.active,
        "minCell": privacy.min_cell,  # the small-cell rule popups publish edited sums by
        "exact": exact_flow_metrics(model) if privacy.active else None,
        "edges": sorted([int(a), int(b)] for a, b in model.edges),
        "highSchools": np.flatnonzero(schools["level"] == "high").tolist(),  # what --max-high-schools counts
        "minSize": plan.min_size,
        "maxSize": plan.max_size,
        "k": spec.k,
        "withinRegion": spec.within_region,
        "maxEnrollment": spec.max_enrollment,
        "maxHighSchools": spec.max_high_schools,
        "locks": [list(lock) for lock in spec.locks],  # [school id, lock name]: locked when the page opens
        "contiguous": spec.contiguous,
        "palette": list(PALETTE),
        "colours": dict(sorted(model.colours.items())),
        **cell_data(model),
    }


def exact_flow_metrics(model: MapModel) -> dict[str, Any]:
    """The drawn plan's cohesion and split schools as the scorecard publishes them (cohesion from the
    exact counts, as a ratio of published ones under the small-cell rule): the page shows them until
    an edit, then adds the change its published counts estimate, instead of a cohesion recomputed
    from its rounded flows (80 % for 89 %)."""
    return {
        "cohesion": shown_cohesion(model.plan.district, model.plan.labels),
        "split": [bool(split) for split in model.schools["split"]],
    }


def optional(column: Any) -> list[float | None]:
    """Numbers with missing values as null (JSON has no NaN)."""
    return [None if pd.isna(value) else float(value) for value in column]


def cell_data(model: MapModel) -> dict[str, list]:
    """Each site's Voronoi cell, owned by its first school, its rings as indices into `vertices`
    ([lon, lat], each corner written once: touching cells share theirs, 1,000 cells hold 6,700
    corners of 2,000 points). The page finds the border between two cells as the edges they share.

    cells: [owner school position, polygons as lists of rings (corner indices, not closed)].
    """
    cells, _ = site_cells(model.plan.district.schools)
    degrees = shapely.set_precision(cells.geometry.to_crs("EPSG:4326").to_numpy(), DEGREES)
    corners: dict[tuple[float, float], int] = {}

    def indices(ring: list[list[float]]) -> list[int]:
        return [corners.setdefault((x, y), len(corners)) for x, y in ring[:-1]]

    owned = [
        [int(owner), [[indices(ring) for ring in polygon] for polygon in polygon_rings(cell)]]
        for owner, cell in zip(cells["school"].to_numpy(), degrees, strict=True)
    ]
    return {"vertices": [list(corner) for corner in corners], "cells": owned}


def polygon_rings(cell: shapely.Geometry) -> list[list[list[list[float]]]]:
    """A cell as GeoJSON MultiPolygon coordinates (clipping may leave a polygon in pieces)."""
    return [
        [points(part.exterior), *(points(hole) for hole in part.interiors)]
        for part in shapely.get_parts(cell)
        if part.geom_type == "Polygon"
    ]


def points(line: shapely.Geometry) -> list[list[float]]:
    return [[round(x, PLACES), round(y, PLACES)] for x, y in shapely.get_coordinates(line).tolist()]
