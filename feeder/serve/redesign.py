"""One re-design, as the worker runs it: the search with the locks and, when there are locks, the
same search without them, so that the page says what the locks cost as `feeder design --lock` does.

The two searches share the time limit as `feeder design` shares it: what is left after keeping
back the time to score the plan, half to each (the first search's unused half goes to the second).
"""

from __future__ import annotations

from typing import Any

from feeder.clock import Clock, finish_reserve
from feeder.design.designer import run_design
from feeder.design.lock_cost import design_without_locks, weigh_locks
from feeder.district import District
from feeder.plan import rounded
from feeder.serve.requests import DesignRequest


def redesign(district: District, request: DesignRequest, *, clock: Clock, lock_cost: bool) -> dict[str, Any]:
    """{"plan": {id: portfolio}, "scorecard", "time_limit_hit", "lock_cost": LockCost.as_dict() and its
    "line", or None without locks (or with --no-lock-cost)}; `clock` started when the page asked."""
    keep = finish_reserve(clock.elapsed())  # the elapsed time includes reading the district, as in design
    costing = lock_cost and bool(request.spec.locks)
    run = run_design(
        district,
        spec=request.spec,
        seed=request.seed,
        time_limit=clock.for_stage(keep=keep, share=1 / (1 + costing)),
    )
    card = run.plan.score()
    answer: dict[str, Any] = {
        "plan": dict(zip(district.ids, run.plan.labels.tolist(), strict=True)),
        "scorecard": rounded(card),
        "time_limit_hit": run.timed_out,
        "lock_cost": None,
    }
    if costing and card["cohesion"] is not None:
        unlocked = design_without_locks(
            district,
            spec=request.spec,
            seed=request.seed,
            effort="default",
            jobs=None,
            time_limit=clock.for_stage(keep=keep),
            flow_weights=None,
        )
        cost = weigh_locks(locked=run.plan, locked_cohesion=card["cohesion"], unlocked=unlocked)
        answer["lock_cost"] = {**cost.as_dict(), "line": cost.line()}
    return answer
