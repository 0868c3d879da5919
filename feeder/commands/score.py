"""`feeder score DISTRICT [--plan CSV]`: the scorecard of any plan."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from feeder.district import load_district
from feeder.plan import DEFAULT_MAX_SIZE, DEFAULT_MIN_SIZE, Plan, rounded
from feeder.report import print_scorecards
from feeder.sizes import check_size_range
from feeder.terminal import show_warnings


def register(app: typer.Typer) -> None:
    app.command("score")(score)


def score(
    district: Path = typer.Argument(..., help="District folder (FORMAT.md)."),
    plan: Path | None = typer.Option(
        None, "--plan", help="portfolios.csv (school_id,portfolio); default: the 'portfolio' column."
    ),
    min_size: int = typer.Option(DEFAULT_MIN_SIZE, "--min-size", help="Smallest allowed portfolio."),
    max_size: int = typer.Option(DEFAULT_MAX_SIZE, "--max-size", help="Largest allowed portfolio."),
    as_json: bool = typer.Option(False, "--json", help="Print the scorecard as JSON."),
) -> None:
    """Print the scorecard of today's plan, a designed plan or one drawn by hand."""
    check_size_range(min_size, max_size)
    loaded = load_district(district)
    sizes = {"min_size": min_size, "max_size": max_size}
    chosen = Plan.from_csv(loaded, plan, **sizes) if plan else Plan.current(loaded, **sizes)
    card = chosen.score()
    if as_json:
        show_warnings(loaded.warnings)
        typer.echo(json.dumps(rounded(card), indent=2))
    else:
        print_scorecards(loaded, {plan.name if plan else "current plan": card})
