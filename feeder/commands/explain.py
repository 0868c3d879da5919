"""`feeder explain DISTRICT --plan P SCHOOL_ID`: why a school sits in its portfolio."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from feeder.commands.options import DISTRICT_HELP
from feeder.district import load_district
from feeder.explain import SchoolExplanation, explain_school
from feeder.plan import Plan, rounded
from feeder.terminal import markup_safe


def register(app: typer.Typer) -> None:
    app.command("explain")(explain)


def explain(
    district: Path = typer.Argument(..., help=DISTRICT_HELP),
    school_id: str = typer.Argument(..., help="The school's school_id in schools.csv."),
    plan: Path | None = typer.Option(
        None, "--plan", help="portfolios.csv (school_id,portfolio); default: the 'portfolio' column."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the explanation as JSON."),
) -> None:
    """Where a school's students come from and go, by portfolio, and why it sits where it does."""
    loaded = load_district(district)
    chosen = Plan.from_csv(loaded, plan) if plan else Plan.current(loaded)
    explanation = explain_school(chosen, school_id)
    if as_json:
        typer.echo(json.dumps(rounded(explanation.as_dict()), indent=2, ensure_ascii=False))
    else:
        show(explanation, Console())


def show(explanation: SchoolExplanation, console: Console) -> None:
    """The flows table, then the reasons in plain words."""
    table = Table(
        title=markup_safe(f"{explanation.name} ({explanation.school_id}) in {explanation.portfolio}"),
        title_justify="left",
    )
    for column in ("portfolio", "students from", "share", "students to", "share"):
        table.add_column(column, justify="left" if column == "portfolio" else "right")
    for flow in explanation.flows:
        mark = " (its own)" if flow.portfolio == explanation.portfolio else ""
        table.add_row(
            markup_safe(flow.portfolio + mark),
            f"{flow.students_in:,.0f}",
            f"{flow.share_in:.0%}",
            f"{flow.students_out:,.0f}",
            f"{flow.share_out:.0%}",
        )
    table.add_row(
        "all district schools",
        f"{explanation.students_in:,.0f}",
        "",
        f"{explanation.students_out:,.0f}",
        "",
        style="bold",
    )
    console.print(table)
    for reason in explanation.reasons:
        console.print(f"· {markup_safe(reason)}")
