"""`feeder graph DISTRICT`: print the district's feeder patterns."""

from __future__ import annotations

from pathlib import Path

import typer

from feeder.district import load_district


def register(app: typer.Typer) -> None:
    app.command("graph")(graph)


def graph(district: Path = typer.Argument(..., help="District folder (FORMAT.md).")) -> None:
    """Print the feeder patterns of a district."""
    loaded = load_district(district)
    typer.echo(f"{loaded.name}: {len(loaded.schools)} schools, {len(loaded.flows)} flows")
