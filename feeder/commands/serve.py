"""`feeder serve DISTRICT`: the map editor as a local web app, with re-design around locks."""

from __future__ import annotations

from pathlib import Path

import typer
import uvicorn

from feeder.commands.options import DISTRICT_HELP, MIN_CELL
from feeder.design import design
from feeder.district import load_district
from feeder.errors import OptionError
from feeder.plan import Plan
from feeder.privacy import with_min_cell
from feeder.serve import create_app
from feeder.serve.page import served_page
from feeder.terminal import show_warnings

HOST = "127.0.0.1"


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)


def serve(
    district: Path = typer.Argument(..., help=DISTRICT_HELP),
    plan: Path | None = typer.Option(
        None,
        "--plan",
        help="portfolios.csv to start from; default: today's 'portfolio' column, else a new design.",
    ),
    port: int = typer.Option(
        8765, "--port", help="Port on 127.0.0.1 (the app is never exposed beyond this machine)."
    ),
    min_cell: int = MIN_CELL,
) -> None:
    """Open the plan in a local web app: edit it on the map and re-design around your locks."""
    if not 1 <= port <= 65535:
        raise OptionError(f"--port {port} must be between 1 and 65535")
    loaded = with_min_cell(load_district(district), min_cell)
    if plan is not None:
        starting = Plan.from_csv(loaded, plan)
    elif loaded.has_current_plan:
        starting = Plan.current(loaded)
    else:
        typer.echo("no plan given and no 'portfolio' column: designing a first plan ...")
        starting = design(loaded)
    show_warnings(loaded.warnings)
    app = create_app(starting, page=served_page(starting))
    typer.echo(f"feeder serve: open http://{HOST}:{port}/ in a browser (Ctrl-C stops the server)")
    uvicorn.run(app, host=HOST, port=port, log_level="warning")
    typer.echo("stopped")
