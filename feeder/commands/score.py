"""`feeder score DISTRICT [--plan CSV]`: the scorecard of any plan."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from feeder.commands.options import DISTRICT_HELP, MAX_SIZE, MIN_SIZE, size_spec
from feeder.district import load_district
from feeder.plan import Plan, rounded
from feeder.report import print_scorecards


def register(app: typer.Typer) -> None:
    app.command("score")(score)


def score(
    district: Path = typer.Argument(..., help=DISTRICT_HELP),
    plan: Path | None = typer.Option(
        None, "--plan", help="portfolios.csv (school_id,portfolio); default: the 'portfolio' column."
    ),
    min_size: int = MIN_SIZE,
    max_size: int = MAX_SIZE,
    as_json: bool = typer.Option(False, "--json", help="Print the scorecard as JSON."),
) -> None:
    """Print the scorecard of today's plan, a designed plan or one drawn by hand."""
    spec = size_spec(min_size, max_size)
    loaded = load_district(district)
    chosen = Plan.from_csv(loaded, plan, spec=spec) if plan else Plan.current(loaded, spec=spec)
    card = chosen.score()
    if as_json:
        typer.echo(json.dumps(rounded(card), indent=2))
    else:
        print_scorecards(loaded, {plan.name if plan else "current plan": card})
