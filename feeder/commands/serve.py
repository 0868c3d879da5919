"""`feeder serve DISTRICT`: the map editor as a local web app, with re-design around locks."""

from __future__ import annotations

import contextlib
import errno
import socket
from pathlib import Path

import typer

from feeder.commands.catalog import libraries
from feeder.commands.options import DISTRICT_HELP, MIN_CELL
from feeder.errors import OptionError
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
    with libraries():
        import uvicorn

        from feeder.design import design
        from feeder.district import load_district
        from feeder.plan import Plan
        from feeder.privacy import with_min_cell
        from feeder.serve import create_app
        from feeder.serve.page import served_page
        from feeder.serve.server import StoppingServer

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
    listening = bound_socket(port)
    with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C is how a server stops; uvicorn raises it again
        typer.echo(f"feeder serve: open http://{HOST}:{port}/ in a browser (Ctrl-C stops the server)")
        StoppingServer(uvicorn.Config(app, log_level="warning"), app.state.runner).run(sockets=[listening])
    typer.echo("stopped")


def bound_socket(port: int) -> socket.socket:
    """The server's socket, bound here so that a port in use is one line before the URL is printed."""
    listening = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listening.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds it
    try:
        listening.bind((HOST, port))
        listening.listen()  # connections wait from now on, so the URL printed next works at once
    except OSError as error:
        listening.close()
        if error.errno == errno.EADDRINUSE:
            raise OptionError(f"--port {port}: another program listens there; choose another port") from None
        raise OptionError(f"--port {port}: cannot listen there ({error.strerror})") from None
    return listening
