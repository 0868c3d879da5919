"""`--exact`: ask the exact MIP solver for a proven cohesion bound, warm-started with the
heuristic plan, and keep its plan only when it is better and meets every hard constraint
(the exact model may not enforce contiguity, so its plan is checked like ours)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from feeder import metrics
from feeder.design.checks import first_problem
from feeder.design.naming import portfolio_names
from feeder.exact import solve_exact
from feeder.geo import delaunay_edges
from feeder.plan import Plan


@dataclass(frozen=True)
class Certificate:
    """How the exact run went (status and time vary with the machine: they go to run.json)."""

    status: str
    seconds: float
    bound: float | None
    used_exact_plan: bool


def certify(plan: Plan, *, time_limit: float | None) -> tuple[Plan, Certificate]:
    """The better of the plan and the exact solver's, with `cohesion_bound` in its options."""
    district, options = plan.district, plan.options
    result = solve_exact(
        district,
        min_size=plan.min_size,
        max_size=plan.max_size,
        within_region=bool(options.get("within_region")),
        time_limit=time_limit,
        warm_start=plan.labels,
        k=options.get("k"),
    )
    labels = plan.labels
    used = False
    if result.labels is not None and better(plan, np.asarray(result.labels)):
        _, part = np.unique(np.asarray(result.labels).astype(str), return_inverse=True)
        labels, used = portfolio_names(district, part), True
    chosen = dict(options, exact=True)
    if result.bound is not None:
        chosen["cohesion_bound"] = float(result.bound)
    certificate = Certificate(
        status=result.status, seconds=result.seconds, bound=result.bound, used_exact_plan=used
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
