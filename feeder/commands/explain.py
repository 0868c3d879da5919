"""`feeder explain DISTRICT --plan P SCHOOL_ID`: why a school sits in its portfolio."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.table import Table

from feeder.commands.catalog import libraries
from feeder.commands.options import DISTRICT_HELP, MIN_CELL
from feeder.terminal import markup_safe, show_warnings

if TYPE_CHECKING:
    from feeder.explain import SchoolExplanation
    from feeder.privacy import Privacy


def register(app: typer.Typer) -> None:
    app.command("explain")(explain)


def explain(
    district: Path = typer.Argument(..., help=DISTRICT_HELP),
    school_id: str = typer.Argument(..., help="The school's school_id in schools.csv."),
    plan: Path | None = typer.Option(
        None,
        "--plan",
        help="portfolios.csv (school_id,portfolio); default: the 'portfolio' column. A move is judged by "
        "the spec in scorecard.json beside it (feeder design writes one), else the default 12-24.",
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the explanation as JSON."),
    min_cell: int = MIN_CELL,
) -> None:
    """Where a school's students come from and go, by portfolio, and why it sits where it does."""
    with libraries():
        from feeder.district import load_district
        from feeder.explain import explain_school
        from feeder.plan import Plan, rounded
        from feeder.privacy import privacy_of, with_min_cell
        from feeder.recorded_spec import resolve_spec

    loaded = with_min_cell(load_district(district), min_cell)
    # a designed plan is judged by the spec it was designed with (its scorecard.json), as serve does
    spec = resolve_spec(district=loaded, plan_file=plan, given={}, locks=None).spec
    chosen = Plan.from_csv(loaded, plan, spec=spec) if plan else Plan.current(loaded)
    explanation = explain_school(chosen, school_id)
    show_warnings(loaded.warnings)
    privacy = privacy_of(loaded)
    if as_json:
        typer.echo(json.dumps(rounded(explanation.published(privacy)), indent=2, ensure_ascii=False))
    else:
        show(explanation, Console(), privacy=privacy)


def show(explanation: SchoolExplanation, console: Console, *, privacy: Privacy) -> None:
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
            privacy.text(flow.students_in),
            share_text(flow.share_in, privacy),
            privacy.text(flow.students_out),
            share_text(flow.share_out, privacy),
        )
    table.add_row(
        "all district schools",
        privacy.text(explanation.students_in),
        "",
        privacy.text(explanation.students_out),
        "",
        style="bold",
    )
    console.print(table)
    for reason in explanation.reasons:
        console.print(f"· {markup_safe(reason)}")


def share_text(share: float | None, privacy: Privacy) -> str:
    """A share in the table: blank under the privacy rule, '—' where the school has no such flows."""
    if privacy.active:
        return ""
    return "—" if share is None else f"{share:.0%}"
