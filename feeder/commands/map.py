"""`feeder map DISTRICT [--plan CSV] --out DIR`: the overview and cohort maps of a plan."""

from __future__ import annotations

from pathlib import Path

import typer

from feeder.alignment import broken_edges, check_alignment
from feeder.district import load_district
from feeder.maps import render_maps
from feeder.plan import Plan
from feeder.terminal import show_warnings


def register(app: typer.Typer) -> None:
    app.command("map")(map_command)


def map_command(
    district: Path = typer.Argument(..., help="District folder (FORMAT.md)."),
    out: Path = typer.Option(
        ..., "--out", help="Folder for index.html and one cohort-<portfolio>.html each."
    ),
    plan: Path | None = typer.Option(
        None, "--plan", help="portfolios.csv (school_id,portfolio); default: the 'portfolio' column."
    ),
) -> None:
    """Draw a plan: a district overview and one map per cohort, each one self-contained HTML file.

    Broken program pathways (from the default alignment rules) are a layer of every map.
    """
    loaded = load_district(district)
    chosen = Plan.from_csv(loaded, plan) if plan else Plan.current(loaded)
    broken = broken_edges(check_alignment(loaded, chosen))
    written = render_maps(chosen, out, broken_edges=broken)
    show_warnings(loaded.warnings)
    typer.echo(f"wrote {len(written)} maps to {out}; open {out / 'index.html'}")
