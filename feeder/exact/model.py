"""The slot MIP (packing and the full contiguity-free model): items of given sizes go to portfolio
slots of their block; z[e] >= |x[i,p] - x[j,p]| marks a cut edge; the loss sum(w[e] z[e]) is minimised.

Symmetry is broken by ordering slots by their first item: the item of rank r in its block may
only use the first r + 1 slots, and used slots come first. Cutting stages use the stronger
representative MIP (represent.py).
"""

from __future__ import annotations

import itertools
import math
import time
from dataclasses import dataclass

import highspy
import numpy as np
from scipy import sparse

from feeder.exact.problem import DUAL_SLACK, cut_weight

SEED = 0
# Relative: a returned solution worth more than the value HiGHS reports for it is not its optimum.
OBJECTIVE_SLACK = 1e-6
MIN_REPEAT_SECONDS = 0.5  # a repeated run (see run_mip) gets at least this long


@dataclass(frozen=True)
class Model:
    """One MIP of the family: items of given sizes into slots of their block, cutting little.

    Items are sorted by block and ranked by their order within it (that order breaks symmetry,
    so put hubs and large items first). filler: schools per block that carry no edge and may
    go to any slot.
    """

    sizes: np.ndarray
    block: np.ndarray
    slots: np.ndarray
    filler: np.ndarray
    edges: np.ndarray
    weights: np.ndarray
    min_size: int
    max_size: int
    k: int | None = None


@dataclass(frozen=True)
class Start:
    """A known plan to start a Model from: group of each item, filler schools and block of each group."""

    groups: np.ndarray
    filler: np.ndarray
    block: np.ndarray


@dataclass(frozen=True)
class Solved:
    """A MIP's outcome: slot of each item and filler per slot (None if no solution), its cut and a proven floor."""

    status: str
    slot: np.ndarray | None
    filler: np.ndarray | None
    cut: float
    floor: float


@dataclass(frozen=True)
class Columns:
    """Where each variable of a Model sits: x per allowed (item, slot), then u, f per slot, z per edge."""

    item: np.ndarray
    slot: np.ndarray
    index: dict[tuple[int, int], int]
    n_slots: int
    n_edges: int

    @property
    def u(self) -> int:
        return len(self.item)

    @property
    def f(self) -> int:
        return self.u + self.n_slots

    @property
    def z(self) -> int:
        return self.f + self.n_slots

    @property
    def count(self) -> int:
        return self.z + self.n_edges


def columns(model: Model) -> Columns:
    """The allowed (item, slot) pairs: the item of rank r in its block uses only the block's first r + 1 slots."""
    offsets = np.concatenate([[0], np.cumsum(model.slots)])
    pairs: list[tuple[int, int]] = []
    for block in range(len(model.slots)):
        for rank, member in enumerate(np.flatnonzero(model.block == block).tolist()):
            pairs.extend((member, int(offsets[block]) + p) for p in range(min(rank + 1, model.slots[block])))
    items = np.array([a for a, _ in pairs], dtype=int)
    slots = np.array([b for _, b in pairs], dtype=int)
    index = {(a, b): n for n, (a, b) in enumerate(pairs)}
    return Columns(items, slots, index, int(offsets[-1]), len(model.edges))


class Rows:
    """Sparse constraint rows, collected for one passModel call."""

    def __init__(self) -> None:
        self.entries: list[tuple[int, int, float]] = []
        self.lower: list[float] = []
        self.upper: list[float] = []

    def add(self, terms: list[tuple[int, float]], lower: float, upper: float) -> None:
        row = len(self.lower)
        self.entries.extend((row, col, val) for col, val in terms)
        self.lower.append(lower)
        self.upper.append(upper)

    def matrix(self, n_cols: int) -> sparse.csc_matrix:
        rows, cols, vals = zip(*self.entries, strict=True) if self.entries else ((), (), ())
        return sparse.csc_matrix((vals, (rows, cols)), shape=(len(self.lower), n_cols))

    def lp(
        self, *, cost: np.ndarray, upper: np.ndarray, integers: int, offset: float = 0.0
    ) -> highspy.HighsLp:
        """These rows as a HighsLp minimising cost over columns in [0, upper]; the first `integers`
        columns are integer, the rest continuous."""
        count = len(cost)
        matrix = self.matrix(count)
        lp = highspy.HighsLp()
        lp.num_col_ = count
        lp.num_row_ = len(self.lower)
        lp.offset_ = offset
        lp.col_cost_ = cost
        lp.col_lower_ = np.zeros(count)
        lp.col_upper_ = upper
        lp.row_lower_ = np.array(self.lower, dtype=float)
        lp.row_upper_ = np.array(self.upper, dtype=float)
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.start_ = matrix.indptr
        lp.a_matrix_.index_ = matrix.indices
        lp.a_matrix_.value_ = matrix.data
        integer, continuous = highspy.HighsVarType.kInteger, highspy.HighsVarType.kContinuous
        lp.integrality_ = [integer] * integers + [continuous] * (count - integers)
        return lp


