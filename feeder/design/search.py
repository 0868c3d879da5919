"""Local search over the contiguous plans of one block, then large-neighbourhood steps.

`descend` alternates single-school moves (moves.py) and two-part recombination
(recombine.py) until a round improves nothing. `ruin_and_recreate` then repeatedly
takes a few adjacent parts, re-cuts their union from scratch by tree bisection (with a
free portfolio count, into one part more or fewer when that fits), descends inside
them, and keeps the result only if the whole block scores higher — an iterated local
search that escapes the local optima single moves and pair re-cuts get stuck in.
Every step runs on an iteration budget and a seeded generator, so a seed gives one plan.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import linear_sum_assignment

from feeder.design.moves import improve_moves
from feeder.design.pool import Pool
from feeder.design.recombine import recombine_pairs
from feeder.design.seed import NoCut, bisect
from feeder.design.state import Budget, State
from feeder.design.swaps import improve_swaps

EPS = 1e-10
FLOOR = 0.1
RECREATE_TRIES = 2
LARGE_PLAN = 24
"""Plans of at least this many portfolios are large (elite.py refines them in two zones)."""
GROUP = 3
"""Portfolios one ruin-and-recreate step re-cuts in a large plan, at least; a restart's step
budget (Effort.lns_steps) is set for re-cuts of this many, and larger ruins get as many fewer
steps (`scaled_steps`). The elite phase keeps its steps (fewer lost 0.16 points on one seed of
Loudoun in portfolios of 8-14)."""
SMALL_PLAN_GROUP = 5
"""The same in a plan of fewer than LARGE_PLAN portfolios, where local optima differ across more
than three neighbouring portfolios: districts of 90-260 schools in portfolios of 12-24, seeds 0-2,
five gain over three on 6 of 17 (the charter city +0.7 points, the zone-flow 188 +0.2) and lose
0.01 points on one; in large plans five gained about 0.1 point for 1.3-1.5x the time
(docs/benchmark.md)."""
RUIN_SCHOOLS = 30
"""Schools one ruin-and-recreate step re-cuts, at least: more portfolios when they are small.
The best plans of Loudoun in portfolios of 3-5 differ from the designer's by a chain of changes
through six portfolios (measured: 13 districts in portfolios of 3-9, seeds 0-2, 11 gain or hold
on the objective, docs/benchmark.md)."""


def ruin_parts(*, parts: int, max_size: int) -> int:
    """Portfolios one ruin-and-recreate step re-cuts in a plan of `parts` portfolios of up to
    `max_size` schools."""
    group = SMALL_PLAN_GROUP if parts < LARGE_PLAN else GROUP
    return max(group, -(-RUIN_SCHOOLS // max_size))


def scaled_steps(steps: int, *, parts: int, max_size: int) -> int:
    """A budget of `steps` re-cuts of GROUP portfolios, in ruins of the plan's own size: a run
    re-cuts about the same schools in all."""
    return max(1, steps * GROUP // ruin_parts(parts=parts, max_size=max_size))


def descend(
    state: State,
    schools: list[int],
    rng: np.random.Generator,
    budget: Budget,
    *,
    rounds: int,
    trees: int,
    refresh: bool = True,
) -> None:
    """Alternate both neighbourhoods until nothing improves or `rounds` are spent."""
    for _ in range(rounds):
        if budget.spent():
            return
        improved = improve_moves(state, schools, budget)
        improved = improve_swaps(state, budget) or improved
        improved = recombine_pairs(state, trees, rng, budget) or improved
        if refresh:
            state.refresh_homes()
        if not improved:
            return
        schools = (
            sorted(set().union(*(state.members[p] for p in state.focus)))
            if state.focus
            else list(range(state.block.size))
        )


def ruin_and_recreate(
    state: State,
    rng: np.random.Generator,
    budget: Budget,
    *,
    rounds: int,
    trees: int,
    among: list[int] | None = None,
    zone: set[int] | None = None,
    pool: Pool | None = None,
) -> bool:
    """One large-neighbourhood step (its first part drawn from `among` when given, every part
    from `zone` when given); True when it was kept. The parts it builds, kept or not, go to
    `pool` when given."""
    group = pick_group(state, rng, among, zone)
    union = np.array(sorted(set().union(*(state.members[p] for p in group))))
    g = len(group)
    counts = [g]
    if not state.fixed_k:
        fewest = state.limits.fewest_parts(state.block.attributes[union].sum(axis=0))
        counts = [
            c
            for c in (g - 1, g, g + 1)
            if c >= fewest and c * state.min_size <= len(union) <= c * state.max_size
        ]
    count = counts[int(rng.integers(len(counts)))]
    before = state.value()
    saved = {p: set(state.members[p]) for p in group}
    try:
        labels = bisect(state.block, union, count, state.weights, rng, tries=RECREATE_TRIES)
    except NoCut:
        return False
    ids = matched_ids(state, group, union, labels, count)
    state.set_parts({p: set(union[labels == i].tolist()) if i < count else set() for i, p in enumerate(ids)})
    state.focus = {p for p in ids if state.alive[p]}
    descend(state, union.tolist(), rng, budget, rounds=rounds, trees=trees, refresh=False)
    state.focus = None
    if pool is not None:
        pool.add(state, ids)
    if state.value() > before + EPS:
        return True
    state.set_parts({p: saved.get(p, set()) for p in ids})
    return False


def pick_group(
    state: State, rng: np.random.Generator, among: list[int] | None = None, zone: set[int] | None = None
) -> list[int]:
    """A part (of `among` when given) drawn by the flow leaving it, then up to ruin_parts - 1
    adjacent parts (of `zone` when given) drawn by the flow they exchange with the group:
    effort goes where students are being cut."""
    count = len(state.alive)
    alive = np.array(state.alive)
    if among is not None:
        alive &= np.isin(np.arange(count), among)
    leaving = np.where(alive, state.leaving(), 0.0)
    odds = np.where(alive, leaving + FLOOR * (leaving.sum() / alive.sum() + 1e-9), 0.0)
    group = [int(rng.choice(count, p=odds / odds.sum()))]
    while len(group) < ruin_parts(parts=state.k, max_size=state.max_size):
        around = sorted(set().union(*(state.neighbour_parts(p) for p in group)) - set(group))
        if zone is not None:
            around = [q for q in around if q in zone]
        if not around:
            break
        tie = dict.fromkeys(around, 0.0)
        for p in group:
            for school in state.members[p]:
                for other, weight in state.block.flow_lists[school]:
                    q = state.part[other]
                    if q in tie:
                        tie[q] += weight
        pull = np.array([tie[q] for q in around])
        pull += FLOOR * (pull.sum() / len(around) + 1e-9)
        group.append(around[int(rng.choice(len(around), p=pull / pull.sum()))])
    return group


def matched_ids(
    state: State, group: list[int], union: np.ndarray, labels: np.ndarray, count: int
) -> list[int]:
    """Part ids for the new parts 0..count-1 (most overlap with the old parts keeps its id),
    then any ids left without a new part; new ids when there are more parts than before."""
    old = np.array([state.part[s] for s in union.tolist()])
    overlap = np.array([[np.sum((labels == i) & (old == p)) for p in group] for i in range(count)])
    rows, cols = linear_sum_assignment(overlap, maximize=True)
    ids = [-1] * count
    for r, c in zip(rows, cols, strict=True):
        ids[r] = group[c]
    for i in range(count):
        if ids[i] < 0:
            ids[i] = state.new_part()
    return ids + [p for p in group if p not in ids]
