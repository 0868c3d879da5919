"""`feeder alternatives DISTRICT --out DIR`: good plans along the cohesion / balance / compactness trade-off."""

from __future__ import annotations

import csv
import io
from fnmatch import fnmatch
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.table import Table

from feeder.commands.catalog import libraries
from feeder.commands.options import (
    CONTIGUOUS,
    DISTRICT_HELP,
    JOBS,
    MAX_SIZE,
    MIN_SIZE,
    SEED,
    WITHIN_REGION,
    K,
    out_folder,
)
from feeder.errors import OptionError
from feeder.io.output import feeder_files, one_publication, write_files
from feeder.spec import DesignSpec
from feeder.terminal import markup_safe, show_warnings
from feeder.words import counted

if TYPE_CHECKING:
    import pandas as pd

    from feeder.alternatives import TradeOffs

NO_PNG = (
    "tradeoffs.png was not written: plotly's image export needs Chrome or Chromium (install one with "
    "`plotly_get_chrome`, or pass --no-png); tradeoffs.html holds the same chart"
)
TABLE = "alternatives.csv"
PLAN_FILES = ("portfolios.csv", "scorecard.json")
COLUMNS = ("n_portfolios", "cohesion", "enrollment_cv", "mean_km", "max_km", "split_schools", "k12_complete")


def register(app: typer.Typer) -> None:
    app.command("alternatives")(alternatives)


def alternatives(
    district: Path = typer.Argument(..., help=DISTRICT_HELP),
    out: Path = typer.Option(
        ...,
        "--out",
        callback=out_folder,
        help="Folder for alternatives.csv, tradeoffs.html/png and one folder per plan.",
    ),
    count: int = typer.Option(5, "--count", help="Most plans to keep."),
    min_size: int = MIN_SIZE,
    max_size: int = MAX_SIZE,
    k: int | None = K,
    within_region: bool = WITHIN_REGION,
    contiguous: bool = CONTIGUOUS,
    seed: int = SEED,
    jobs: int | None = JOBS,
    png: bool = typer.Option(
        True, "--png/--no-png", help="Also export tradeoffs.png (needs Chrome or Chromium)."
    ),
) -> None:
    """Distinct plans none of which is beaten on cohesion, enrollment balance and compactness at once."""
    with libraries():
        from feeder.alternatives import trade_offs
        from feeder.design.designer import check_run_options
        from feeder.district import load_district
        from feeder.maps import render_maps
        from feeder.plan import scorecard_json
        from feeder.privacy import data_notes
        from feeder.report.tradeoff_chart import chart_html, chart_png, tradeoff_figure

    if count < 1:
        raise OptionError(f"--count {count} must be at least 1")
    check_run_options(seed, None, jobs)
    spec = DesignSpec(
        min_size=min_size, max_size=max_size, k=k, within_region=within_region, contiguous=contiguous
    )
    loaded = load_district(district)
    show_warnings(loaded.warnings)  # before the designs, which take minutes on a large district
    with Console(stderr=True).status("designing the default plan") as status:

        def progress(designed: int, total: int) -> None:
            status.update(f"designed {designed} of {total} plans")

        result = trade_offs(loaded, spec=spec, count=count, seed=seed, jobs=jobs, progress=progress)
    figure = tradeoff_figure(result, title=f"{loaded.name}: {len(result.chosen)} alternative portfolio plans")
    charts: dict[str, str | bytes] = {"tradeoffs.html": chart_html(figure)}
    image = chart_png(figure) if png else None
    if image is not None:
        charts["tradeoffs.png"] = image
    earlier = earlier_run(out)
    notes = {"data_warnings": data_notes(loaded)}  # what the terminal said, in every shared scorecard
    with one_publication():  # every plan's folder and the chart land together, or none does
        for each in result.chosen:
            folder = out / each.name
            write_files(
                folder,
                {
                    "portfolios.csv": each.plan.to_csv(),
                    "scorecard.json": scorecard_json({**each.card, **notes}),
                },
            )
            render_maps(each.plan, folder)
        write_files(out, {TABLE: table(result).to_csv(index=False, lineterminator="\n"), **charts})
        for folder, names in earlier.items():  # a file this set writes again is replaced, not retired
            write_files(folder, {}, retire=names)
    if png and image is None:
        show_warnings([NO_PNG])
    show(result, out)


def earlier_run(out: Path) -> dict[Path, set[str]]:
    """By folder, the files an earlier `feeder alternatives` into `out` wrote and no planner has
    changed: this run retires those it does not write again, so `out` never shows plans of two runs.
    Its plan folders are the names in its alternatives.csv; a planner's file (or one changed) stays."""
    if not (out / TABLE).is_file() or TABLE not in feeder_files(out):
        return {}
    rows = csv.DictReader(io.StringIO((out / TABLE).read_text(encoding="utf-8"), newline=""))
    found = {
        out / row["name"]: {name for name in feeder_files(out / row["name"]) if plan_file(name)}
        for row in rows
    }
    found[out] = {name for name in feeder_files(out) if name.startswith("tradeoffs.")}
    return {folder: names for folder, names in found.items() if names}


def plan_file(name: str) -> bool:
    """A file `feeder alternatives` writes into a plan's folder: its tables and maps."""
    from feeder.maps.pages import INDEX

    return name in PLAN_FILES or name == INDEX or fnmatch(name, "cohort-*.html")


def table(result: TradeOffs) -> pd.DataFrame:
    """alternatives.csv: one row per plan kept, its settings, metrics and schools moved from the default."""
    import pandas as pd

    from feeder.compare import compare

    default = result.default.plan
    rows = []
    for each in result.chosen:
        row = {"name": each.name, "default": each.is_default, "k": each.k or "", "balance": each.balance}
        row.update({column: each.card[column] for column in COLUMNS})
        row["moved_from_default"] = len(compare(default, each.plan).moved)
        rows.append(row)
    return pd.DataFrame(rows).round(6)


def show(result: TradeOffs, out: Path) -> None:
    console = Console()
    grid = Table(
        title="alternatives (none beaten on all of cohesion, enrollment CV and km)", title_justify="left"
    )
    for column in ("plan", "portfolios", "cohesion", "enrollment CV", "mean km"):
        grid.add_column(column, justify="left" if column == "plan" else "right")
    for each in result.chosen:
        card = each.card
        grid.add_row(
            markup_safe(each.name + (" *" if each.is_default else "")),
            str(card["n_portfolios"]),
            f"{card['cohesion']:.4f}",
            f"{card['enrollment_cv']:.3f}",
            f"{card['mean_km']:.2f}",
        )
    console.print(grid)
    if result.default not in result.chosen:
        console.print("the default plan is beaten on all three by an alternative; it is marked on the chart")
    if result.left_out:
        console.print(
            f"{counted(len(result.left_out), 'more plan')} beaten on none of the three were left out by --count "
            f"{len(result.chosen)} (kept: the default, the best on each metric, then the most different; "
            "raise --count to see them all)"
        )
    console.print(
        f"{len(result.tried)} plans designed; wrote alternatives.csv, tradeoffs.html and one folder per plan to "
        f"{markup_safe(str(out))}"
    )
