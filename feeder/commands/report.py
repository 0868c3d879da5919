"""`feeder report DISTRICT [--plan P] --out DIR [--pdf]`: the printed cohort report."""

from __future__ import annotations

import tempfile
from pathlib import Path

import typer

from feeder.clock import Clock
from feeder.commands.catalog import libraries
from feeder.commands.options import DISTRICT_HELP, MIN_CELL, out_folder
from feeder.io.output import write_files
from feeder.report.pdf import find_browser, print_to_pdf
from feeder.terminal import show_warnings


def register(app: typer.Typer) -> None:
    app.command("report")(report)


def report(
    district: Path = typer.Argument(..., help=DISTRICT_HELP),
    out: Path = typer.Option(
        ..., "--out", callback=out_folder, help="Folder for report.html, plotly.min.js and report.pdf."
    ),
    plan: Path | None = typer.Option(
        None,
        "--plan",
        help="portfolios.csv (school_id,portfolio); default: the 'portfolio' column, "
        "else the feeder patterns.",
    ),
    pdf: bool = typer.Option(
        False,
        "--pdf",
        metavar="",
        help="Also print report.pdf with a headless Chromium/Chrome on this machine.",
    ),
    min_cell: int = MIN_CELL,
) -> None:
    """A report to print: district page, portfolio table, feeder diagram, then one page per cohort."""
    with libraries():
        from feeder.alignment import check_alignment
        from feeder.district import load_district
        from feeder.pattern_plan import plan_to_show
        from feeder.privacy import with_min_cell
        from feeder.report.cohorts import REPORT, report_files

    clock = Clock.start(None)  # from the process's start, as design's printed time
    browser = find_browser() if pdf else None
    loaded = with_min_cell(load_district(district), min_cell)
    chosen = plan_to_show(loaded, plan)
    files = report_files(chosen, check_alignment(loaded, chosen))
    if browser is not None:
        with tempfile.TemporaryDirectory(prefix="feeder-report-") as scratch:
            write_files(Path(scratch), files)
            files["report.pdf"] = print_to_pdf(browser, Path(scratch) / REPORT)
    written = write_files(out, files)
    show_warnings(loaded.warnings)
    seconds = clock.elapsed()
    typer.echo(f"wrote {', '.join(path.name for path in written)} to {out} in {seconds:.1f} s")