def constraints(model: Model, cols: Columns) -> Rows:
    """Assignment, portfolio sizes, filler, slot order, k and cut edges."""
    rows = Rows()
    inf = highspy.kHighsInf
    by_item: dict[int, list[int]] = {}
    by_slot: dict[int, list[int]] = {}
    for n, (item, slot) in enumerate(zip(cols.item.tolist(), cols.slot.tolist(), strict=True)):
        by_item.setdefault(item, []).append(n)
        by_slot.setdefault(slot, []).append(n)
    for item in range(len(model.sizes)):
        rows.add([(n, 1.0) for n in by_item[item]], 1.0, 1.0)
    offsets = np.concatenate([[0], np.cumsum(model.slots)])
    for block, (first, last) in enumerate(itertools.pairwise(offsets.tolist())):
        for p in range(first, last):
            content = [(n, float(model.sizes[cols.item[n]])) for n in by_slot.get(p, [])]
            content.append((cols.f + p, 1.0))
            rows.add([*content, (cols.u + p, -float(model.max_size))], -inf, 0.0)
            if model.min_size > 0:
                rows.add([*content, (cols.u + p, -float(model.min_size))], 0.0, inf)
            if p + 1 < last:
                rows.add([(cols.u + p, 1.0), (cols.u + p + 1, -1.0)], 0.0, inf)
        filler = float(model.filler[block])
        rows.add([(cols.f + p, 1.0) for p in range(first, last)], filler, filler)
    if model.k is not None:
        rows.add([(cols.u + p, 1.0) for p in range(cols.n_slots)], model.k, model.k)
    for e, (i, j) in enumerate(model.edges.tolist()):
        for a, b in ((i, j), (j, i)):
            for p in range(offsets[model.block[a]], offsets[model.block[a] + 1]):
                if (a, p) in cols.index:
                    other = cols.index.get((b, p))
                    term = [(cols.z + e, 1.0), (cols.index[a, p], -1.0)]
                    rows.add(term + ([(other, 1.0)] if other is not None else []), 0.0, inf)
    return rows


def highs_model(model: Model, cols: Columns) -> highspy.HighsLp:
    """The Model as a HighsLp: binary x and u, integer filler f, continuous z in [0, 1]."""
    upper = np.ones(cols.count)
    offsets = np.concatenate([[0], np.cumsum(model.slots)])
    for block in range(len(model.slots)):
        upper[cols.f + offsets[block] : cols.f + offsets[block + 1]] = model.filler[block]
    cost = np.concatenate([np.zeros(cols.z), model.weights.astype(float)])
    return constraints(model, cols).lp(cost=cost, upper=upper, integers=cols.z)


@dataclass(frozen=True)
class MipRun:
    """What one HiGHS run gave: "optimal", "time limit" or "infeasible", the column values of
    its best solution (None if it found none), a proven floor on the objective and the objective
    value HiGHS reports for that solution (inf without one)."""

    status: str
    values: np.ndarray | None
    floor: float
    value: float


def one_thread_highs() -> highspy.Highs:
    """A silent HiGHS on one thread. Every HiGHS run in feeder uses one: HiGHS refuses a thread
    count other than the one its process-wide scheduler started with, so one run on the default
    would make every later one-thread run in the process fail (and a child forked after it hang)."""
    # the core class: highspy.Highs() prints a banner on stdout before output_flag can be set
    highs = highspy._Highs()  # type: ignore[attr-defined]
    highs.setOptionValue("output_flag", False)
    highs.setOptionValue("threads", 1)
    return highs


def run_mip(
    lp: highspy.HighsLp,
    *,
    remaining: float | None,
    start: np.ndarray | None,
    nodes: int | None = None,
) -> MipRun:
    """Run HiGHS on lp for at most `remaining` seconds (None: no clock) and `nodes` branch-and-bound
    nodes (None: no limit) from the start values (when given); deterministic (fixed seed, one
    thread) and silent. Only a node limit stops it at the same point on every machine; with one,
    presolve is off (on the small re-cut models it took most of the time).

    HiGHS 1.16 with presolve and a start may report the optimum's value yet return the start as
    the solution (a 7-school district: value 0, returned plan losing 1 student); such a run is
    repeated without the start, and keeps the start only if the repeat finds nothing."""
    started = time.monotonic()
    run = one_mip_run(lp, remaining=remaining, start=start, nodes=nodes)
    if (
        start is None
        or run.values is None
        or objective(lp, run.values) <= run.value + OBJECTIVE_SLACK * (1.0 + abs(run.value))
    ):
        return run
    left = None if remaining is None else max(remaining - (time.monotonic() - started), MIN_REPEAT_SECONDS)
    repeat = one_mip_run(lp, remaining=left, start=None, nodes=nodes)
    return repeat if repeat.values is not None else run


