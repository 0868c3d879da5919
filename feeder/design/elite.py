"""The elite phase: more search where the restarts disagree, after they have all finished.

Portfolios that two restarts found independently (the same schools) are probably right;
the rest of the best plan is where the seeds' luck lies. This phase takes the best
restart's plan and spends extra ruin-and-recreate steps on groups around the portfolios
no other restart shares (a crossover that keeps the shared portfolios and re-cuts the
rest), then a final descent. It runs on the restarts' outcomes in task order with its own
seed stream, so the plan still depends only on input, seed and effort — not on --jobs —
and it keeps a step only when the objective rises, so it never returns a worse plan.
Then every portfolio the restarts and this phase built is recombined by set partitioning
(pool.py) and the result descended once more; last, on blocks small enough for the effort,
adjacent portfolios are re-cut exactly (exact_recut.py).
"""

from __future__ import annotations

import numpy as np

from feeder.design.exact_recut import improve_exactly
from feeder.design.pool import Pool, recombine_pool
from feeder.design.restarts import Outcome, Task, best_of
from feeder.design.search import descend, ruin_and_recreate
from feeder.design.state import Budget, State

# Steps per disputed portfolio: twice a restart's per portfolio. On the generated 1,000 schools
# 16 gained +0.10 points over seeds 0-4 and 8 half that; 8 over every portfolio gained nothing.
STEPS_PER_DISPUTED = 16
ROUNDS = 30
LNS_ROUNDS = 3
TREES = 4


def shared_parts(part: np.ndarray, others: list[np.ndarray]) -> set[int]:
    """Parts of `part` whose exact member set is a part of some other plan."""
    seen = {frozenset(np.flatnonzero(other == q).tolist()) for other in others for q in np.unique(other)}
    return {int(p) for p in np.unique(part) if frozenset(np.flatnonzero(part == p).tolist()) in seen}


def refine(
    state: State,
    others: list[np.ndarray],
    rng: np.random.Generator,
    budget: Budget,
    *,
    steps_per_part: float = STEPS_PER_DISPUTED,
    pool: Pool | None = None,
) -> None:
    """Raise `state` (the best plan) by searching around the parts no plan of `others` shares."""
    shared = shared_parts(np.array(state.part), others)
    disputed = [p for p in range(len(state.alive)) if state.alive[p] and p not in shared]
    if not disputed:
        return
    for _ in range(max(1, round(steps_per_part * len(disputed)))):
        if budget.spent():
            break
        among = [p for p in range(len(state.alive)) if state.alive[p] and p not in shared]
        ruin_and_recreate(state, rng, budget, rounds=LNS_ROUNDS, trees=TREES, among=among or None, pool=pool)
    descend(state, list(range(state.block.size)), rng, budget, rounds=ROUNDS, trees=TREES)


def polish(task: Task, outcomes: list[Outcome]) -> Outcome:
    """The best of one block's restarts, refined by the elite phase when there are several."""
    best = best_of(outcomes)
    if len(outcomes) < 2 or int(best.part.max()) < 1:
        return best
    budget = Budget(task.deadline)
    rng = np.random.default_rng([task.stream[0], task.stream[1], 0, 1])
    state = State(task.block, best.part.copy(), fixed_k=task.k is not None, weights=task.weights)
    others = [outcome.part for outcome in outcomes if outcome is not best]
    pool = Pool()
    for outcome in outcomes:
        pool.merge(outcome.pool)
    refine(state, others, rng, budget, pool=pool)
    if recombine_pool(state, pool, budget):
        descend(state, list(range(state.block.size)), rng, budget, rounds=ROUNDS, trees=TREES)
    most = task.effort.exact_recuts(state.k)
    if most and improve_exactly(state, budget, most=most):
        descend(state, list(range(state.block.size)), rng, budget, rounds=ROUNDS, trees=TREES)
    if state.value() <= best.value:
        return best
    return Outcome(state.labels(), state.value(), best.timed_out or budget.timed_out)
