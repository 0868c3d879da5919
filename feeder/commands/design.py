"""`feeder design DISTRICT --out DIR`: design portfolios and write the plan files.

portfolios.csv, portfolios.geojson and scorecard.json depend only on the input, the
options and the seed, so the same run gives byte-identical files (diff-friendly, and a
plan can be re-derived exactly). What varies from run to run — seconds taken, whether
the --time-limit cap was hit, the exact solver's status — goes to run.json instead.
"""

from __future__ import annotations

import json
import math
from dataclasses import replace
from pathlib import Path

import typer
from rich.console import Console

from feeder.alignment import pathway_weights
from feeder.commands.options import (
    BALANCE,
    CONTIGUOUS,
    DISTRICT_HELP,
    EFFORT,
    JOBS,
    LOCK,
    MAX_ENROLLMENT,
    MAX_HIGH_SCHOOLS,
    MAX_SIZE,
    MIN_SIZE,
    SEED,
    STABILITY,
    WITHIN_REGION,
    K,
)
from feeder.design.certify import certify
from feeder.design.designer import run_design
from feeder.design.effort import Effort
from feeder.design.locks import read_locks
from feeder.district import load_district
from feeder.errors import OptionError
from feeder.output import write_files
from feeder.plan import scorecard_json
from feeder.spec import DesignSpec


def register(app: typer.Typer) -> None:
    app.command("design")(design)


def design(
    district: Path = typer.Argument(..., help=DISTRICT_HELP),
    out: Path = typer.Option(
        ..., "--out", help="Folder for portfolios.csv, portfolios.geojson, scorecard.json, run.json."
    ),
    min_size: int = MIN_SIZE,
    max_size: int = MAX_SIZE,
    k: int | None = K,
    within_region: bool = WITHIN_REGION,
    contiguous: bool = CONTIGUOUS,
    seed: int = SEED,
    effort: str = EFFORT,
    jobs: int | None = JOBS,
    time_limit: float | None = typer.Option(
        None, "--time-limit", help="Safety cap in seconds (the search normally stops on its own budget)."
    ),
    stability: float = STABILITY,
    balance: float = BALANCE,
    lock: Path | None = LOCK,
    max_enrollment: float | None = MAX_ENROLLMENT,
    max_high_schools: int | None = MAX_HIGH_SCHOOLS,
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
    spec = DesignSpec(
        min_size=min_size,
        max_size=max_size,
        k=k,
        within_region=within_region,
        contiguous=contiguous,
        stability=stability,
        balance=balance,
        max_enrollment=max_enrollment,
        max_high_schools=max_high_schools,
    )
    if not (math.isfinite(align_weight) and align_weight >= 0):
        raise OptionError(f"--align-weight {align_weight:g} must be a number, 0 or more")
    Effort.parse(effort)  # refuse a bad --effort before reading the district
    loaded = load_district(district)
    if lock is not None:
        spec = replace(spec, locks=read_locks(lock, district=loaded))
    weights = align_weight * pathway_weights(loaded) if align_weight > 0 else None
    run = run_design(
        loaded, spec=spec, seed=seed, time_limit=time_limit, flow_weights=weights, effort=effort, jobs=jobs
    )
    plan = run.plan
    details: dict[str, object] = {"seconds": round(run.seconds, 3), "time_limit_hit": run.timed_out}
    if align_weight > 0:
        settings = (*plan.provenance.settings, ("align_weight", align_weight))
        plan = replace(plan, provenance=replace(plan.provenance, settings=settings))
    bound = None
    if exact:
        plan, certificate = certify(plan, time_limit=time_limit)
        bound = certificate.bound
        details["exact"] = {
            "status": certificate.status,
            "seconds": round(certificate.seconds, 3),
            "used_exact_plan": certificate.used_exact_plan,
        }
    card = plan.score(cohesion_bound=bound)
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
        f"[bold]{name}[/bold]: {card['n_portfolios']} portfolios of {card['smallest']}-{card['largest']} schools "
        f"({card['min_size']}-{card['max_size']} allowed)"
    )
    cohesion = "—" if card["cohesion"] is None else f"{card['cohesion']:.4f}"
    spec = card["spec"]
    unbound = spec["locks"] or spec["max_enrollment"] is not None or spec["max_high_schools"] is not None
    said = "bound ignoring locks and caps" if unbound else "proven best"
    bound = f" ({said} {card['cohesion_bound']:.4f})" if "cohesion_bound" in card else ""
    console.print(
        f"cohesion {cohesion}{bound} · contiguous {card['contiguous']:.0%} · K-12 complete "
        f"{card['k12_complete']:.0%} · {card['mean_km']:.2f} km to the meeting site on average"
    )
    late = " (stopped at --time-limit)" if details["time_limit_hit"] else ""
    console.print(f"wrote {', '.join(files)} to {out} in {details['seconds']:.1f} s{late}")
