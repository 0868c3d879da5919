"""`feeder align DISTRICT --out DIR`: check program alignment along the feeder flows."""

from __future__ import annotations

from pathlib import Path

import typer

from feeder.commands.catalog import libraries
from feeder.commands.options import DISTRICT_HELP, MIN_CELL, out_folder
from feeder.io.output import write_files
from feeder.terminal import show_warnings


def register(app: typer.Typer) -> None:
    app.command("align")(align)


def align(
    district: Path = typer.Argument(..., help=DISTRICT_HELP),
    out: Path = typer.Option(
        ..., "--out", callback=out_folder, help="Folder for alignment.csv and alignment.json."
    ),
    plan: Path | None = typer.Option(
        None,
        "--plan",
        help="portfolios.csv (school_id,portfolio) to report per portfolio; "
        "default: the district's portfolio column when every school has one.",
    ),
    rules: Path | None = typer.Option(
        None,
        "--rules",
        help="Alignment rules TOML (default: feeder/rules/default.toml, which documents the format).",
    ),
    min_cell: int = MIN_CELL,
) -> None:
    """Check that students find the same programs at their next school, flow by flow."""
    with libraries():
        from feeder.alignment import check_alignment, load_rules
        from feeder.alignment.report import alignment_csv, alignment_json, print_summary
        from feeder.district import load_district
        from feeder.plan import Plan
        from feeder.privacy import with_min_cell

    loaded = with_min_cell(load_district(district), min_cell)
    chosen = Plan.from_csv(loaded, plan) if plan is not None else None
    result = check_alignment(loaded, chosen, rules=load_rules(rules) if rules is not None else None)
    write_files(out, {"alignment.csv": alignment_csv(result), "alignment.json": alignment_json(result)})
    show_warnings(loaded.warnings)
    print_summary(result)
    typer.echo(f"wrote {out / 'alignment.csv'} and {out / 'alignment.json'}")
