"""`feeder graph DISTRICT`: the district's feeder patterns, split feeders and leakage."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, cast

import typer
from rich.console import Console
from rich.table import Table

from feeder.commands.catalog import libraries
from feeder.commands.options import DISTRICT_HELP, MIN_CELL
from feeder.terminal import markup_safe, show_warnings

if TYPE_CHECKING:
    from feeder.privacy import Privacy


def register(app: typer.Typer) -> None:
    app.command("graph")(graph)


def graph(
    district: Path = typer.Argument(..., help=DISTRICT_HELP),
    as_json: bool = typer.Option(
        False, "--json", help="Print machine-readable JSON to stdout instead of tables."
    ),
    min_cell: int = MIN_CELL,
) -> None:
    """Print the feeder patterns of a district: who feeds each high school, split feeders, leakage."""
    with libraries():
        from feeder.district import load_district
        from feeder.graph import FeederGraph
        from feeder.privacy import privacy_of, with_min_cell

    loaded = with_min_cell(load_district(district), min_cell)
    summary = FeederGraph(loaded).summary()
    privacy = privacy_of(loaded)
    if as_json:
        show_warnings(summary["warnings"])
        typer.echo(json.dumps(published(summary, privacy), indent=2, ensure_ascii=False))
    else:
        render(summary, Console(soft_wrap=True), privacy=privacy)


def published(summary: dict, privacy: Privacy) -> dict:
    """The summary with its student counts (totals, per pattern, leakage per school) as the privacy rule shows them."""
    document = cast(dict, privacy.publish(summary, keys=frozenset({"students"})))
    leaving = summary["leakage"]
    share = privacy.share(leaving["students"], leaving["moving"])  # of published counts: see privacy.py
    leakage = {
        **document["leakage"],
        "moving": privacy.counts(leaving["moving"]),
        "share": None if share is None else round(share, 4),
        "schools": privacy.counts(leaving["schools"]),
    }
    return {
        **document,
        "leakage": leakage,
        "split_feeders": [hide_shares(split, privacy) for split in document["split_feeders"]],
    }


def hide_shares(split: dict, privacy: Privacy) -> dict:
    """A split feeder's shares of its exact total, left out (None) when the rule is active: they
    would give its small flows away (1 of 12 is 8 %); its published counts stay."""
    return {**split, "shares": dict.fromkeys(split["shares"])} if privacy.active else split


def render(summary: dict, console: Console, *, privacy: Privacy) -> None:
    """Write the summary as a few readable tables and lines."""
    console.print(
        f"[bold]{markup_safe(summary['district'])}[/]: {summary['schools']} schools, {summary['flows']} flows, "
        f"{privacy.text(summary['students'])} students moving between schools, {len(summary['patterns'])} feeder patterns",
        highlight=False,
    )
    console.print(pattern_table(summary["patterns"], privacy=privacy))
    splits = summary["split_feeders"]
    names = summary["names"]
    console.print(split_table(splits, names=names, privacy=privacy) if splits else "Split feeders: none")
    leakage = summary["leakage"]
    share = privacy.share(leakage["students"], leakage["moving"])
    of_all = "" if share is None else f" ({share:.1%} of all moving)"
    console.print(
        f"Leakage: {privacy.text(leakage['students'])} students{of_all} leave the district "
        f"from {len(leakage['schools'])} schools"
        + "".join(
            f"\n  {markup_safe(named(school, names))}: {privacy.text(students)}"
            for school, students in top(leakage["schools"])
        )
    )
    unattached = summary["unattached"]
    console.print(f"Unattached schools (no dominant path to a high school): {len(unattached)}")
    if unattached:
        console.print("  " + markup_safe(", ".join(named(school, names) for school in unattached)))
    for warning in summary["warnings"]:
        console.print(f"[yellow]warning:[/] {markup_safe(warning)}", markup=True, highlight=False)


def pattern_table(patterns: list[dict], *, privacy: Privacy) -> Table:
    table = Table(title="Feeder patterns (members follow their largest flow to a high school)")
    for column in ("head", "name", "elem", "middle", "span", "students", "enrollment"):
        table.add_column(column, justify="left" if column in ("head", "name") else "right")
    for pattern in patterns:
        counts = pattern["counts"]
        table.add_row(
            markup_safe(pattern["head"]),
            markup_safe(pattern["name"]),
            str(counts["elementary"]),
            str(counts["middle"]),
            str(counts["span"]),
            privacy.text(pattern["students"]),
            f"{pattern['enrollment']:,.0f}",
        )
    return table


def split_table(splits: list[dict], *, names: dict[str, str], privacy: Privacy) -> Table:
    """Each split feeder's destinations with their shares, or, when the shares would give a small
    count away (flows from records), with the students each receives as the rule publishes them."""
    table = Table(title=f"Split feeders: {len(splits)} schools send over 10% past their main destination")
    what = "students sent" if privacy.active else "share of students sent"
    for column in ("school", "name", f"destinations ({what})"):
        table.add_column(column)
    for split in splits:
        destinations = ", ".join(
            f"{named(school, names)} {privacy.text(split['students'][school]) if privacy.active else f'{share:.0%}'}"
            for school, share in split["shares"].items()
        )
        table.add_row(markup_safe(split["school_id"]), markup_safe(split["name"]), markup_safe(destinations))
    return table


def named(school: str, names: dict[str, str]) -> str:
    """A school as planners know it, its id beside the name: 'Willard Ms (WMS)'."""
    return f"{names[school]} ({school})"


def top(students: dict[str, float], count: int = 10) -> list[tuple[str, float]]:
    """The schools losing the most students, largest first."""
    return sorted(students.items(), key=lambda item: -item[1])[:count]
