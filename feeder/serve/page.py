"""The served page: the overview map of the plan, with the re-design client switched on."""

from __future__ import annotations

from importlib.resources import files

from feeder.maps.features import draw
from feeder.maps.model import build_model
from feeder.maps.pages import overview_page
from feeder.plan import Plan


def served_page(plan: Plan) -> str:
    """The overview page with `window.feederServer` defined before the map's scripts run. The app
    serves no cohort pages (a re-design changes the portfolios), so the page links to none."""
    model = build_model(plan, None)
    html = overview_page(model, draw(model), links={})
    client = files("feeder.serve").joinpath("client.js").read_text(encoding="utf-8")
    return html.replace("<head>", f"<head><script>{client}</script>", 1)
