"""`feeder compare DISTRICT A.csv B.csv --out DIR`: what changes from plan A to plan B."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console

from feeder.commands.catalog import libraries
from feeder.commands.options import DISTRICT_HELP, MAX_SIZE, MIN_CELL, MIN_SIZE, out_folder, size_spec
from feeder.errors import InputError
from feeder.io.output import write_files
from feeder.spec import DesignSpec
from feeder.terminal import markup_safe, show_warnings

if TYPE_CHECKING:
    from feeder.district import District
    from feeder.plan import Plan


def register(app: typer.Typer) -> None:
    app.command("compare")(compare_plans)


def compare_plans(
    district: Path = typer.Argument(..., help=DISTRICT_HELP),
    plan_a: Path = typer.Argument(..., metavar="A.csv", help="The first plan (school_id,portfolio)."),
    plan_b: Path = typer.Argument(..., metavar="B.csv", help="The second plan (school_id,portfolio)."),
    out: Path = typer.Option(
        ..., "--out", callback=out_folder, help="Folder for compare.json, moved.csv and compare.html."
    ),
    min_size: int = MIN_SIZE,
    max_size: int = MAX_SIZE,
    min_cell: int = MIN_CELL,
) -> None:
    """Both scorecards side by side with the change, the schools that move, and a map of them."""
    with libraries():
        from feeder.compare import compare
        from feeder.district import load_district
        from feeder.maps.compare import compare_page
        from feeder.plan import rounded
        from feeder.privacy import with_min_cell
        from feeder.report.terminal import print_comparison

    spec = size_spec(min_size, max_size)
    loaded = with_min_cell(load_district(district), min_cell)
    name_a, name_b = labels(plan_a, plan_b)
    a, b = read_plan(loaded, plan_a, name_a, spec), read_plan(loaded, plan_b, name_b, spec)
    show_warnings(loaded.warnings)
    result = compare(a, b)
    files = {
        "compare.json": json.dumps(rounded(result.as_dict(name_a, name_b)), indent=2, ensure_ascii=False)
        + "\n",
        "moved.csv": result.moved.to_csv(index=False, lineterminator="\n"),
        "compare.html": compare_page(a, b, result, name_a=name_a, name_b=name_b),
    }
    written = write_files(out, files)
    console = Console()
    console.print(markup_safe(f"A: {name_a}\nB: {name_b}"))
    print_comparison(loaded, {"A": result.card_a, "B": result.card_b}, result.deltas(), console)
    console.print(
        markup_safe(
            f"{len(result.moved)} schools change portfolio; wrote {', '.join(p.name for p in written)} to {out}"
        )
    )


def labels(plan_a: Path, plan_b: Path) -> tuple[str, str]:
    """Short names for the two plan files: with their folders' names when both files are called the same."""
    if plan_a.name != plan_b.name:
        return plan_a.name, plan_b.name
    return f"{plan_a.parent.name}/{plan_a.name}", f"{plan_b.parent.name}/{plan_b.name}"


def read_plan(loaded: District, path: Path, name: str, spec: DesignSpec) -> Plan:
    """The plan in `path`; an error in it names the file as the comparison does, telling A from B."""
    from feeder.plan import Plan

    try:
        return Plan.from_csv(loaded, path, spec=spec)
    except InputError as error:
        message = str(error)
        if not message.startswith(path.name) or name == path.name:
            raise
        raise InputError(
            name + message[len(path.name) :], file=error.file, row=error.row, column=error.column
        ) from None
