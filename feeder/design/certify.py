"""`--exact`: ask the exact solver for a proven cohesion bound, warm-started with the heuristic
plan, and keep its plan only when it is better and meets every hard constraint. With contiguity
on (the default) the bound is the one for contiguous plans, and the bound ignoring contiguity is
reported beside it."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from feeder import metrics
from feeder.design.checks import first_problem
from feeder.design.naming import portfolio_names
from feeder.exact import solve_contiguous, solve_exact
from feeder.geo import delaunay_edges
from feeder.plan import Plan


@dataclass(frozen=True)
class Certificate:
    """How the exact run went (status and time vary with the machine: they go to run.json).

    status/bound: for the plan's own problem (contiguous plans when contiguity is on);
    free_status/free_bound: ignoring contiguity (the same as status/bound when it is off).
    """

    status: str
    seconds: float
    bound: float | None
    used_exact_plan: bool
    free_status: str
    free_bound: float | None


def certify(plan: Plan, *, time_limit: float | None) -> tuple[Plan, Certificate]:
    """The better of the plan and the exact solver's, with `cohesion_bound` in its options."""
    district, options = plan.district, plan.options
    min_size, max_size, k = plan.min_size, plan.max_size, options.get("k")
    within_region = bool(options.get("within_region"))
    if bool(options.get("contiguous", True)):
        together = solve_contiguous(
            district,
            min_size=min_size,
            max_size=max_size,
            within_region=within_region,
            k=k,
            time_limit=time_limit,
            warm_start=plan.labels,
        )
        free = together.free
        status, bound, labels_found, seconds = (
            together.status,
            together.bound,
            together.labels,
            together.seconds,
        )
    else:
        free = solve_exact(
            district,
            min_size=min_size,
            max_size=max_size,
            within_region=within_region,
            k=k,
            time_limit=time_limit,
            warm_start=plan.labels,
        )
        status, bound, labels_found, seconds = free.status, free.bound, free.labels, free.seconds
    labels = plan.labels
    used = False
    if labels_found is not None and better(plan, np.asarray(labels_found)):
        _, part = np.unique(np.asarray(labels_found).astype(str), return_inverse=True)
        labels, used = portfolio_names(district, part), True
    chosen = dict(options, exact=True)
    if bound is not None:
        chosen["cohesion_bound"] = float(bound)
    certificate = Certificate(
        status=status,
        seconds=seconds,
        bound=bound,
        used_exact_plan=used,
        free_status=free.status,
        free_bound=free.bound,
    )
    return Plan(district, labels, min_size=plan.min_size, max_size=plan.max_size, options=chosen), certificate


def better(plan: Plan, labels: np.ndarray) -> bool:
    """Whether `labels` meets the plan's hard constraints and keeps more students together."""
    district, options = plan.district, plan.options
    if len(labels) != len(plan.labels):
        return False
    named = labels.astype(str).astype(object)
    edges = np.array(sorted(delaunay_edges(district.schools["lat"], district.schools["lon"]))).reshape(-1, 2)
    problem = first_problem(
        district,
        named,
        plan.min_size,
        plan.max_size,
        options.get("k"),
        bool(options.get("within_region")),
        bool(options.get("contiguous", True)),
        edges,
    )
    if problem is not None:
        return False
    return (metrics.cohesion(district, named) or 0.0) > (
        metrics.cohesion(district, plan.labels) or 0.0
    ) + 1e-9
