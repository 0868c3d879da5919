"""The elite phase: more search where the restarts disagree, after they have all finished.

Portfolios that two restarts found independently (the same schools) are probably right;
the rest of the best plan is where the seeds' luck lies. This phase takes the best
restart's plan and spends extra ruin-and-recreate steps on groups around the portfolios
no other restart shares (a crossover that keeps the shared portfolios and re-cuts the
rest), then a final descent. A plan of ZONE_PARTS portfolios or more is refined in two
zones at once, in worker processes, each zone's steps kept to its own portfolios. It runs on
the restarts' outcomes in task order with its own seed streams (one per zone), so the plan
still depends only on input, seed and effort — not on --jobs — and it keeps a step only
when the objective rises, so it never returns a worse plan.
Then every portfolio the restarts and this phase built is recombined by set partitioning
(pool.py) and the result descended once more; last, on blocks small enough for the effort,
adjacent portfolios are re-cut exactly (exact_recut.py).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from feeder.design.exact_recut import improve_exactly
from feeder.design.objective import COUNT, Weights, X, Y
from feeder.design.pool import Pool, recombine_pool
from feeder.design.problem import Block
from feeder.design.restarts import Outcome, Task, best_of
from feeder.design.search import LARGE_PLAN, descend, ruin_and_recreate
from feeder.design.state import Budget, State
from feeder.design.workers import map_in_order

# Steps per disputed portfolio: twice a restart's per portfolio. On the generated 1,000 schools
# 16 gained +0.10 points over seeds 0-4 and 8 half that; 8 over every portfolio gained nothing.
STEPS_PER_DISPUTED = 16
ROUNDS = 30
LNS_ROUNDS = 3
TREES = 4
ZONE_PARTS = LARGE_PLAN
"""A best plan of at least this many portfolios is refined in two zones (halves of its
portfolios, split across the district's longer side) in parallel processes: where two restarts
disagree on most portfolios (about 1,000 schools), refining one zone after the other took
as long as a restart."""


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
    zone: set[int] | None = None,
) -> None:
    """Raise `state` (the best plan) by searching around the parts no plan of `others` shares
    (only among the parts of `zone`, and those its steps create, when given; the final descent
    over every school is then left to the caller)."""
    shared = shared_parts(np.array(state.part), others)
    first_new = len(state.alive)
    if zone is not None:
        zone = set(zone)

    def disputed() -> list[int]:
        return [
            p
            for p in range(len(state.alive))
            if state.alive[p] and p not in shared and (zone is None or p in zone)
        ]

    count = len(disputed())
    if not count:
        return
    for _ in range(max(1, round(steps_per_part * count))):
        if budget.spent():
            break
        if zone is not None:
            zone.update(range(first_new, len(state.alive)))
        among = disputed()
        ruin_and_recreate(
            state, rng, budget, rounds=LNS_ROUNDS, trees=TREES, among=among or None, zone=zone, pool=pool
        )
    if zone is None:
        descend(state, list(range(state.block.size)), rng, budget, rounds=ROUNDS, trees=TREES)


@dataclass(frozen=True)
class Zone:
    """One zone of the best plan to refine in a worker process."""

    block: Block
    part: np.ndarray
    fixed_k: bool
    weights: Weights
    others: list[np.ndarray]
    parts: frozenset[int]
    stream: tuple[int, ...]
    deadline: float | None


def refine_zone(zone: Zone) -> tuple[np.ndarray, Pool]:
    """The zone's refined plan (part numbers, valid for the zone's schools) and the portfolios built."""
    state = State(zone.block, zone.part.copy(), fixed_k=zone.fixed_k, weights=zone.weights)
    pool = Pool()
    rng = np.random.default_rng(list(zone.stream))
    refine(state, zone.others, rng, Budget(zone.deadline), pool=pool, zone=set(zone.parts))
    return np.array(state.part), pool


def zones(state: State) -> list[frozenset[int]]:
    """The parts in two halves by their centres along the longer side of the block (ties: id)."""
    live = [p for p in range(len(state.alive)) if state.alive[p]]
    centres = state.stats[live][:, [X, Y]] / state.stats[live][:, [COUNT]]
    axis = int(np.argmax(np.ptp(centres, axis=0)))
    order = sorted(range(len(live)), key=lambda i: (float(centres[i, axis]), live[i]))
    half = len(order) // 2
    return [frozenset(live[i] for i in order[:half]), frozenset(live[i] for i in order[half:])]


def refine_in_zones(
    state: State, others: list[np.ndarray], task: Task, budget: Budget, pool: Pool, jobs: int
) -> State:
    """`refine` run on each zone in parallel, the zones' plans joined into one (the parts
    of one zone never touch another's schools)."""
    part = np.array(state.part)
    work = [
        Zone(
            block=task.block,
            part=part,
            fixed_k=state.fixed_k,
            weights=task.weights,
            others=others,
            parts=parts,
            stream=(task.stream[0], task.stream[1], 0, 2, index),
            deadline=budget.deadline,
        )
        for index, parts in enumerate(zones(state))
    ]
    joined = np.empty_like(part)
    results = map_in_order(refine_zone, work, jobs=jobs)
    for index, (zone, (refined, built)) in enumerate(zip(work, results, strict=True)):
        inside = np.isin(part, list(zone.parts))
        joined[inside] = refined[inside] + index * len(refined)
        pool.merge(built)
    _, labels = np.unique(joined, return_inverse=True)
    return State(task.block, labels, fixed_k=state.fixed_k, weights=task.weights)


def polish(task: Task, outcomes: list[Outcome], *, jobs: int = 1) -> Outcome:
    """The best of one block's restarts, refined by the elite phase when there are several
    (large plans in zones, on up to `jobs` processes: the plan does not depend on it)."""
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
    if state.k >= ZONE_PARTS:
        state = refine_in_zones(state, others, task, budget, pool, jobs)
        descend(state, list(range(state.block.size)), rng, budget, rounds=ROUNDS, trees=TREES)
    else:
        refine(state, others, rng, budget, pool=pool)
    if recombine_pool(state, pool, budget):
        descend(state, list(range(state.block.size)), rng, budget, rounds=ROUNDS, trees=TREES)
    most = task.effort.exact_recuts(state.k)
    if most and improve_exactly(state, budget, most=most):
        descend(state, list(range(state.block.size)), rng, budget, rounds=ROUNDS, trees=TREES)
    if state.value() <= best.value:
        return best
    return Outcome(state.labels(), state.value(), best.timed_out or budget.timed_out)
