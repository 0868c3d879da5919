"""The cohesion upper bound ignoring contiguity: stage 1 (pieces.py), stage 2 (packing.py),
and stage 3, the full MIP over all schools, tied together under one time limit.

Stage 3 runs when the pieces do not pack or a cut is left unproven and the district is small
enough for it to help, with the floor of stage 1 and starting from the best plan known (the
packed one or the caller's `warm_start`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from feeder.district import District
from feeder.exact.packing import PACKING_SECONDS, chunked, pack, shed_weakest
from feeder.exact.pieces import relax
from feeder.exact.problem import (
    FlowProblem,
    check_options,
    flow_problem,
    loss,
    portfolio_numbers,
    tolerance,
)
from feeder.exact.represent import Partition, Start, heaviest_leaves, hubs_first, leaf_pairs, solve_partition
from feeder.exact.result import ExactResult, result
from feeder.spec import DesignSpec

DEFAULT_TIME_LIMIT = 60.0
RELAX_SHARE = 0.15  # share of the time the stage-1 MIPs may use when the full MIP may follow (measured: the
# representative full model proves generated 100-school districts the cluster cuts leave open; 0.4 -> 0.15
# proved 7 districts of 90-150 schools in 456 s instead of 654, and left no 60 s bound weaker)
PACKING_RESERVE = 0.05  # share of the time kept for packing when it may not
FULL_LIMIT = 150  # schools with flows (leaves aside) beyond which the full MIP is not attempted (its model grows as the
# square; measured: on a generated 200-school district it did not close, and that run overran 300 s by 8 s)


def solve_exact(
    district: District,
    *,
    spec: DesignSpec,
    time_limit: float | None = DEFAULT_TIME_LIMIT,
    warm_start: np.ndarray | None = None,
) -> ExactResult:
    """Prove the best cohesion of any plan meeting the spec's sizes, k and regions (contiguity ignored).

    time_limit: seconds (None: DEFAULT_TIME_LIMIT). warm_start: a plan (portfolio names aligned with
    district.schools), e.g. the heuristic's; used when it satisfies the options. Raises
    FeederError when no plan can satisfy them. The bound is valid even when the time limit
    stops the proof early.
    """
    started = time.monotonic()
    check_options(district, spec, time_limit)
    min_size, max_size, k = spec.min_size, spec.max_size, spec.k
    problem = flow_problem(district, spec)
    deadline = started + (DEFAULT_TIME_LIMIT if time_limit is None else time_limit)
    warm = portfolio_numbers(district, spec, warm_start)
    small = len(np.unique(problem.edges)) - int((flow_leaves(problem) >= 0).sum()) <= FULL_LIMIT
    relax_until = started + (deadline - started) * (RELAX_SHARE if small else 1 - PACKING_RESERVE)
    pieces, floor, closed = relax(problem, max_size, warm, relax_until)
    packing_until = max(deadline, time.monotonic() + PACKING_SECONDS)
    packed = pack(problem, pieces, min_size, max_size, k, packing_until)
    shed = pieces
    while packed is None and (shed >= 0).any() and time.monotonic() < packing_until:
        shed = shed_weakest(problem, shed)
        packed = pack(problem, shed, min_size, max_size, k, packing_until)
    plans = [plan for plan in (warm, packed) if plan is not None] + [chunked(problem, k)]
    best = min(plans, key=lambda plan: loss(problem, plan))
    full = small and loss(problem, best) - floor > tolerance(problem)
    if full:
        best, floor = solve_full(problem, min_size, max_size, k, floor, best, deadline)
    open_status = "not proven" if closed and not full else "time limit"
    return result(district, problem, best, floor, open_status, time.monotonic() - started)


@dataclass(frozen=True)
class FullModel:
    """The representative MIP over every school with flows: items hubs first and leaves last (by
    block), order[r] the school of rank r, rank[s] the rank of school s (-1: no flows), parent[s]
    the school a leaf s flows to (-1: not a leaf)."""

    partition: Partition
    order: np.ndarray
    rank: np.ndarray
    parent: np.ndarray


def full_model(problem: FlowProblem, min_size: int, max_size: int, k: int | None) -> FullModel:
    """Every school with flows an item (the others are filler), leaves with their parent or spare."""
    flowing = np.zeros(len(problem.block), dtype=bool)
    flowing[problem.edges.ravel()] = True
    parent = flow_leaves(problem)
    strength = hubs_first(len(problem.block), problem.edges, problem.weights)
    order = strength[flowing[strength]]
    order = order[np.lexsort((parent[order] >= 0, problem.block[order]))]
    rank = np.full(len(problem.block), -1)
    rank[order] = np.arange(len(order))
    block = problem.block[order]
    ranked_parent = np.where(parent[order] >= 0, rank[parent[order]], -1)
    partition = Partition(
        block=block,
        pairs=leaf_pairs(block, ranked_parent),
        counts=problem.counts,
        filler=np.bincount(problem.block[~flowing], minlength=problem.n_blocks),
        edges=rank[problem.edges],
        weights=problem.weights,
        min_size=min_size,
        max_size=max_size,
        k=k,
        leaves=tuple((leaf, int(up)) for leaf, up in enumerate(ranked_parent.tolist()) if up >= 0),
    )
    return FullModel(partition, order, rank, parent)


def solve_full(
    problem: FlowProblem,
    min_size: int,
    max_size: int,
    k: int | None,
    floor: float,
    best: np.ndarray,
    deadline: float,
) -> tuple[np.ndarray, float]:
    """The full representative MIP, from the stage-1 floor and the best plan known."""
    model = full_model(problem, min_size, max_size, k)
    solved = solve_partition(model.partition, deadline, full_start(problem, model, best))
    floor = max(floor, solved.floor)
    if solved.representative is None or solved.filler is None or solved.alone is None:
        return best, floor
    found = school_plan(problem, model.order, solved.representative, solved.filler, solved.alone)
    return (found if loss(problem, found) < loss(problem, best) else best), floor


def flow_leaves(problem: FlowProblem) -> np.ndarray:
    """Parent of each leaf of the flow graph (a school whose one flow goes to a school with more),
    -1 for the others: with contiguity ignored a leaf is with its parent or anywhere else."""
    degree = np.bincount(problem.edges.ravel(), minlength=len(problem.block))
    parent = np.full(len(problem.block), -1)
    for a, b in problem.edges.tolist():
        for leaf, up in ((a, b), (b, a)):
            if degree[leaf] == 1 and degree[up] > 1:
                parent[leaf] = up
    return parent


def full_start(problem: FlowProblem, model: FullModel, best: np.ndarray) -> Start:
    """A plan as a start of the full model: its groups of items, their filler (schools without
    flows, and leaves away from their parent: spare, group -1), and its portfolios of filler alone.
    Of a parent's leaves, the heaviest are taken to be the ones with it (heavier_first in the
    model): every portfolio keeps its size and no student is lost."""
    parent, rank, order = model.parent, model.rank, model.order
    groups = np.unique(best, return_inverse=True)[1]
    leaf = parent >= 0
    parent_group = groups[np.where(leaf, parent, 0)]
    away = leaf & (groups != parent_group)
    filler = np.bincount(groups[(rank < 0) | away], minlength=int(groups.max()) + 1)
    item = (rank >= 0) & ~leaf
    item[kept_heaviest(model, groups)] = True
    item_groups = np.where(leaf, parent_group, groups)
    holds_items = np.zeros(len(filler), dtype=bool)
    holds_items[item_groups[item]] = True
    first = np.full(len(filler), len(order))
    np.minimum.at(first, item_groups[item], rank[item])
    group_block = np.zeros(len(filler), dtype=int)
    group_block[groups] = problem.block
    alone = np.bincount(group_block[~holds_items], minlength=problem.n_blocks)
    item_filler = np.zeros(len(order), dtype=int)
    item_filler[first[holds_items]] = filler[holds_items]
    return Start(np.where(item, item_groups, -1)[order], item_filler, alone)


def kept_heaviest(model: FullModel, groups: np.ndarray) -> np.ndarray:
    """Leaves (schools) to count as with their parent: as many as the plan keeps with it, the
    heaviest first, in the order the model's heavier_first rows impose."""
    ranked = groups[model.order]
    kept = [
        leaf
        for parent, leaves in heaviest_leaves(model.partition).items()
        for leaf in leaves[: int((ranked[leaves] == ranked[parent]).sum())]
    ]
    return model.order[np.array(kept, dtype=int)]


def school_plan(
    problem: FlowProblem,
    order: np.ndarray,
    representative: np.ndarray,
    filler: np.ndarray,
    alone: np.ndarray,
) -> np.ndarray:
    """Portfolio number of every school: items by representative, the others (no flows, or spare
    leaves) filling their representatives' places in file order, then portfolios of their own in
    even chunks."""
    portfolio = np.full(len(problem.block), -1)
    portfolio[order] = representative
    used = len(order)
    for block in range(problem.n_blocks):
        free = np.flatnonzero((portfolio < 0) & (problem.block == block))
        reps = np.flatnonzero(problem.block[order] == block)
        taken = np.repeat(reps, filler[reps])
        portfolio[free[: len(taken)]] = taken
        rest = free[len(taken) :]
        if len(rest):
            portfolio[rest] = used + np.arange(len(rest)) * alone[block] // len(rest)
            used += int(alone[block])
    return portfolio
