"""`feeder bound DISTRICT`: the best cohesion any plan in the size range can reach, proven,
and how far a plan (--plan, or today's `portfolio` column) is from it. With `--contiguous`,
also the best cohesion of contiguous plans (warm-started from the heuristic's plan), and the
plan's gap to both bounds.

bound.json holds only what the input and options decide, except the `status` fields, which
say whether each proof finished within --time-limit (the bounds are valid either way).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
import typer

from feeder import metrics
from feeder.design.designer import run_design
from feeder.district import District, load_district
from feeder.errors import FeederError
from feeder.exact import ContiguousResult, ExactResult, solve_contiguous, solve_exact
from feeder.exact.contiguous import ROUNDS_LIMIT
from feeder.output import write_files
from feeder.plan import DEFAULT_MAX_SIZE, DEFAULT_MIN_SIZE, Plan, scorecard_json
from feeder.sizes import check_size_range

LARGE_DISTRICT = 200  # schools beyond which a proof within a minute is unlikely
WORDING = {
    "optimal": "proven",
    "time limit": "upper bound, not proven within --time-limit",
    "not proven": "upper bound, not proven: the relaxation's pieces do not pack into portfolios",
    "too large": f"upper bound: the one ignoring contiguity; over {ROUNDS_LIMIT} schools, contiguity is not modelled",
}


def register(app: typer.Typer) -> None:
    app.command("bound")(bound)


def bound(
    district: Path = typer.Argument(..., help="District folder (FORMAT.md)."),
    min_size: int = typer.Option(DEFAULT_MIN_SIZE, "--min-size", help="Fewest schools in a portfolio."),
    max_size: int = typer.Option(DEFAULT_MAX_SIZE, "--max-size", help="Most schools in a portfolio."),
    within_region: bool = typer.Option(False, "--within-region", help="Every portfolio inside one region."),
    k: int | None = typer.Option(None, "--k", help="Number of portfolios (default: any)."),
    contiguous: bool = typer.Option(
        False, "--contiguous", help="Also prove the best cohesion of contiguous plans (Delaunay graph)."
    ),
    time_limit: float = typer.Option(60.0, "--time-limit", help="Seconds to spend on the proof."),
    plan: Path | None = typer.Option(
        None,
        "--plan",
        help="portfolios.csv (school_id,portfolio) to compare; default: the 'portfolio' column.",
    ),
    out: Path | None = typer.Option(None, "--out", help="Folder to write bound.json into."),
) -> None:
    """Prove the best cohesion any plan with portfolios in the size range can reach."""
    started = time.monotonic()
    check_size_range(min_size, max_size)
    if k is not None and k < 1:
        raise FeederError(f"--k {k} must be at least 1")
    loaded = load_district(district)
    sizes = {"min_size": min_size, "max_size": max_size}
    compared = Plan.from_csv(loaded, plan, **sizes) if plan else None
    if compared is None and loaded.has_current_plan:
        compared = Plan.current(loaded, **sizes)
    if len(loaded.schools) > LARGE_DISTRICT:
        typer.echo(
            f"note: {len(loaded.schools)} schools; the bound may not be proven within {time_limit:g} s, "
            "and the best bound found by then is reported (it is valid either way)"
        )
    together: ContiguousResult | None = None
    if contiguous:
        heuristic = run_design(
            loaded,
            min_size=min_size,
            max_size=max_size,
            k=k,
            within_region=within_region,
            time_limit=time_limit,
        )
        together = solve_contiguous(
            loaded,
            min_size=min_size,
            max_size=max_size,
            within_region=within_region,
            k=k,
            time_limit=max(time_limit - (time.monotonic() - started), 0.1 * time_limit),
            warm_start=heuristic.plan.labels,
        )
        result = together.free
    else:
        result = solve_exact(
            loaded,
            min_size=min_size,
            max_size=max_size,
            within_region=within_region,
            k=k,
            time_limit=time_limit,
            warm_start=None if compared is None else compared.labels,
        )
    options = {"min_size": min_size, "max_size": max_size, "within_region": within_region, "k": k}
    report = bound_report(loaded, result, together, compared, options | {"time_limit": time_limit})
    for line in summary(report, time.monotonic() - started):
        typer.echo(line)
    if out is not None:
        written = write_files(out, {"bound.json": scorecard_json(report)})
        typer.echo(f"wrote {written[0]}")


def bound_report(
    district: District,
    result: ExactResult,
    together: ContiguousResult | None,
    compared: Plan | None,
    options: dict[str, Any],
) -> dict[str, Any]:
    """Both bounds, the best plans found, and the compared plan's cohesion and gaps, as bound.json holds them."""
    report: dict[str, Any] = {
        "district": district.name,
        "n_schools": len(district.schools),
        **options,
        "status": result.status,
        "cohesion_bound": result.bound,
        "best_found": result.cohesion,
        "best_found_gap": result.gap,
    }
    if together is not None:
        report["contiguous"] = {
            "status": together.status,
            "cohesion_bound": together.bound,
            "best_found": together.cohesion,
            "best_found_gap": together.gap,
        }
    if compared is not None:
        report["plan"] = plan_report(compared, result, together, options["within_region"], options["k"])
    return report


