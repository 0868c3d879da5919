"""`feeder infer DISTRICT --out DIR`: write the flows.csv inferred from records, units, zones or sites."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from feeder.commands.catalog import libraries
from feeder.commands.options import DISTRICT_HELP, out_folder
from feeder.errors import FeederError
from feeder.io.output import write_files
from feeder.terminal import show_warnings


def register(app: typer.Typer) -> None:
    app.command("infer")(infer)


def infer(
    district: Annotated[Path, typer.Argument(help=DISTRICT_HELP)],
    out: Annotated[Path, typer.Option("--out", callback=out_folder, help="Folder to write flows.csv into.")],
    force: Annotated[bool, typer.Option("--force", help="Replace a flows.csv already in --out.")] = False,
) -> None:
    """Infer flows.csv from enrollment records, assignments, attendance boundaries or (roughly) sites.

    Sources in order: enrollment.csv (student records), assignments.csv, boundaries.geojson
    (weighted by planning_units.geojson students when present), else school sites alone.
    Any flows.csv in DISTRICT is ignored. The file's first line names its source, so that feeder
    keeps its label (and the small-cell rule, for records) when it is put into a district folder.
    """
    with libraries():
        from feeder.infer import flows_csv, infer_district
        from feeder.io.flows import origin_line

    target = out / "flows.csv"
    if target.exists() and not force:
        raise FeederError(f"{target} already exists; pass --force to replace it")
    inferred, warnings = infer_district(district)
    flows = inferred.flows
    typer.echo(f"source: {inferred.source} ({inferred.detail})")
    for line in inferred.records.lines() if inferred.records else []:
        typer.echo(line)
    show_warnings(warnings)
    write_files(out, {"flows.csv": flows_csv(flows, origin=origin_line(inferred.source))}, force=force)
    typer.echo(f"wrote {target} ({len(flows)} flows, {flows['students'].sum():,.0f} students)")
