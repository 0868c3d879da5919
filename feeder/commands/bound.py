"""`feeder bound DISTRICT`: the best cohesion any plan in the size range can reach, proven,
and how far a plan (--plan, or today's `portfolio` column) is from it.

bound.json holds only what the input and options decide, except `status`, which says
whether the proof finished within --time-limit (the bound is valid either way).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import typer

from feeder import metrics
from feeder.design.exact import ExactResult, solve_exact
from feeder.district import District, load_district
from feeder.errors import FeederError
from feeder.output import write_files
from feeder.plan import DEFAULT_MAX_SIZE, DEFAULT_MIN_SIZE, Plan, scorecard_json
from feeder.sizes import check_size_range
from feeder.terminal import show_warnings

LARGE_DISTRICT = 200  # schools beyond which a proof within a minute is unlikely


def register(app: typer.Typer) -> None:
    app.command("bound")(bound)


def bound(
    district: Path = typer.Argument(..., help="District folder (FORMAT.md)."),
    min_size: int = typer.Option(DEFAULT_MIN_SIZE, "--min-size", help="Fewest schools in a portfolio."),
    max_size: int = typer.Option(DEFAULT_MAX_SIZE, "--max-size", help="Most schools in a portfolio."),
    within_region: bool = typer.Option(False, "--within-region", help="Every portfolio inside one region."),
    k: int | None = typer.Option(None, "--k", help="Number of portfolios (default: any)."),
    time_limit: float = typer.Option(60.0, "--time-limit", help="Seconds to spend on the proof."),
    plan: Path | None = typer.Option(
        None,
        "--plan",
        help="portfolios.csv (school_id,portfolio) to compare; default: the 'portfolio' column.",
    ),
    out: Path | None = typer.Option(None, "--out", help="Folder to write bound.json into."),
) -> None:
    """Prove the best cohesion any plan with portfolios in the size range can reach (contiguity ignored)."""
    check_size_range(min_size, max_size)
    if k is not None and k < 1:
        raise FeederError(f"--k {k} must be at least 1")
    loaded = load_district(district)
    show_warnings(loaded.warnings)
    sizes = {"min_size": min_size, "max_size": max_size}
    compared = Plan.from_csv(loaded, plan, **sizes) if plan else None
    if compared is None and loaded.has_current_plan:
        compared = Plan.current(loaded, **sizes)
    if len(loaded.schools) > LARGE_DISTRICT:
        typer.echo(
            f"note: {len(loaded.schools)} schools; the bound may not be proven within {time_limit:g} s, "
            "and the best bound found by then is reported (it is valid either way)"
        )
    result = solve_exact(
        loaded,
        min_size=min_size,
        max_size=max_size,
        within_region=within_region,
        time_limit=time_limit,
        warm_start=None if compared is None else compared.labels,
        k=k,
    )
    options = {"min_size": min_size, "max_size": max_size, "within_region": within_region, "k": k}
    report = bound_report(loaded, result, compared, options | {"time_limit": time_limit})
    for line in summary(report, result.seconds):
        typer.echo(line)
    if out is not None:
        written = write_files(out, {"bound.json": scorecard_json(report)})
        typer.echo(f"wrote {written[0]}")


def bound_report(
    district: District, result: ExactResult, compared: Plan | None, options: dict[str, Any]
) -> dict[str, Any]:
    """The bound, the best plan found, and the compared plan's cohesion and gap, as bound.json holds them."""
    report: dict[str, Any] = {
        "district": district.name,
        "n_schools": len(district.schools),
        **options,
        "status": result.status,
        "cohesion_bound": result.bound,
        "best_found": result.cohesion,
        "best_found_gap": result.gap,
    }
    if compared is not None:
        report["plan"] = plan_report(compared, result, options["within_region"], options["k"])
    return report


def plan_report(plan: Plan, result: ExactResult, within_region: bool, k: int | None) -> dict[str, Any]:
    """A plan's cohesion and its gap to the bound; the gap only when the bound covers the plan."""
    district, labels = plan.district, plan.labels
    sizes = np.array(list(plan.sizes().values()))
    covered = bool(((sizes >= plan.min_size) & (sizes <= plan.max_size)).all())
    covered = covered and (k is None or len(sizes) == k)
    covered = covered and (not within_region or metrics.in_region(district, labels) == 1.0)
    cohesion = metrics.cohesion(district, labels)
    gap = None
    if covered and cohesion is not None and result.bound is not None:
        gap = max(0.0, result.bound - cohesion)
    name = "current plan" if plan.options.get("plan") == "current" else str(plan.options.get("plan"))
    return {"name": name, "cohesion": cohesion, "meets_options": covered, "gap": gap}


def summary(report: dict[str, Any], seconds: float) -> list[str]:
    """Terminal lines: the bound and how it was reached, the best plan found, the compared plan."""
    status = report["status"]
    if report["cohesion_bound"] is None:
        return [f"{report['district']}: no flows between district schools, so cohesion is undefined"]
    lines = [f"cohesion bound {report['cohesion_bound']:.4f} ({status}, {seconds:.1f} s)"]
    if status == "time limit":
        lines.append(f"  not proven within --time-limit {report['time_limit']:g} s; the bound is still valid")
    elif status == "not proven":
        lines.append(
            "  the relaxation's pieces do not pack into portfolios and the district is too large for the full model"
        )
    lines.append(f"best plan found: cohesion {report['best_found']:.4f}, gap {report['best_found_gap']:.4f}")
    compared = report.get("plan")
    if compared is not None and compared["cohesion"] is not None:
        line = f"{compared['name']}: cohesion {compared['cohesion']:.4f}"
        if compared["gap"] is None:
            line += " (outside the options, so the bound does not cover it)"
        else:
            line += f", gap {compared['gap']:.4f} to the bound"
        lines.append(line)
    return lines
