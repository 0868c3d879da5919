"""The served page: the overview map of the plan, with the re-design client switched on."""

from __future__ import annotations

from importlib.resources import files

from feeder.maps.elements import data_script
from feeder.maps.features import draw
from feeder.maps.model import build_model
from feeder.maps.pages import overview_page
from feeder.plan import Plan
from feeder.serve.spec import keeps


def served_page(plan: Plan) -> str:
    """The overview page with `window.feederServer` defined before the map's scripts run, carrying
    the line of what a re-design keeps (the plan's spec). The app serves no cohort pages (a
    re-design changes the portfolios), so the page links to none."""
    model = build_model(plan, None)
    html = overview_page(model, draw(model), links={})
    spec = data_script(
        {"keeps": keeps(plan.spec, regions=plan.district.has_regions)}, variable="FEEDER_SERVE"
    )
    client = files("feeder.serve").joinpath("client.js").read_text(encoding="utf-8")
    return html.replace("<head>", f"<head>{spec.render()}<script>{client}</script>", 1)
