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
from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console

from feeder.clock import Clock, finish_reserve
from feeder.commands.catalog import libraries
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
    MIN_CELL,
    MIN_SIZE,
    SEED,
    STABILITY,
    WITHIN_REGION,
    K,
    out_folder,
)
from feeder.errors import OptionError
from feeder.io.output import write_files
from feeder.spec import DesignSpec
from feeder.terminal import markup_safe, show_warnings
from feeder.words import counted, plan_shape

if TYPE_CHECKING:
    from feeder.plan import Plan


def register(app: typer.Typer) -> None:
    app.command("design")(design)


def design(
    district: Path = typer.Argument(..., help=DISTRICT_HELP),
    out: Path = typer.Option(
        ...,
        "--out",
        callback=out_folder,
        help="Folder for portfolios.csv, summary.csv, plan.xlsx, portfolios.geojson, scorecard.json, run.json.",
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
    lock_cost: bool = typer.Option(
        True,
        "--lock-cost/--no-lock-cost",
        help="With --lock: design again without the locks (same seed and effort) and say what they cost "
        "in cohesion. Takes a second search.",
    ),
    max_enrollment: float | None = MAX_ENROLLMENT,
    max_high_schools: int | None = MAX_HIGH_SCHOOLS,
    align_weight: float = typer.Option(
        0.0,
        "--align-weight",
        help="W: students on flows where a program continues (alignment rules) count 1 + W times.",
    ),
    exact: bool = typer.Option(
        False,
        "--exact",
        help="Also run the exact solver: a cohesion bound (for contiguous plans unless --no-contiguous), "
        "proven when time allows, and its plan if better.",
    ),
    names_from: Path | None = typer.Option(
        None,
        "--names-from",
        help="portfolios.csv whose names portfolios keep when they continue one (default: today's).",
    ),
    min_cell: int = MIN_CELL,
) -> None:
    """Design portfolios that keep students' feeder paths together.

    Across regions unless --within-region (`feeder run` nests in regions by default).
    """
    with libraries():
        from feeder.alignment import pathway_weights
        from feeder.design.certify import certify
        from feeder.design.designer import run_design
        from feeder.design.effort import Effort
        from feeder.design.lock_cost import design_without_locks, weigh_locks
        from feeder.design.locks import read_locks
        from feeder.design.naming import renamed
        from feeder.district import load_district
        from feeder.plan import Plan
        from feeder.privacy import with_min_cell
        from feeder.provenance import estimate_note, with_flows_source

    clock = Clock.start(time_limit)
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
    if lock is not None and names_from is not None:
        raise OptionError(
            "--names-from with --lock: locked portfolios carry their lock names; drop one of the two"
        )
    loaded = with_min_cell(load_district(district), min_cell)
    keep = finish_reserve(clock.elapsed())
    if lock is not None:
        spec = replace(spec, locks=read_locks(lock, district=loaded))
    # read before the search: a bad file is refused at once, and its warnings are shown with the district's
    reference = Plan.from_csv(loaded, names_from).labels if names_from is not None else None
    weights = align_weight * pathway_weights(loaded) if align_weight > 0 else None
    costing = lock_cost and bool(spec.locks)
    stages = 1 + costing + exact  # the search, the search without locks, the proof: equal shares of the time
    search_limit = clock.for_stage(keep=keep, share=1 / stages)
    run = run_design(
        loaded,
        spec=spec,
        seed=seed,
        time_limit=search_limit,
        flow_weights=weights,
        effort=effort,
        jobs=jobs,
        before_search=lambda: show_warnings(loaded.warnings),  # a refused run prints its one line only
    )
    plan = run.plan
    details: dict[str, Any] = {"search_seconds": round(run.seconds, 3), "time_limit_hit": run.timed_out}
    # The setting as given: the search's own share of it depends on how fast the district was read.
    provenance = plan.provenance.with_setting("time_limit", time_limit)
    if align_weight > 0:
        provenance = provenance.with_setting("align_weight", align_weight)
    plan = replace(plan, provenance=provenance)
    unlocked = None
    if costing:
        unlocked = design_without_locks(
            loaded,
            spec=spec,
            seed=seed,
            effort=effort,
            jobs=jobs,
            time_limit=clock.for_stage(keep=keep, share=1 / (stages - 1)),
            flow_weights=weights,
        )
    bound = None
    if exact:
        plan, certificate = certify(plan, time_limit=clock.for_stage(keep=keep))
        bound = certificate.bound
        details["exact"] = {
            "status": certificate.status,
            "seconds": round(certificate.seconds, 3),
            "used_exact_plan": certificate.used_exact_plan,
            "bound": certificate.bound,
            "bound_ignoring_contiguity": certificate.free_bound,
            "status_ignoring_contiguity": certificate.free_status,
        }
    if reference is not None:
        plan = replace(plan, labels=renamed(loaded, plan.labels, reference=reference))
    card = with_flows_source(plan.score(cohesion_bound=bound), loaded)
    cost = None
    if unlocked is not None and card["cohesion"] is not None:
        cost = weigh_locks(locked=plan, locked_cohesion=card["cohesion"], unlocked=unlocked)
        details["without_locks"] = cost.as_dict()
    files = plan_files(plan, card)
    files["run.json"] = json.dumps(details, indent=2) + "\n"
    written = write_files(out, files)
    details["command_seconds"] = clock.elapsed()
    details["time_limit"] = time_limit
    summarize(loaded.name, card, details, [path.name for path in written], out)
    if cost is not None:
        Console().print(cost.line())
    note = estimate_note(loaded)
    if note:
        Console().print(f"[yellow]note:[/yellow] {note}")


def plan_files(plan: Plan, card: dict) -> dict[str, str | bytes]:
    """The files a designed plan is shared as (shared with `feeder run`)."""
    from feeder.io.plan_tables import summary_csv, summary_table
    from feeder.io.workbook import plan_workbook
    from feeder.plan import scorecard_json
    from feeder.privacy import data_notes

    summary = summary_table(plan)  # one table for summary.csv and the workbook's sheet
    return {
        "portfolios.csv": plan.to_csv(),
        "summary.csv": summary_csv(plan, summary=summary),
        "plan.xlsx": plan_workbook(plan, summary=summary),
        "portfolios.geojson": plan.to_geojson(),
        "scorecard.json": scorecard_json({**card, "data_warnings": data_notes(plan.district)}),
    }


def summarize(name: str, card: dict, details: dict, files: list[str], out: Path) -> None:
    """A few lines a planner reads at a glance; the full scorecard is in scorecard.json."""
    console = Console()
    console.print(
        f"[bold]{markup_safe(name)}[/bold]: {plan_shape(card)} "
        f"({card['min_size']}-{card['max_size']} allowed)"
    )
    cohesion = "—" if card["cohesion"] is None else f"{card['cohesion']:.4f}"
    bound = exact_note(card, details.get("exact"))
    moved = (
        "" if card.get("moved") is None else f" · {counted(card['moved'], 'school')} moved from today's plan"
    )
    console.print(
        f"cohesion {cohesion}{bound} · contiguous {card['contiguous']:.0%} · K-12 complete "
        f"{card['k12_complete']:.0%} · {card['mean_km']:.2f} km to the meeting site on average{moved}"
    )
    late = " (stopped at --time-limit)" if details["time_limit_hit"] else ""
    limit = details["time_limit"]
    if limit is not None and details["command_seconds"] > limit:
        late += (
            f", {details['command_seconds'] - limit:.0f} s over --time-limit {limit:g} s: the steps that cannot "
            "stop early (reading the district, a first plan, scoring and writing) took longer than estimated"
        )
    console.print(
        f"wrote {markup_safe(', '.join(files))} to {markup_safe(str(out))} in {details['command_seconds']:.1f} s{late}"
    )


def exact_note(card: dict, exact: dict | None) -> str:
    """The bound beside the cohesion: "proven best" only when the solver proved it."""
    if exact is None or "cohesion_bound" not in card:
        return ""
    spec = card["spec"]
    shape = "contiguous plans" if spec["contiguous"] else "plans in range"
    if spec["locks"] or spec["max_enrollment"] is not None or spec["max_high_schools"] is not None:
        return f" (upper bound for {shape} ignoring locks and caps {card['cohesion_bound']:.4f})"
    if exact["status"] == "optimal":
        return f" (proven best of {shape} {card['cohesion_bound']:.4f})"
    return f" (upper bound for {shape} {card['cohesion_bound']:.4f}, not proven)"
