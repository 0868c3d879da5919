"""The cohesion upper bound ignoring contiguity: stage 1 (pieces.py), stage 2 (packing.py),
and stage 3, the full MIP over all schools, tied together under one time limit.

Stage 3 runs when the pieces do not pack or a cut is left unproven and the district is small
enough for it to help, with the floor of stage 1 and starting from the best plan known (the
packed one or the caller's `warm_start`).
"""

from __future__ import annotations

import time

import numpy as np

from feeder.district import District
from feeder.exact.model import Model, Start, solve
from feeder.exact.packing import chunked, pack, portfolio_slots, school_slots, shed_weakest
from feeder.exact.pieces import relax
from feeder.exact.problem import (
    FlowProblem,
    check_options,
    components,
    flow_problem,
    local_edges,
    loss,
    portfolio_numbers,
    tolerance,
)
from feeder.exact.result import ExactResult, result
from feeder.spec import DesignSpec

DEFAULT_TIME_LIMIT = 60.0
RELAX_SHARE = 0.8  # share of the time the stage-1 MIPs may use when the full MIP may follow
PACKING_RESERVE = 0.05  # share of the time kept for packing when it may not
FULL_LIMIT = 150  # schools with flows beyond which the full MIP is not attempted (its LP alone is too slow)


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
    small = len(np.unique(problem.edges)) <= FULL_LIMIT
    relax_until = started + (deadline - started) * (RELAX_SHARE if small else 1 - PACKING_RESERVE)
    pieces, floor, closed = relax(problem, max_size, warm, relax_until)
    packed = pack(problem, pieces, min_size, max_size, k, deadline)
    shed = pieces
    while packed is None and (shed >= 0).any():
        shed = shed_weakest(problem, shed)
        packed = pack(problem, shed, min_size, max_size, k, deadline)
    plans = [plan for plan in (warm, packed) if plan is not None] + [chunked(problem, k)]
    best = min(plans, key=lambda plan: loss(problem, plan))
    full = small and loss(problem, best) - floor > tolerance(problem)
    if full:
        best, floor = solve_full(problem, min_size, max_size, k, floor, best, deadline)
    open_status = "not proven" if closed and not full else "time limit"
    return result(district, problem, best, floor, open_status, time.monotonic() - started)


def solve_full(
    problem: FlowProblem,
    min_size: int,
    max_size: int,
    k: int | None,
    floor: float,
    best: np.ndarray,
    deadline: float,
) -> tuple[np.ndarray, float]:
    """The MIP over every school with flows, from the stage-1 floor and the best plan known."""
    order = np.concatenate([np.zeros(0, dtype=int), *components(problem)])
    order = order[np.argsort(problem.block[order], kind="stable")]
    flowing = np.zeros(len(problem.block), dtype=bool)
    flowing[order] = True
    edges, weights = local_edges(problem, order)
    model = Model(
        sizes=np.ones(len(order), dtype=int),
        block=problem.block[order],
        slots=portfolio_slots(problem, max_size, k),
        filler=np.bincount(problem.block[~flowing], minlength=problem.n_blocks),
        edges=edges,
        weights=weights,
        min_size=min_size,
        max_size=max_size,
        k=k,
    )
    groups = np.unique(best, return_inverse=True)[1]
    block = np.zeros(int(groups.max()) + 1, dtype=int)
    block[groups] = problem.block
    start = Start(groups[order], np.bincount(groups[~flowing], minlength=len(block)), block)
    solved = solve(model, deadline, start)
    floor = max(floor, solved.floor)
    if solved.slot is None or solved.filler is None:
        return best, floor
    position = np.empty(len(problem.block), dtype=int)
    position[order] = np.arange(len(order))
    found = school_slots(problem, flowing, solved.slot[position[flowing]], solved.filler, model.slots)
    return (found if loss(problem, found) < loss(problem, best) else best), floor
