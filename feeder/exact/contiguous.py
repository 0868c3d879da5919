"""Exact mode for contiguous plans: the best cohesion of plans whose portfolios are connected on
the Delaunay graph (the graph of METRICS.md `contiguous`), with their sizes in range.

1. The contiguity-free bound (solve.py) comes first: it bounds contiguous plans too, and when a
   contiguous plan (the warm start, or the plan found proving that bound) reaches it, that plan
   is proven optimal without more work. Loudoun's 12-24 range ends here.
2. Otherwise the representative MIP over every school (represent.py: a portfolio is named by its
   lowest-ranked school, hubs ranked first) runs in rounds, with the cut formulation of Validi,
   Buchanan & Lykhovyd (2022, "Imposing contiguity constraints in political districting models",
   Operations Research): a portfolio represented by i that holds j holds one school of every set
   separating j from i among the schools ranked >= i. Pairs more than max_size - 1 map steps
   apart (among those schools) are not columns, and a member has a neighbour in its portfolio.
   Every round solves the model with the separators found so far; when its plan has a
   disconnected portfolio, minimal separators of its pieces are added and the next round starts
   from the best contiguous plan known. A round's model relaxes the contiguous problem, so its
   proven floor is a floor for contiguous plans; a round whose plan is contiguous and optimal
   proves the optimum.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

import numpy as np

from feeder import metrics
from feeder.district import District
from feeder.errors import InfeasibleError
from feeder.exact.connectivity import connected, map_neighbours, representative_separators
from feeder.exact.problem import (
    FlowProblem,
    check_options,
    flow_problem,
    loss,
    portfolio_numbers,
    tolerance,
)
from feeder.exact.represent import Partition, connected_pairs, items_only, rank_items, solve_partition
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
    ranking = rank_items(problem.block, problem.edges, problem.weights, neighbours)
    order, rank, ranked = ranking.order, ranking.rank, ranking.neighbours
    block = problem.block[order]
    partition = Partition(
        block=block,
        pairs=connected_pairs(ranked, block, max_size),
        counts=problem.counts,
        filler=np.zeros(problem.n_blocks, dtype=int),
        edges=rank[problem.edges],
        weights=problem.weights,
        min_size=min_size,
        max_size=max_size,
        k=k,
        neighbours=tuple(tuple(sorted(near)) for near in ranked),
    )
    first = [representative_separators(lowest(hint[order]), ranked) for hint in hints]
    partition = replace(partition, separators=tuple(cut for cuts in first for cut in cuts))
    rounds = 0
    while time.monotonic() < deadline:
        rounds += 1
        solved = solve_partition(
            partition, deadline, None if best is None else items_only(best[order], problem.n_blocks)
        )
        if solved.status == "infeasible":
            raise InfeasibleError(
                "no plan has every portfolio contiguous on the map with "
                f"{min_size}-{max_size} schools; widen --min-size/--max-size or use --no-contiguous"
            )
        floor = max(floor, solved.floor)
        if solved.representative is None:
            break
        cuts = representative_separators(solved.representative, ranked)
        if not cuts:
            found = solved.representative[rank]
            if best is None or loss(problem, found) < loss(problem, best):
                best = found
            if solved.status == "optimal":
                floor = max(floor, loss(problem, best) - tolerance(problem) / 2)
            break
        partition = replace(partition, separators=partition.separators + cuts)
    proven = best is not None and loss(problem, best) - floor <= tolerance(problem)
    return best, floor, proven, rounds


def lowest(groups: np.ndarray) -> np.ndarray:
    """The lowest-ranked member of each item's group: its representative."""
    first = np.full(int(groups.max()) + 1, len(groups))
    np.minimum.at(first, groups, np.arange(len(groups)))
    return first[groups]


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
