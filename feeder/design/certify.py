"""`--exact`: ask the exact solver for a proven cohesion bound, warm-started with the heuristic
plan, and keep its plan only when it is better and meets every hard constraint. With contiguity
on (the default) the bound is the one for contiguous plans, and the bound ignoring contiguity is
reported beside it."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from feeder import metrics
from feeder.constraints import violations
from feeder.design.locks import plan_names
from feeder.exact import solve_contiguous, solve_exact
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
    """The better of the plan and the exact solver's; the certificate carries both bounds."""
    district, spec = plan.district, plan.spec
    if spec.contiguous:
        together = solve_contiguous(district, spec=spec, time_limit=time_limit, warm_start=plan.labels)
        free = together.free
        status, bound, labels_found, seconds = (
            together.status,
            together.bound,
            together.labels,
            together.seconds,
        )
    else:
        free = solve_exact(district, spec=spec, time_limit=time_limit, warm_start=plan.labels)
        status, bound, labels_found, seconds = free.status, free.bound, free.labels, free.seconds
    labels = plan.labels
    used = False
    if labels_found is not None:
        _, part = np.unique(np.asarray(labels_found).astype(str), return_inverse=True)
        named = plan_names(district, part, spec)
        if better(plan, named):
            labels, used = named, True
    provenance = replace(plan.provenance, settings=(*plan.provenance.settings, ("exact", True)))
    certificate = Certificate(
        status=status,
        seconds=seconds,
        bound=None if bound is None else float(bound),
        used_exact_plan=used,
        free_status=free.status,
        free_bound=free.bound,
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
