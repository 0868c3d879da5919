"""`feeder map DISTRICT [--plan CSV] --out DIR`: the overview and cohort maps of a plan.

A district with no plan yet (no --plan, no `portfolio` column) gets its feeder network
drawn instead: each feeder pattern (a high school and the schools whose students end up
there) is shown as one group, so planners can see the patterns before designing.
"""

from __future__ import annotations

from pathlib import Path

import typer

from feeder.alignment import broken_edges, check_alignment
from feeder.commands.options import DISTRICT_HELP
from feeder.district import District, load_district
from feeder.graph import FeederGraph
from feeder.map_folder import publish_maps
from feeder.plan import Plan, Provenance
from feeder.provenance import estimate_note

UNATTACHED = "no feeder pattern"


def register(app: typer.Typer) -> None:
    app.command("map")(map_command)


def map_command(
    district: Path = typer.Argument(..., help=DISTRICT_HELP),
    out: Path = typer.Option(
        ..., "--out", help="Folder for index.html and one cohort-<portfolio>.html each."
    ),
    plan: Path | None = typer.Option(
        None,
        "--plan",
        help="portfolios.csv (school_id,portfolio); default: the 'portfolio' column, "
        "else the feeder patterns.",
    ),
) -> None:
    """Draw a plan: a district overview and one map per cohort, each one self-contained HTML file.

    Broken program pathways (from the default alignment rules) are a layer of every map.
    Cohort pages an earlier run wrote into the folder for another plan are removed.
    """
    loaded = load_district(district)
    if plan:
        chosen = Plan.from_csv(loaded, plan)
    elif (loaded.schools["portfolio"] != "").any():
        chosen = Plan.current(loaded)
    else:
        chosen = pattern_plan(loaded)
        typer.echo(
            f"{loaded.name} has no plan yet (no --plan, no 'portfolio' column): drawing its "
            f"{len(set(chosen.labels))} feeder patterns as groups"
        )
    broken = broken_edges(check_alignment(loaded, chosen))
    written = publish_maps(chosen, out, broken_edges=broken, banner=estimate_note(loaded))
    for warning in loaded.warnings:
        typer.echo(f"warning: {warning}", err=True)
    typer.echo(f"wrote {len(written)} maps to {out}; open {out / 'index.html'}")


def pattern_plan(district: District) -> Plan:
    """Each school grouped with its feeder pattern, named after the pattern's high school."""
    graph = FeederGraph(district)
    names = dict(zip(district.schools["school_id"], district.schools["name"], strict=True))
    heads = [head for head in graph.heads if graph.pattern_of()[head] is not None]
    taken = [names[head] for head in heads]
    label = {
        head: f"{names[head]} pattern" + (f" ({head})" if taken.count(names[head]) > 1 else "")
        for head in heads
    }
    pattern = graph.pattern_of()
    labels = [label[pattern[school]] if pattern[school] else UNATTACHED for school in district.ids]
    return Plan(district, labels, provenance=Provenance(source="feeder patterns"))
