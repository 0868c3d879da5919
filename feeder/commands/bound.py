"""`feeder bound DISTRICT`: the best cohesion any plan in the size range can reach, proven,
and how far a plan (--plan, or today's `portfolio` column) is from it. The proof starts from the
designer's plan for the same options (or the compared plan, when that keeps more together). With
`--contiguous`, also the best cohesion of contiguous plans (warm-started from the designer's
contiguous plan, or the compared plan when it is contiguous and keeps more), and the plan's gap
to both bounds.

bound.json holds only what the input and options decide, except the `status` fields, which
say whether each proof finished within --time-limit (the bounds are valid either way).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from feeder.clock import Clock, finish_reserve
from feeder.commands.catalog import libraries
from feeder.commands.options import DISTRICT_HELP, MAX_SIZE, MIN_SIZE, WITHIN_REGION, K, out_folder
from feeder.io.output import write_files
from feeder.spec import DesignSpec
from feeder.terminal import show_warnings

if TYPE_CHECKING:
    import numpy as np

    from feeder.district import District
    from feeder.exact import ContiguousResult, ExactResult
    from feeder.plan import Plan

WARM_START_SHARE = 0.25  # of the time limit, at most, for the designer's plan the proof starts from
# (measured: on a generated 188-school district it tightened the 120 s bound from 0.9322 to 0.9275)
LARGE_DISTRICT = 200  # schools beyond which a proof within a minute is unlikely


def register(app: typer.Typer) -> None:
    app.command("bound")(bound)


def bound(
    district: Path = typer.Argument(..., help=DISTRICT_HELP),
    min_size: int = MIN_SIZE,
    max_size: int = MAX_SIZE,
    within_region: bool = WITHIN_REGION,
    k: int | None = K,
    contiguous: bool = typer.Option(
        False, "--contiguous", help="Also prove the best cohesion of contiguous plans (Delaunay graph)."
    ),
    time_limit: float = typer.Option(60.0, "--time-limit", help="Seconds to spend on the proof."),
    plan: Path | None = typer.Option(
        None,
        "--plan",
        help="portfolios.csv (school_id,portfolio) to compare; default: the 'portfolio' column.",
    ),
    out: Path | None = typer.Option(
        None, "--out", callback=out_folder, help="Folder to write bound.json into."
    ),
) -> None:
    """Prove the best cohesion any plan with portfolios in the size range can reach."""
    with libraries():
        from feeder.design.designer import run_design
        from feeder.district import load_district
        from feeder.exact import solve_contiguous, solve_exact
        from feeder.plan import Plan, scorecard_json

    clock = Clock.start(time_limit)
    spec = DesignSpec(
        min_size=min_size, max_size=max_size, within_region=within_region, k=k, contiguous=False
    )
    loaded = load_district(district)
    keep = finish_reserve(clock.elapsed())
    compared = Plan.from_csv(loaded, plan, spec=spec) if plan else None
    show_warnings(loaded.warnings)
    if compared is None and loaded.has_current_plan:
        compared = Plan.current(loaded, spec=spec)
    if len(loaded.schools) > LARGE_DISTRICT:
        typer.echo(
            f"note: {len(loaded.schools)} schools; the bound may not be proven within {time_limit:g} s, "
            "and the best bound found by then is reported (it is valid either way)"
        )
    together: ContiguousResult | None = None
    if contiguous:
        connected_spec = replace(spec, contiguous=True)
        heuristic = run_design(loaded, spec=connected_spec, time_limit=clock.for_stage(keep=keep, share=0.5))
        together = solve_contiguous(
            loaded,
            spec=connected_spec,
            time_limit=clock.for_stage(keep=keep),
            warm_start=better_plan(loaded, spec=connected_spec, designed=heuristic.plan, compared=compared),
        )
        result = together.free
    else:
        heuristic = run_design(
            loaded, spec=spec, time_limit=clock.for_stage(keep=keep, share=WARM_START_SHARE)
        )
        warm = better_plan(loaded, spec=spec, designed=heuristic.plan, compared=compared)
        result = solve_exact(loaded, spec=spec, time_limit=clock.for_stage(keep=keep), warm_start=warm)
    options = {"min_size": min_size, "max_size": max_size, "within_region": within_region, "k": k}
    report = bound_report(loaded, result, together, compared, options | {"time_limit": time_limit})
    for line in summary(report, clock.elapsed()):
        typer.echo(line)
    if out is not None:
        written = write_files(out, {"bound.json": scorecard_json(report)})
        typer.echo(f"wrote {written[0]}")


def better_plan(district: District, *, spec: DesignSpec, designed: Plan, compared: Plan | None) -> np.ndarray:
    """The labels of the compared plan when it meets the spec and keeps more students together
    than the designer's, else the designer's: the exact solver prunes with the better one."""
    from feeder import metrics
    from feeder.constraints import violations

    if compared is None or violations(district, compared.labels, spec):
        return designed.labels
    ours, theirs = metrics.cohesion(district, designed.labels), metrics.cohesion(district, compared.labels)
    return compared.labels if (theirs or 0.0) > (ours or 0.0) else designed.labels


def bound_report(
    district: District,
    result: ExactResult,
    together: ContiguousResult | None,
    compared: Plan | None,
    options: dict[str, Any],
) -> dict[str, Any]:
    """Both bounds, the best plans found, and the compared plan's cohesion and gaps, as bound.json
    holds them (shares as the small-cell rule shows them: feeder.privacy.shown_share)."""
    from feeder.privacy import shown_share

    report: dict[str, Any] = {
        "district": district.name,
        "n_schools": len(district.schools),
        **options,
        "status": result.status,
        **bound_and_best(shown_share(district, result.bound), shown_share(district, result.cohesion)),
    }
    if together is not None:
        report["contiguous"] = {
            "status": together.status,
            **bound_and_best(shown_share(district, together.bound), shown_share(district, together.cohesion)),
        }
    if compared is not None:
        report["plan"] = plan_report(compared, result, together)
    return report


def bound_and_best(bound: float | None, best: float | None) -> dict[str, float | None]:
    """A bound, the best plan's cohesion and the gap between them."""
    gap = None if bound is None or best is None else bound - best
    return {"cohesion_bound": bound, "best_found": best, "best_found_gap": gap}


