"""`--exact`: ask the exact MIP solver for a proven cohesion bound, warm-started with the
heuristic plan, and keep its plan only when it is better and meets every hard constraint
(the exact model may not enforce contiguity, so its plan is checked like ours)."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from feeder import metrics
from feeder.constraints import violations
from feeder.design.locks import plan_names
from feeder.plan import Plan


@dataclass(frozen=True)
class Certificate:
    """How the exact run went (status and time vary with the machine: they go to run.json)."""

    status: str
    seconds: float
    bound: float | None
    used_exact_plan: bool


def certify(plan: Plan, *, time_limit: float | None) -> tuple[Plan, Certificate]:
    """The better of the plan and the exact solver's; the certificate carries the bound."""
    from feeder.design.exact import solve_exact

    district, spec = plan.district, plan.spec
    result = solve_exact(
        district,
        min_size=spec.min_size,
        max_size=spec.max_size,
        within_region=spec.within_region,
        time_limit=time_limit,
        warm_start=plan.labels,
        k=spec.k,
    )
    labels = plan.labels
    used = False
    if result.labels is not None:
        _, part = np.unique(np.asarray(result.labels).astype(str), return_inverse=True)
        named = plan_names(district, part, spec)
        if better(plan, named):
            labels, used = named, True
    provenance = replace(plan.provenance, settings=(*plan.provenance.settings, ("exact", True)))
    certificate = Certificate(
        status=result.status,
        seconds=result.seconds,
        bound=None if result.bound is None else float(result.bound),
        used_exact_plan=used,
    )
    return Plan(district, labels, spec=spec, provenance=provenance), certificate


def better(plan: Plan, labels: np.ndarray) -> bool:
    """Whether `labels` meets the plan's hard constraints and keeps more students together."""
    district = plan.district
    if len(labels) != len(plan.labels):
        return False
    named = labels.astype(str).astype(object)
    if violations(district, named, plan.spec):
        return False
    return (metrics.cohesion(district, named) or 0.0) > (
        metrics.cohesion(district, plan.labels) or 0.0
    ) + 1e-9
