"""`feeder map DISTRICT [--plan CSV] --out DIR`: the overview and cohort maps of a plan.

A district with no plan yet (no --plan, no `portfolio` column) gets its feeder network
drawn instead: each feeder pattern (a high school and the schools whose students end up
there) is shown as one group, so planners can see the patterns before designing.
"""

from __future__ import annotations

from pathlib import Path

import typer

from feeder.commands.catalog import libraries
from feeder.commands.options import DISTRICT_HELP, MIN_CELL, out_folder
from feeder.terminal import show_warnings


def register(app: typer.Typer) -> None:
    app.command("map")(map_command)


def map_command(
    district: Path = typer.Argument(..., help=DISTRICT_HELP),
    out: Path = typer.Option(
        ..., "--out", callback=out_folder, help="Folder for index.html and one cohort-<portfolio>.html each."
    ),
    plan: Path | None = typer.Option(
        None,
        "--plan",
        help="portfolios.csv (school_id,portfolio); default: the 'portfolio' column, "
        "else the feeder patterns. The spec in scorecard.json beside it (feeder design writes one) "
        "is what the editor judges edits by, as in feeder serve.",
    ),
    min_cell: int = MIN_CELL,
) -> None:
    """Draw a plan: a district overview and one map per cohort, each one self-contained HTML file.

    Broken program pathways (from the default alignment rules) are a layer of every map. The
    overview's editor judges edits by the spec in the scorecard.json beside --plan (its locks
    locked when the page opens), as `feeder serve` does.
    Cohort pages an earlier run wrote into the folder for another plan are removed.
    """
    with libraries():
        from feeder.alignment import broken_edges, check_alignment
        from feeder.district import load_district
        from feeder.maps.folder import publish_maps
        from feeder.pattern_plan import SOURCE, plan_to_show
        from feeder.plan import Plan
        from feeder.privacy import with_min_cell
        from feeder.provenance import estimate_note
        from feeder.recorded_spec import resolve_spec

    loaded = with_min_cell(load_district(district), min_cell)
    if plan is None:
        chosen = plan_to_show(loaded, None)
    else:  # judged by the spec it was designed with (its scorecard.json), as serve and explain do
        recorded = resolve_spec(district=loaded, plan_file=plan, given={}, locks=None)
        chosen = Plan.from_csv(loaded, plan, spec=recorded.spec)
        typer.echo(f"the map's editor judges the plan by {recorded.source}")
    if chosen.provenance.source == SOURCE:
        typer.echo(
            f"{loaded.name} has no plan yet (no --plan, no 'portfolio' column): drawing its "
            f"{len(set(chosen.labels))} feeder patterns as groups"
        )
    broken = broken_edges(check_alignment(loaded, chosen))
    written = publish_maps(chosen, out, broken_edges=broken, banner=estimate_note(loaded))
    show_warnings(loaded.warnings)
    typer.echo(f"wrote {len(written)} maps to {out}; open {out / 'index.html'}")
