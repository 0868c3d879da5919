"""`feeder design DISTRICT --out DIR`: design portfolios and write the plan files.

portfolios.csv, portfolios.geojson and scorecard.json depend only on the input, the
options and the seed, so the same run gives byte-identical files (diff-friendly, and a
plan can be re-derived exactly). What varies from run to run — seconds taken, whether
the --time-limit cap was hit, the exact solver's status — goes to run.json instead.
"""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console

from feeder.alignment import pathway_weights
from feeder.design.certify import certify
from feeder.design.designer import run_design
from feeder.district import load_district
from feeder.errors import FeederError
from feeder.output import write_files
from feeder.plan import DEFAULT_MAX_SIZE, DEFAULT_MIN_SIZE, scorecard_json
from feeder.sizes import check_size_range
from feeder.terminal import markup_safe, show_warnings


def register(app: typer.Typer) -> None:
    app.command("design")(design)


def design(
    district: Path = typer.Argument(..., help="District folder (FORMAT.md)."),
    out: Path = typer.Option(
        ..., "--out", help="Folder for portfolios.csv, portfolios.geojson, scorecard.json, run.json."
    ),
    min_size: int = typer.Option(DEFAULT_MIN_SIZE, "--min-size", help="Fewest schools in a portfolio."),
    max_size: int = typer.Option(DEFAULT_MAX_SIZE, "--max-size", help="Most schools in a portfolio."),
    k: int | None = typer.Option(None, "--k", help="Number of portfolios (default: whatever scores best)."),
    within_region: bool = typer.Option(
        False, "--within-region", help="Keep every portfolio inside one region."
    ),
    contiguous: bool = typer.Option(
        True, "--contiguous/--no-contiguous", help="Portfolios must be connected on the map (Delaunay graph)."
    ),
    seed: int = typer.Option(0, "--seed", help="Random seed of the search (same input and seed, same plan)."),
    time_limit: float | None = typer.Option(
        None, "--time-limit", help="Safety cap in seconds (the search normally stops on its own budget)."
    ),
    stability: float = typer.Option(
        0.0,
        "--stability",
        help="W: moving 1 percent of the schools from today's portfolios costs W points of cohesion.",
    ),
    align_weight: float = typer.Option(
        0.0,
        "--align-weight",
        help="W: students on flows where a program continues (alignment rules) count 1 + W times.",
    ),
    exact: bool = typer.Option(
        False, "--exact", help="Also run the exact solver: a proven cohesion bound, and its plan if better."
    ),
) -> None:
    """Design portfolios that keep students' feeder paths together."""
    check_size_range(min_size, max_size)
    if align_weight < 0:
        raise FeederError(f"--align-weight {align_weight:g} must be 0 or more")
    loaded = load_district(district)
    show_warnings(loaded.warnings)
    weights = align_weight * pathway_weights(loaded) if align_weight > 0 else None
    run = run_design(
        loaded,
        min_size=min_size,
        max_size=max_size,
        k=k,
        within_region=within_region,
        contiguous=contiguous,
        seed=seed,
        time_limit=time_limit,
        stability=stability,
        flow_weights=weights,
    )
    plan, details = run.plan, {"seconds": round(run.seconds, 3), "time_limit_hit": run.timed_out}
    if align_weight > 0:
        plan.options["align_weight"] = align_weight
    plan.options["flows_source"] = loaded.flows_source
    if exact:
        plan, certificate = certify(plan, time_limit=time_limit)
        details["exact"] = {
            "status": certificate.status,
            "seconds": round(certificate.seconds, 3),
            "used_exact_plan": certificate.used_exact_plan,
        }
    card = plan.score()
    written = write_files(
        out,
        {
            "portfolios.csv": plan.to_csv(),
            "portfolios.geojson": plan.to_geojson(),
            "scorecard.json": scorecard_json(card),
            "run.json": json.dumps(details, indent=2) + "\n",
        },
    )
    summarize(loaded.name, card, details, [path.name for path in written], out)


def summarize(name: str, card: dict, details: dict, files: list[str], out: Path) -> None:
    """A few lines a planner reads at a glance; the full scorecard is in scorecard.json."""
    console = Console()
    console.print(
        f"[bold]{markup_safe(name)}[/bold]: {card['n_portfolios']} portfolios of {card['smallest']}-{card['largest']} schools "
        f"({card['min_size']}-{card['max_size']} allowed)"
    )
    cohesion = "—" if card["cohesion"] is None else f"{card['cohesion']:.4f}"
    bound = f" (proven best {card['cohesion_bound']:.4f})" if "cohesion_bound" in card else ""
    console.print(
        f"cohesion {cohesion}{bound} · contiguous {card['contiguous']:.0%} · K-12 complete "
        f"{card['k12_complete']:.0%} · {card['mean_km']:.2f} km to the meeting site on average"
    )
    late = " (stopped at --time-limit)" if details["time_limit_hit"] else ""
    console.print(
        f"wrote {markup_safe(', '.join(files))} to {markup_safe(str(out))} in {details['seconds']:.1f} s{late}"
    )