def objective(lp: highspy.HighsLp, values: np.ndarray) -> float:
    return float(np.dot(lp.col_cost_, values)) + float(lp.offset_)


def one_mip_run(
    lp: highspy.HighsLp, *, remaining: float | None, start: np.ndarray | None, nodes: int | None
) -> MipRun:
    """One HiGHS run of `run_mip`, with the value HiGHS reports for the solution it returns."""
    highs = one_thread_highs()
    options: dict[str, bool | int | float | str] = {"random_seed": SEED, "mip_rel_gap": 0.0}
    if remaining is not None:
        options["time_limit"] = remaining
    if nodes is not None:
        options["mip_max_nodes"] = nodes
        options["presolve"] = "off"
    for option, value in options.items():
        highs.setOptionValue(option, value)
    highs.passModel(lp)
    if start is not None:
        solution = highspy.HighsSolution()
        solution.col_value = start
        solution.value_valid = True
        highs.setSolution(solution)
    highs.run()
    info = highs.getInfo()
    model_status = highs.getModelStatus()
    if model_status == highspy.HighsModelStatus.kInfeasible:
        return MipRun("infeasible", None, math.inf, math.inf)
    floor = 0.0
    if math.isfinite(info.mip_dual_bound):
        floor = max(floor, info.mip_dual_bound - DUAL_SLACK * (1.0 + abs(info.mip_dual_bound)))
    status = "optimal" if model_status == highspy.HighsModelStatus.kOptimal else "time limit"
    if info.primal_solution_status != highspy.SolutionStatus.kSolutionStatusFeasible.value:
        return MipRun(status, None, floor, math.inf)
    return MipRun(status, np.asarray(highs.getSolution().col_value), floor, info.objective_function_value)


def solve(model: Model, deadline: float, start: Start | None) -> Solved:
    """Run HiGHS on a Model until optimal or the deadline; deterministic (fixed seed, one thread)."""
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        return Solved("time limit", None, None, math.inf, 0.0)
    cols = columns(model)
    values = None if start is None else encode(model, cols, start)
    run = run_mip(highs_model(model, cols), remaining=remaining, start=values)
    if run.values is None:
        return Solved(run.status, None, None, math.inf, run.floor)
    slot, filler = decode(cols, run.values)
    return Solved(run.status, slot, filler, cut_weight(model.edges, model.weights, slot), run.floor)


def decode(cols: Columns, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Slot of each item and filler schools per slot from a solution vector."""
    chosen = values[: cols.u] > 0.5
    slot = np.empty(int(cols.item.max(initial=-1)) + 1, dtype=int)
    slot[cols.item[chosen]] = cols.slot[chosen]
    return slot, np.rint(values[cols.f : cols.z]).astype(int)


def encode(model: Model, cols: Columns, start: Start) -> np.ndarray | None:
    """A Start as a solution vector that respects the slot order; None when it does not fit the model."""
    values = np.zeros(cols.count)
    offsets = np.concatenate([[0], np.cumsum(model.slots)])
    n_items, n_groups = len(model.sizes), len(start.filler)
    first = np.full(n_groups, n_items)
    np.minimum.at(first, start.groups, np.arange(n_items))
    slot_of = np.full(n_groups, -1)
    for block in range(len(model.slots)):
        used = [
            g for g in range(n_groups) if start.block[g] == block and (first[g] < n_items or start.filler[g])
        ]
        used.sort(key=lambda g: (first[g], g))
        if len(used) > model.slots[block]:
            return None
        slot_of[used] = offsets[block] + np.arange(len(used))
    slots = slot_of[start.groups]
    for item, slot in enumerate(slots.tolist()):
        values[cols.index[item, slot]] = 1.0
    for group in np.flatnonzero(slot_of >= 0):
        values[cols.u + slot_of[group]] = 1.0
        values[cols.f + slot_of[group]] = start.filler[group]
    values[cols.z :] = slots[model.edges[:, 0]] != slots[model.edges[:, 1]]
    return values
