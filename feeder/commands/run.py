"""`feeder run`: the main job, end to end, on the bundled sample district or your own.

Load → feeder graph → design → scorecards (today's plan beside the new one) →
alignment → maps. Every table is computed before anything is written, so bad input
stops the run with one line and no files.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console

from feeder.clock import Clock
from feeder.commands.catalog import libraries
from feeder.commands.design import plan_files
from feeder.commands.options import MAX_SIZE, MIN_CELL, MIN_SIZE, SEED, maps_folder, out_folder
from feeder.io.output import one_publication, write_files
from feeder.sample import sample_path
from feeder.spec import DesignSpec
from feeder.terminal import markup_safe

if TYPE_CHECKING:
    from feeder.district import District

DEFAULT_OUT = Path("feeder-output")
DEFAULT_MAPS = Path("maps")


def register(app: typer.Typer) -> None:
    app.command("run")(run)


def run(
    district: Path | None = typer.Argument(
        None, help="District folder (docs/FORMAT.md); default: the bundled LA South & East sample."
    ),
    out: Path = typer.Option(
        DEFAULT_OUT, "--out", callback=out_folder, help="Folder for portfolios, scorecards and alignment."
    ),
    maps: Path = typer.Option(DEFAULT_MAPS, "--maps", callback=maps_folder, help="Folder for the HTML maps."),
    min_size: int = MIN_SIZE,
    max_size: int = MAX_SIZE,
    within_region: bool | None = typer.Option(
        None,
        "--within-region/--across-regions",
        help="Keep portfolios inside regions (default: yes when the district has regions; "
        "`feeder design` does not nest unless given --within-region).",
    ),
    seed: int = SEED,
    min_cell: int = MIN_CELL,
) -> None:
    """Design portfolios, score them beside today's plan, check alignment and draw the maps."""
    with libraries():
        from feeder.alignment import broken_edges, check_alignment
        from feeder.alignment.report import alignment_csv, alignment_json, print_summary
        from feeder.design import design
        from feeder.district import load_district
        from feeder.maps.folder import publish_maps
        from feeder.plan import scorecard_json
        from feeder.privacy import data_notes, with_min_cell
        from feeder.provenance import estimate_note, with_flows_source
        from feeder.report.terminal import print_scorecards

    DesignSpec(min_size=min_size, max_size=max_size)  # refuse bad sizes before loading
    console = Console()
    clock = Clock.start(None)  # from the process's start, as design's printed time
    loaded = with_min_cell(load_district(district if district is not None else sample_path()), min_cell)
    nested = loaded.has_regions if within_region is None else within_region
    console.rule(
        f"[bold]{markup_safe(loaded.name)}[/bold]: {len(loaded.schools)} schools, "
        f"flows from {markup_safe(loaded.flows_source)}"
    )
    if loaded.provenance:
        console.print(f"[dim]data: {markup_safe(loaded.provenance)}[/dim]")
    describe_graph(loaded, console)

    spec = DesignSpec(min_size=min_size, max_size=max_size, within_region=nested)
    plan = design(loaded, spec=spec, seed=seed)
    cards = {"designed plan": plan.score()}
    today = current_card(loaded, spec)
    if today is not None:
        cards = {"today's plan": today, **cards}
    print_scorecards(loaded, cards, console, with_warnings=False)  # shown with the graph summary

    alignment = check_alignment(loaded, plan)
    print_summary(alignment, console)
    seconds = clock.elapsed()
    tables = {
        **plan_files(plan, with_flows_source(cards["designed plan"], loaded)),
        "alignment.csv": alignment_csv(alignment),
        "alignment.json": alignment_json(alignment),
        "run.json": json.dumps({"district": str(loaded.path), "seconds": round(seconds, 2)}, indent=2) + "\n",
    }
    if "today's plan" in cards:
        current = with_flows_source(cards["today's plan"], loaded)
        tables["scorecard-current.json"] = scorecard_json({**current, "data_warnings": data_notes(loaded)})
    with one_publication():
        write_files(out, tables)
        written = publish_maps(plan, maps, broken_edges=broken_edges(alignment), banner=estimate_note(loaded))
    console.print(
        f"wrote {len(tables)} tables to [bold]{markup_safe(str(out))}/[/bold] and {len(written)} maps to "
        f"[bold]{markup_safe(str(maps))}/[/bold] in {clock.elapsed():.1f} s"
    )
    console.print(f"open {markup_safe(str(maps / 'index.html'))} in a browser for the district overview")


def describe_graph(district: District, console: Console) -> None:
    """One paragraph on the feeder patterns, so planners see what the design keeps together."""
    from feeder.graph import FeederGraph
    from feeder.privacy import privacy_of

    graph = FeederGraph(district)
    summary = graph.summary()
    console.print(
        f"{len(graph.patterns())} feeder patterns, {len(graph.split_feeders())} split feeders, "
        f"{privacy_of(district).text(summary['leakage']['students'])} students leaving the district "
        f"({summary['leakage']['share']:.1%})"
    )
    for warning in district.warnings:
        console.print(f"[yellow]warning:[/yellow] {markup_safe(warning)}")


def current_card(district: District, spec: DesignSpec) -> dict | None:
    """Today's plan's scorecard, or None when the district has no complete `portfolio` column."""
    from feeder.plan import Plan

    if not district.has_current_plan:
        return None
    return Plan.current(district, spec=spec).score()
