"""Recombination of every portfolio the search has seen, by set partitioning.

Each restart's ruin-and-recreate steps build many portfolios — kept or not, each one
contiguous and within the block's limits — and the restarts end in different plans. The
best plan can be one portfolio here from one restart and one there from another, which no
single-school move or re-cut of a few parts reaches. So the portfolios seen are pooled,
and a set-partitioning MIP (HiGHS) picks the subset that covers every school once with the
highest objective: any such pick is a valid plan, because the limits and contiguity are
properties of each portfolio alone. The current plan is the MIP's warm start, so it only
moves to something better; a node limit (no wall clock) keeps it deterministic.
"""

from __future__ import annotations

import time

import highspy
import numpy as np
from scipy import sparse

from feeder.design.state import Budget, State
from feeder.exact.model import one_thread_highs

NODES = 1000  # branch-and-bound nodes; a pool of ~600 portfolios (1,000 schools) was proven optimal in 0.07 s
PRESOLVE = "off"
"""HiGHS's presolve spent 6-8 s probing the charter city's pool (1,500 portfolios of up to 24
schools, dense overlaps) and then solved it at the root; without it the same optimum takes 0.2 s.
Pools' relaxations are nearly integral, so presolve has little to remove."""
SEED = 0


class Pool:
    """Distinct portfolios (sorted school positions of one block), in the order first seen."""

    def __init__(self) -> None:
        self.parts: dict[tuple[int, ...], None] = {}

    def add(self, state: State, parts: list[int]) -> None:
        """Remember the live parts among `parts` of `state`."""
        for p in parts:
            if state.alive[p]:
                self.parts.setdefault(tuple(sorted(state.members[p])), None)

    def merge(self, other: Pool) -> None:
        for members in other.parts:
            self.parts.setdefault(members, None)


def recombine_pool(state: State, pool: Pool, budget: Budget) -> bool:
    """Replace `state`'s plan by the best partition of its block into pooled portfolios (its
    own included) when that raises the objective. True when it did."""
    pool.add(state, list(range(len(state.alive))))
    members = list(pool.parts)
    incidence = membership(members, state.block.size)
    scores = pooled_scores(state, incidence)
    current = np.zeros(len(members))
    index = {m: j for j, m in enumerate(members)}
    for p in range(len(state.alive)):
        if state.alive[p]:
            current[index[tuple(sorted(state.members[p]))]] = 1.0
    chosen = best_partition(incidence, scores, current, state.k if state.fixed_k else None, budget)
    if chosen is None or scores[chosen].sum() <= scores @ current + 1e-12:
        return False
    before = state.value()
    saved = {p: set(state.members[p]) for p in range(len(state.alive)) if state.alive[p]}
    groups: dict[int, set[int]] = {p: set() for p in saved}
    ids = sorted(saved)
    for slot, j in enumerate(chosen.tolist()):
        p = ids[slot] if slot < len(ids) else state.new_part()
        groups[p] = set(members[j])
    state.set_parts(groups)
    if state.value() > before + 1e-10:
        return True
    state.set_parts({p: saved.get(p, set()) for p in groups})
    return False


def membership(members: list[tuple[int, ...]], n: int) -> sparse.csc_matrix:
    """School-by-portfolio 0/1 matrix."""
    rows = np.fromiter((s for m in members for s in m), dtype=int)
    cols = np.repeat(np.arange(len(members)), [len(m) for m in members])
    return sparse.csc_matrix((np.ones(len(rows)), (rows, cols)), shape=(n, len(members)))


def pooled_scores(state: State, incidence: sparse.csc_matrix) -> np.ndarray:
    """Each pooled portfolio's objective score at the current portfolio count (the count
    only scales the balance tie-breakers; the final comparison uses the real value)."""
    block = state.block
    stats = np.asarray(incidence.T @ block.attributes)
    rows = incidence.tocsr()
    internal = np.asarray(rows[block.flows.a].multiply(rows[block.flows.b]).T @ block.flows.weight).ravel()
    homes = np.zeros(incidence.shape[1])
    if state.tracks_homes:
        known = block.current >= 0
        today = sparse.csc_matrix(
            (np.ones(int(known.sum())), (np.flatnonzero(known), block.current[known])),
            shape=(block.size, int(block.current.max()) + 1),
        )
        homes = np.asarray((incidence.T @ today).max(axis=1).todense()).ravel()
    return state.score_rows(stats, internal, homes)


def best_partition(
    incidence: sparse.csc_matrix, scores: np.ndarray, current: np.ndarray, k: int | None, budget: Budget
) -> np.ndarray | None:
    """Columns of the best exact cover found (None if none): maximise the summed scores."""
    n, m = incidence.shape
    highs = one_thread_highs()  # seed and node limit decide the result
    options: dict[str, bool | int | float | str] = {
        "random_seed": SEED,
        "mip_max_nodes": NODES,
        "presolve": PRESOLVE,
    }
    if budget.deadline is not None:  # the --time-limit safety cap only
        options["time_limit"] = max(budget.deadline - time.monotonic(), 0.0)
    for option, value in options.items():
        highs.setOptionValue(option, value)
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = m, n + (k is not None)
    matrix = sparse.vstack([incidence, sparse.csr_matrix(np.ones((1, m)))]) if k is not None else incidence
    matrix = sparse.csc_matrix(matrix)
    lp.col_cost_ = -scores
    lp.col_lower_, lp.col_upper_ = np.zeros(m), np.ones(m)
    bounds = np.ones(n) if k is None else np.append(np.ones(n), float(k))
    lp.row_lower_, lp.row_upper_ = bounds, bounds
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_, lp.a_matrix_.index_, lp.a_matrix_.value_ = matrix.indptr, matrix.indices, matrix.data
    lp.integrality_ = [highspy.HighsVarType.kInteger] * m
    highs.passModel(lp)
    start = highspy.HighsSolution()
    start.col_value = current
    start.value_valid = True
    highs.setSolution(start)
    highs.run()
    if highs.getInfo().primal_solution_status != highspy.SolutionStatus.kSolutionStatusFeasible.value:
        return None
    return np.flatnonzero(np.asarray(highs.getSolution().col_value) > 0.5)