def plan_report(plan: Plan, result: ExactResult, together: ContiguousResult | None) -> dict[str, Any]:
    """A plan's cohesion and its gap to each bound; a gap only when that bound covers the plan
    (it meets the spec the bound was computed for: sizes, k, regions, and contiguity for the second)."""
    from feeder.constraints import violations
    from feeder.privacy import shown_cohesion, shown_share

    district, labels = plan.district, plan.labels
    covered = not plan.violations()
    cohesion = shown_cohesion(district, labels)
    bound = shown_share(district, result.bound)
    contiguous_bound = None if together is None else shown_share(district, together.bound)
    name = "current plan" if plan.provenance.is_current else plan.provenance.source
    found: dict[str, Any] = {"name": name, "cohesion": cohesion, "meets_options": covered, "gap": None}
    if covered and cohesion is not None and bound is not None:
        found["gap"] = bound - cohesion
    if together is not None:
        found["contiguous"] = not violations(district, labels, replace(plan.spec, contiguous=True))
        found["contiguous_gap"] = None
        if found["contiguous"] and cohesion is not None and contiguous_bound is not None:
            found["contiguous_gap"] = contiguous_bound - cohesion
    return found


def summary(report: dict[str, Any], seconds: float) -> list[str]:
    """Terminal lines: each bound, proven or not, the best plans found, the compared plan."""
    from feeder.exact.contiguous import ROUNDS_LIMIT

    wording = {
        "optimal": "proven",
        "time limit": "upper bound, not proven within --time-limit",
        "not proven": "upper bound, not proven: the relaxation's pieces do not pack into portfolios",
        "too large": f"upper bound: the one ignoring contiguity; over {ROUNDS_LIMIT} schools, contiguity is not modelled",
    }
    if report["cohesion_bound"] is None:
        return [f"{report['district']}: no flows between district schools, so cohesion is undefined"]
    lines = []
    together = report.get("contiguous")
    if together is not None:
        lines.append(
            f"contiguous plans: cohesion bound {together['cohesion_bound']:.4f} ({wording[together['status']]})"
        )
        if together["best_found"] is not None:
            lines.append(
                f"  best contiguous plan found: cohesion {together['best_found']:.4f}, "
                f"gap {together['best_found_gap']:.4f}"
            )
    # Said every time: on LAUSD a "best plan found" of 0.9516 beside the designer's contiguous 0.9467
    # read as a better plan the designer had missed.
    lines.append(
        f"any plan in range (contiguity ignored): cohesion bound {report['cohesion_bound']:.4f} "
        f"({wording[report['status']]})"
    )
    lines.append(
        f"  best plan found (contiguity ignored): cohesion {report['best_found']:.4f}, "
        f"gap {report['best_found_gap']:.4f}"
    )
    compared = report.get("plan")
    if compared is not None and compared["cohesion"] is not None:
        line = f"{compared['name']}: cohesion {compared['cohesion']:.4f}"
        if compared["gap"] is None:
            line += " (outside the options, so the bounds do not cover it)"
        elif together is None:
            line += (
                f", gap {compared['gap']:.4f} to the bound ignoring contiguity (--contiguous for both bounds)"
            )
        elif compared["contiguous_gap"] is None:
            line += f", not contiguous; gap {compared['gap']:.4f} to the bound ignoring contiguity"
        else:
            line += (
                f", gap {compared['contiguous_gap']:.4f} to the contiguous bound and "
                f"{compared['gap']:.4f} to the bound ignoring contiguity"
            )
        lines.append(line)
    limit = report["time_limit"]
    shown = round(seconds, 1)
    late = ""
    if limit is not None and shown - limit >= 0.05:
        late = (
            f"; {shown - limit:.1f} s over it: the steps that cannot stop early (reading the district, "
            "a first plan, the first cut and packing) took longer than estimated"
        )
    lines.append(f"took {shown:.1f} s (--time-limit {limit:g}{late})")
    return lines
