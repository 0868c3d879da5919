"""`feeder import-nces DIRECTORY_CSV --district LEAID --out DIR`: schools.csv from NCES CCD files."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from feeder.commands.catalog import libraries
from feeder.commands.options import out_folder
from feeder.errors import FeederError
from feeder.io.output import write_files


def register(app: typer.Typer) -> None:
    app.command("import-nces")(import_nces_command)


def import_nces_command(
    directory: Annotated[
        Path, typer.Argument(dir_okay=False, help="CCD school directory CSV (ccd_sch_029_*.csv).")
    ],
    district: Annotated[str, typer.Option("--district", help="NCES LEAID of the district.")],
    out: Annotated[
        Path,
        typer.Option(
            "--out", callback=out_folder, help="Folder to write schools.csv into (columns: docs/FORMAT.md)."
        ),
    ],
    geocodes: Annotated[
        Path | None,
        typer.Option(dir_okay=False, help="EDGE public school geocodes CSV (NCESSCH, LAT, LON)."),
    ] = None,
    membership: Annotated[
        Path | None,
        typer.Option(dir_okay=False, help="CCD membership CSV (ccd_sch_052_*.csv) for enrollment."),
    ] = None,
    characteristics: Annotated[
        Path | None,
        typer.Option(dir_okay=False, help="CCD school characteristics CSV (MAGNET_TEXT)."),
    ] = None,
    all_types: Annotated[
        bool,
        typer.Option("--all-types", help="Keep special education, CTE and alternative schools."),
    ] = False,
    force: Annotated[bool, typer.Option("--force", help="Replace a schools.csv already in --out.")] = False,
) -> None:
    """Build a district's schools.csv from the NCES Common Core of Data."""
    with libraries():
        from feeder.io.nces import import_nces

    target = out / "schools.csv"
    if target.exists() and not force:
        raise FeederError(f"{target} already exists; pass --force to replace it")
    imported = import_nces(
        directory,
        district,
        geocodes=geocodes,
        membership=membership,
        characteristics=characteristics,
        all_types=all_types,
    )
    for note in imported.notes:
        typer.echo(f"note: {note}")
    write_files(out, {"schools.csv": imported.csv()})
    typer.echo(f"wrote {target} ({len(imported.schools)} schools of {imported.district})")
