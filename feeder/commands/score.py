"""`feeder score DISTRICT [--plan CSV]`: the scorecard of any plan."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from feeder.commands.catalog import libraries
from feeder.commands.options import DISTRICT_HELP, MAX_SIZE, MIN_SIZE, size_spec
from feeder.terminal import show_warnings


def register(app: typer.Typer) -> None:
    app.command("score")(score)


def score(
    district: Path = typer.Argument(..., help=DISTRICT_HELP),
    plan: list[Path] | None = typer.Option(
        None,
        "--plan",
        help="portfolios.csv (school_id,portfolio), repeat to score several side by side; "
        "default: the 'portfolio' column.",
    ),
    min_size: int = MIN_SIZE,
    max_size: int = MAX_SIZE,
    as_json: bool = typer.Option(False, "--json", help="Print the scorecard as JSON."),
) -> None:
    """Print the scorecard of today's plan, a designed plan or one drawn by hand, and what it breaks."""
    with libraries():
        from feeder.district import load_district
        from feeder.goals import unmet_goals
        from feeder.plan import Plan, rounded
        from feeder.provenance import with_flows_source
        from feeder.report.terminal import print_problems, print_scorecards

    spec = size_spec(min_size, max_size)
    loaded = load_district(district)
    chosen = (
        {plan_name(path, plan): Plan.from_csv(loaded, path, spec=spec) for path in plan}
        if plan
        else {"current plan": Plan.current(loaded, spec=spec)}
    )
    cards = {}
    for name, each in chosen.items():
        cards[name] = with_flows_source(each.score(), loaded)
        cards[name]["unmet_goals"] = unmet_goals(loaded, each.labels)
    if as_json:
        show_warnings(loaded.warnings)
        typer.echo(json.dumps(rounded(next(iter(cards.values())) if len(cards) == 1 else cards), indent=2))
    else:
        print_scorecards(loaded, cards)
        print_problems(cards)


def plan_name(path: Path, others: list[Path]) -> str:
    """A plan file's name, with its folder when several plans share the file name."""
    clash = sum(other.name == path.name for other in others) > 1
    return f"{path.parent.name}/{path.name}" if clash else path.name
