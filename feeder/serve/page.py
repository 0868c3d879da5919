"""The served page: the overview map of the plan, told where the re-design API is."""

from __future__ import annotations

import json

from feeder.maps import cohort_file_names
from feeder.maps.features import draw
from feeder.maps.model import build_model
from feeder.maps.pages import overview_page
from feeder.plan import Plan

SERVER_CONFIG = {"designUrl": "/api/design"}


def served_page(plan: Plan) -> str:
    """The overview page with `window.feederServer` set, which turns on the re-design button."""
    model = build_model(plan, None)
    html = overview_page(model, draw(model), cohort_file_names(sorted(model.colours)))
    script = f"<script>window.feederServer = {json.dumps(SERVER_CONFIG)};</script>"
    return html.replace("<head>", "<head>" + script, 1)