def plan_report(
    plan: Plan, result: ExactResult, together: ContiguousResult | None, within_region: bool, k: int | None
) -> dict[str, Any]:
    """A plan's cohesion and its gap to each bound; a gap only when that bound covers the plan."""
    district, labels = plan.district, plan.labels
    sizes = np.array(list(plan.sizes().values()))
    covered = bool(((sizes >= plan.min_size) & (sizes <= plan.max_size)).all())
    covered = covered and (k is None or len(sizes) == k)
    covered = covered and (not within_region or metrics.in_region(district, labels) == 1.0)
    cohesion = metrics.cohesion(district, labels)
    name = "current plan" if plan.options.get("plan") == "current" else str(plan.options.get("plan"))
    found = {"name": name, "cohesion": cohesion, "meets_options": covered, "gap": None}
    if covered and cohesion is not None and result.bound is not None:
        found["gap"] = max(0.0, result.bound - cohesion)
    if together is not None:
        found["contiguous"] = metrics.contiguous(district, labels) == 1.0
        found["contiguous_gap"] = None
        if found["contiguous"] and covered and cohesion is not None and together.bound is not None:
            found["contiguous_gap"] = max(0.0, together.bound - cohesion)
    return found


def summary(report: dict[str, Any], seconds: float) -> list[str]:
    """Terminal lines: each bound, proven or not, the best plans found, the compared plan."""
    if report["cohesion_bound"] is None:
        return [f"{report['district']}: no flows between district schools, so cohesion is undefined"]
    lines = []
    together = report.get("contiguous")
    if together is not None:
        lines.append(
            f"contiguous plans: cohesion bound {together['cohesion_bound']:.4f} ({WORDING[together['status']]})"
        )
        if together["best_found"] is not None:
            lines.append(
                f"  best contiguous plan found: cohesion {together['best_found']:.4f}, "
                f"gap {together['best_found_gap']:.4f}"
            )
    prefix = "any plan in range (contiguity ignored): " if together is not None else ""
    lines.append(f"{prefix}cohesion bound {report['cohesion_bound']:.4f} ({WORDING[report['status']]})")
    lines.append(
        f"  best plan found: cohesion {report['best_found']:.4f}, gap {report['best_found_gap']:.4f}"
    )
    compared = report.get("plan")
    if compared is not None and compared["cohesion"] is not None:
        line = f"{compared['name']}: cohesion {compared['cohesion']:.4f}"
        if compared["gap"] is None:
            line += " (outside the options, so the bounds do not cover it)"
        elif together is None:
            line += f", gap {compared['gap']:.4f} to the bound"
        elif compared["contiguous_gap"] is None:
            line += f", not contiguous; gap {compared['gap']:.4f} to the bound ignoring contiguity"
        else:
            line += (
                f", gap {compared['contiguous_gap']:.4f} to the contiguous bound and "
                f"{compared['gap']:.4f} to the bound ignoring contiguity"
            )
        lines.append(line)
    lines.append(f"took {seconds:.1f} s (--time-limit {report['time_limit']:g})")
    return lines
