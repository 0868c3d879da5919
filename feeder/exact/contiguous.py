"""Exact mode for contiguous plans: the best cohesion of plans whose portfolios are connected on
the Delaunay graph (the graph of METRICS.md `contiguous`), with their sizes in range.

1. The contiguity-free bound (solve.py) comes first: it bounds contiguous plans too, and when a
   contiguous plan (the warm start, or the plan found proving that bound) reaches it, that plan
   is proven optimal without more work. Loudoun's 12-24 range ends here.
2. Otherwise a MIP over every school (model.py, every school an item of size 1) runs in rounds,
   the cut formulation of Validi, Buchanan & Lykhovyd (2022, "Imposing contiguity constraints in
   political districting models", Operations Research): a portfolio that holds schools a and b
   holds one school of every (a, b)-separator of the map. Every round solves the model with the
   separators found so far (plus "no school alone": a school has a neighbour in its portfolio);
   when its plan has a disconnected portfolio, minimal separators between its pieces are added
   and the next round starts from the best contiguous plan known. A round's model relaxes the
   contiguous problem, so its proven floor is a floor for contiguous plans; a round whose plan
   is contiguous and optimal proves the optimum.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

import numpy as np

from feeder import metrics
from feeder.district import District
from feeder.errors import InfeasibleError
from feeder.exact.connectivity import connected, disconnected_parts, map_neighbours, separators
from feeder.exact.model import Model, Start, solve
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
from feeder.exact.result import ExactResult, portfolio_names
from feeder.exact.solve import DEFAULT_TIME_LIMIT, solve_exact
from feeder.spec import DesignSpec

FREE_SHARE = 0.7  # share of the time the contiguity-free bound may take before the contiguous rounds (it
# stops early when proven; a contiguous plan reaching it is then proven without rounds)
ROUNDS_LIMIT = 150  # schools beyond which the rounds are not tried and the contiguity-free bound gets all
# the time (measured: on Loudoun's 90 schools with portfolios of 8-14 the first round does not finish in 120 s)


@dataclass(frozen=True)
class ContiguousResult:
    """Both proven bounds and the best contiguous plan found.

    free: the contiguity-free result (its bound covers every plan in range). bound: no contiguous
    plan in range has a higher cohesion (at most free.bound); None when the district has no
    flows. labels/cohesion: the best contiguous plan found (None if none was found in time);
    gap: bound minus cohesion. status: "optimal" (proven), "time limit" (an upper bound: the
    proof did not finish), "too large" (an upper bound: more than ROUNDS_LIMIT schools, so only
    the contiguity-free bound was computed) or "no flows"; rounds: contiguity rounds run; seconds: wall time.
    """

    free: ExactResult
    bound: float | None
    labels: np.ndarray | None
    cohesion: float | None
    status: str
    gap: float | None
    rounds: int
    seconds: float


def solve_contiguous(
    district: District,
    *,
    spec: DesignSpec,
    time_limit: float | None = DEFAULT_TIME_LIMIT,
    warm_start: np.ndarray | None = None,
) -> ContiguousResult:
    """Prove the best cohesion of contiguous plans meeting the spec's sizes, k and regions.

    warm_start: a plan (portfolio names aligned with district.schools), e.g. the heuristic's;
    used when it is contiguous and meets the options. Raises FeederError kinds when the options
    admit no plan (InfeasibleError when they admit plans but no contiguous one). The bound is
    valid even when the time limit stops the proof early.
    """
    started = time.monotonic()
    check_options(district, spec, time_limit)
    min_size, max_size, k = spec.min_size, spec.max_size, spec.k
    limit = DEFAULT_TIME_LIMIT if time_limit is None else time_limit
    deadline = started + limit
    problem = flow_problem(district, spec)
    neighbours = map_neighbours(district, problem)
    rounds_fit = len(problem.block) <= ROUNDS_LIMIT
    free = solve_exact(
        district, spec=spec, time_limit=limit * FREE_SHARE if rounds_fit else limit, warm_start=warm_start
    )
    known = [portfolio_numbers(district, spec, plan) for plan in (warm_start, free.labels)]
    plans = [plan for plan in known if plan is not None and connected(plan, neighbours)]
    best = min(plans, key=lambda plan: loss(problem, plan), default=None)
    if problem.total == 0:
        return finish(district, problem, best, 0.0, "no flows", free, 0, started)
    floor = free_floor(problem, free)
    if best is not None and loss(problem, best) - floor <= tolerance(problem):
        return finish(district, problem, best, floor, "optimal", free, 0, started)
    if not rounds_fit:
        return finish(district, problem, best, floor, "too large", free, 0, started)
    hints = [plan for plan in known if plan is not None]
    best, floor, proven, rounds = cut_rounds(
        problem, neighbours, min_size, max_size, k, best, floor, deadline, hints
    )
    return finish(
        district, problem, best, floor, "optimal" if proven else "time limit", free, rounds, started
    )


def free_floor(problem: FlowProblem, free: ExactResult) -> float:
    """The contiguity-free bound as a floor on the students lost inside blocks."""
    if free.bound is None:
        return 0.0
    return max(0.0, (1.0 - free.bound) * problem.total - problem.lost - tolerance(problem) / 2)


def cut_rounds(
    problem: FlowProblem,
    neighbours: list[set[int]],
    min_size: int,
    max_size: int,
    k: int | None,
    best: np.ndarray | None,
    floor: float,
    deadline: float,
    hints: list[np.ndarray],
) -> tuple[np.ndarray | None, float, bool, int]:
    """Rounds of the MIP with separator cuts until a round's plan is contiguous or time is up.

    hints: plans (portfolio number per school) whose disconnected portfolios give the first
    round its cuts, e.g. the contiguity-free optimum the MIP would otherwise find again.

    Returns the best contiguous plan (portfolio number per school, or None), the floor on loss,
    whether the optimum is proven, and the number of rounds run.
    """
    order = item_order(problem)
    position = np.empty(len(order), dtype=int)
    position[order] = np.arange(len(order))
    edges, weights = local_edges(problem, order)
    model = Model(
        sizes=np.ones(len(order), dtype=int),
        block=problem.block[order],
        slots=np.array([c.stop - 1 for c in problem.counts]),
        filler=np.zeros(problem.n_blocks, dtype=int),
        edges=edges,
        weights=weights,
        min_size=min_size,
        max_size=max_size,
        k=k,
        neighbours=tuple(tuple(sorted(position[list(neighbours[i])].tolist())) for i in order),
    )
    item_neighbours = [set(near) for near in model.neighbours]
    first = [separators(disconnected_parts(hint[order], item_neighbours), item_neighbours) for hint in hints]
    model = replace(model, separators=tuple(cut for cuts in first for cut in cuts))
    rounds = 0
    while time.monotonic() < deadline:
        rounds += 1
        solved = solve(model, deadline, None if best is None else start(model.block, best[order]))
        if solved.status == "infeasible":
            raise InfeasibleError(
                "no plan has every portfolio contiguous on the map with "
                f"{min_size}-{max_size} schools; widen --min-size/--max-size or use --no-contiguous"
            )
        floor = max(floor, solved.floor)
        if solved.slot is None:
            break
        pieces = disconnected_parts(solved.slot, item_neighbours)
        if not pieces:
            found = solved.slot[position]
            if best is None or loss(problem, found) < loss(problem, best):
                best = found
            if solved.status == "optimal":
                floor = max(floor, loss(problem, best) - tolerance(problem) / 2)
            break
        cuts = separators(pieces, item_neighbours)
        model = replace(model, separators=model.separators + cuts)
    proven = best is not None and loss(problem, best) - floor <= tolerance(problem)
    return best, floor, proven, rounds


def item_order(problem: FlowProblem) -> np.ndarray:
    """Schools as MIP items: by block, flow components hub first (that order breaks symmetry), then the rest."""
    flowing = np.concatenate([np.zeros(0, dtype=int), *components(problem)])
    rest = np.setdiff1d(np.arange(len(problem.block)), flowing)
    order = np.concatenate([flowing, rest])
    return order[np.argsort(problem.block[order], kind="stable")]


def start(item_block: np.ndarray, groups: np.ndarray) -> Start:
    """A contiguous plan (portfolio of each item) as a MIP start."""
    _, groups = np.unique(groups, return_inverse=True)
    block = np.zeros(int(groups.max()) + 1, dtype=int)
    block[groups] = item_block
    return Start(groups, np.zeros(len(block), dtype=int), block)


def finish(
    district: District,
    problem: FlowProblem,
    best: np.ndarray | None,
    floor: float,
    status: str,
    free: ExactResult,
    rounds: int,
    started: float,
) -> ContiguousResult:
    """Cohesion, bound and gap of the best contiguous plan and the floor on loss."""
    seconds = time.monotonic() - started
    labels = None if best is None else portfolio_names(best)
    cohesion = None if labels is None else metrics.cohesion(district, labels)
    if problem.total == 0:
        return ContiguousResult(free, None, labels, None, status, None, rounds, seconds)
    bound = min(1.0 - (problem.lost + floor) / problem.total, free.bound if free.bound is not None else 1.0)
    if cohesion is not None:
        if status == "optimal":
            bound = cohesion
        bound = max(bound, cohesion)
    gap = None if cohesion is None else bound - cohesion
    return ContiguousResult(free, bound, labels, cohesion, status, gap, rounds, seconds)
