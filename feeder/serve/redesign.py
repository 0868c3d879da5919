"""One re-design, as the worker runs it: the search with the locks and, when there are locks, the
same search without them, so that the page says what the locks cost as `feeder design --lock` does.

The two searches share the time limit as `feeder design` shares it: what is left after keeping
back the time to score the plan, half to each (the first search's unused half goes to the second).
The search without locks depends only on the server's spec and the seed, so the server keeps its
plan (when it ran to its end) and later re-designs with that seed skip it: one search each.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from feeder.clock import Clock, finish_reserve
from feeder.design.designer import DesignRun, run_design
from feeder.design.lock_cost import design_without_locks, weigh_locks
from feeder.district import District
from feeder.plan import Plan, rounded
from feeder.serve.requests import DesignRequest


@dataclass(frozen=True)
class Redesigned:
    """The page's answer, and the plan designed without locks when one was (None: none, or cut short
    by the time limit), for the server to keep."""

    answer: dict[str, Any]
    unlocked: list[str] | None


def redesign(
    district: District,
    request: DesignRequest,
    *,
    clock: Clock,
    lock_cost: bool,
    unlocked: list[str] | None = None,
) -> Redesigned:
    """The answer {"plan": {id: portfolio}, "scorecard", "time_limit_hit", "lock_cost": LockCost.as_dict()
    and its "line", or None without locks (or with --no-lock-cost)}; `clock` started when the page
    asked; `unlocked`: the labels an earlier re-design with this seed found without locks."""
    keep = finish_reserve(clock.elapsed())  # the elapsed time includes reading the district, as in design
    costing = lock_cost and bool(request.spec.locks)
    run = run_design(
        district,
        spec=request.spec,
        seed=request.seed,
        time_limit=clock.for_stage(keep=keep, share=1 / (1 + (costing and unlocked is None))),
    )
    card = run.plan.score()
    answer: dict[str, Any] = {
        "plan": dict(zip(district.ids, run.plan.labels.tolist(), strict=True)),
        "scorecard": rounded(card),
        "time_limit_hit": run.timed_out,
        "lock_cost": None,
    }
    if not costing or card["cohesion"] is None:
        return Redesigned(answer, unlocked)
    free = without_locks(district, request, unlocked=unlocked, time_limit=clock.for_stage(keep=keep))
    cost = weigh_locks(locked=run.plan, locked_cohesion=card["cohesion"], unlocked=free)
    answer["lock_cost"] = {**cost.as_dict(), "line": cost.line()}
    return Redesigned(answer, None if free.timed_out else free.plan.labels.tolist())


def without_locks(
    district: District, request: DesignRequest, *, unlocked: list[str] | None, time_limit: float | None
) -> DesignRun:
    """The plan the same search finds without locks: the kept one, else a search."""
    if unlocked is not None:
        plan = Plan(district, np.array(unlocked, dtype=object), spec=replace(request.spec, locks=()))
        return DesignRun(plan=plan, seconds=0.0, timed_out=False)
    return design_without_locks(
        district,
        spec=request.spec,
        seed=request.seed,
        effort="default",
        jobs=None,
        time_limit=time_limit,
        flow_weights=None,
    )
