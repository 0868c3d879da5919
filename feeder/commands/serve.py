"""`feeder serve DISTRICT`: the map editor as a local web app, with re-design around locks."""

from __future__ import annotations

import contextlib
import errno
import socket
from pathlib import Path
from typing import Any

import typer
from typer._click.core import ParameterSource  # typer vendors click; its enum lives here

from feeder.clock import Clock
from feeder.commands.catalog import libraries
from feeder.commands.options import (
    BALANCE,
    CONTIGUOUS,
    DISTRICT_HELP,
    LOCK,
    MAX_SIZE,
    MIN_CELL,
    MIN_SIZE,
    STABILITY,
    WITHIN_OR_ACROSS,
)
from feeder.errors import OptionError
from feeder.terminal import show_warnings

HOST = "127.0.0.1"
NONE = "0: none, even if the plan's scorecard.json sets one"
# design's --k, --max-enrollment and --max-high-schools, with a way to drop the plan's recorded value
K = typer.Option(None, "--k", help=f"Number of portfolios (default: whatever scores best; {NONE}).")
MAX_ENROLLMENT = typer.Option(
    None, "--max-enrollment", help=f"Most students in one portfolio (hard limit; {NONE})."
)
MAX_HIGH_SCHOOLS = typer.Option(
    None, "--max-high-schools", help=f"Most high schools in one portfolio (hard limit; {NONE})."
)


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)


def serve(
    context: typer.Context,
    district: Path = typer.Argument(..., help=DISTRICT_HELP),
    plan: Path | None = typer.Option(
        None,
        "--plan",
        help="portfolios.csv to start from; default: today's 'portfolio' column, else a new design. "
        "The spec in scorecard.json beside it (feeder design writes one) is what a re-design keeps.",
    ),
    port: int = typer.Option(
        8765, "--port", help="Port on 127.0.0.1 (the app is never exposed beyond this machine)."
    ),
    min_size: int = MIN_SIZE,
    max_size: int = MAX_SIZE,
    k: int | None = K,
    within_region: bool = WITHIN_OR_ACROSS,
    contiguous: bool = CONTIGUOUS,
    stability: float = STABILITY,
    balance: float = BALANCE,
    lock: Path | None = LOCK,
    no_locks: bool = typer.Option(
        False,
        "--no-locks",
        help="Re-design without the locks the plan's scorecard.json records (the page may still lock schools).",
    ),
    lock_cost: bool = typer.Option(
        True,
        "--lock-cost/--no-lock-cost",
        help="With locks: each re-design also designs without them (same seed) and the page says what "
        "they cost in cohesion. Takes a second search.",
    ),
    time_limit: float | None = typer.Option(
        None,
        "--time-limit",
        help="Safety cap in seconds on each re-design (the search normally stops on its own budget); "
        "the search without locks gets its share, as in feeder design.",
    ),
    max_enrollment: float | None = MAX_ENROLLMENT,
    max_high_schools: int | None = MAX_HIGH_SCHOOLS,
    min_cell: int = MIN_CELL,
) -> None:
    """Open the plan in a local web app: edit it on the map and re-design around your locks.

    A re-design keeps the plan's spec: the one in scorecard.json beside --plan, with each spec
    option given here replacing its value (without either, the defaults shown); 0 for --k,
    --max-enrollment or --max-high-schools drops that limit, --no-locks the recorded locks.
    """
    with libraries():
        import uvicorn

        from feeder.design import design
        from feeder.design.locks import read_locks
        from feeder.district import load_district
        from feeder.plan import Plan
        from feeder.privacy import with_min_cell
        from feeder.serve import create_app
        from feeder.serve.page import served_page
        from feeder.serve.server import StoppingServer
        from feeder.serve.spec import keeps, served_spec

    if not 1 <= port <= 65535:
        raise OptionError(f"--port {port} must be between 1 and 65535")
    Clock.start(time_limit)  # refuse a bad --time-limit before reading the district
    if no_locks and lock is not None:
        raise OptionError("--no-locks and --lock: give one (--lock replaces the recorded locks already)")
    chosen: dict[str, Any] = {
        "min_size": min_size,
        "max_size": max_size,
        "k": k,
        "within_region": within_region,
        "contiguous": contiguous,
        "stability": stability,
        "balance": balance,
        "max_enrollment": max_enrollment,
        "max_high_schools": max_high_schools,
    }
    given = {name: value for name, value in chosen.items() if on_command_line(context, name)}
    loaded = with_min_cell(load_district(district), min_cell)
    locks = None if lock is None else read_locks(lock, district=loaded)
    served = served_spec(district=loaded, plan_file=plan, given=given, locks=locks, no_locks=no_locks)
    if plan is not None:
        starting = Plan.from_csv(loaded, plan, spec=served.spec)
    elif loaded.has_current_plan:
        starting = Plan.current(loaded, spec=served.spec)
    else:
        typer.echo("no plan given and no 'portfolio' column: designing a first plan ...")
        starting = design(loaded, spec=served.spec)
    show_warnings(loaded.warnings)
    app = create_app(starting, page=served_page(starting), time_limit=time_limit, lock_cost=lock_cost)
    listening = bound_socket(port)
    typer.echo(f"re-design keeps: {keeps(served.spec, regions=loaded.has_regions)} ({served.source})")
    with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C is how a server stops; uvicorn raises it again
        typer.echo(f"feeder serve: open http://{HOST}:{port}/ in a browser (Ctrl-C stops the server)")
        StoppingServer(uvicorn.Config(app, log_level="warning"), app.state.runner).run(sockets=[listening])
    typer.echo("stopped")


def on_command_line(context: typer.Context, name: str) -> bool:
    """Whether option `name` was given (then it overrides the plan's recorded spec), not defaulted."""
    return context.get_parameter_source(name) not in (
        None,
        ParameterSource.DEFAULT,
        ParameterSource.DEFAULT_MAP,
    )


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
