"""EXPERIMENT (not wired into the designer; removed in the next commit, kept in history):
exact re-optimisation of a few adjacent portfolios: a small MIP over their union.

The union of 2-4 adjacent parts (30-90 schools) is re-partitioned as well as HiGHS can
within a node limit: the same family of model as the exact mode (feeder/exact/model.py:
slots ordered by their first school, cut flow minimised, sizes in range) plus the K-12
penalty, the caps and the lock groups of the block, and contiguity on the block's search
graph imposed by vertex-separator cuts added in rounds (feeder/exact/connectivity.py).
The current parts are the warm start, so the MIP only returns a plan it finds better;
the caller keeps it only when the block's whole objective (compactness and balance
included, which the MIP leaves out) rises. Node and round limits, one thread and a fixed
seed make the result depend on the input alone; the time limit is only a safety cap.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import highspy
import numpy as np

from feeder.design.objective import G3, G7, G10, N_COLUMNS
from feeder.design.search import matched_ids
from feeder.design.state import Budget, State
from feeder.exact.connectivity import disconnected_parts, separators
from feeder.exact.model import Columns, Model, Rows, Start, columns, contiguity, decode, encode, highs_model

SEED = 0
NODES = 200  # branch-and-bound nodes per round
ROUNDS = 8  # separator-cut rounds before giving up on a union
EPS = 1e-9


@dataclass(frozen=True)
class Sub:
    """A union of parts as a MIP: the Model, its columns and where the extra columns start."""

    model: Model
    cols: Columns
    union: np.ndarray
    y: int  # first K-12 shortfall column (one per slot)


def reoptimise(state: State, group: list[int], budget: Budget, *, nodes: int = NODES) -> bool:
    """Re-partition the union of `group` (adjacent parts) by the MIP; keep it when the block's
    objective rises. True when kept."""
    union = np.array(sorted(set().union(*(state.members[p] for p in group))))
    counts = part_counts(state, union, len(group))
    if not counts:
        return False
    labels = solve_union(state, union, group, counts, budget, nodes=nodes)
    if labels is None:
        return False
    count = int(labels.max()) + 1
    before = state.value()
    saved = {p: set(state.members[p]) for p in group}
    ids = matched_ids(state, group, union, labels, count)
    state.set_parts({p: set(union[labels == i].tolist()) if i < count else set() for i, p in enumerate(ids)})
    if state.value() > before + EPS:
        return True
    state.set_parts({p: saved.get(p, set()) for p in ids})
    return False


def part_counts(state: State, union: np.ndarray, g: int) -> list[int]:
    """Part counts the union may take: g, or g +- 1 when k is free and the sizes allow."""
    if state.fixed_k:
        return [g]
    fewest = state.limits.fewest_parts(state.block.attributes[union].sum(axis=0))
    return [
        c
        for c in (g - 1, g, g + 1)
        if c >= max(fewest, 1) and c * state.min_size <= len(union) <= c * state.max_size
    ]


def solve_union(
    state: State, union: np.ndarray, group: list[int], counts: list[int], budget: Budget, *, nodes: int
) -> np.ndarray | None:
    """Part number 0.. of each school of `union` in the best plan found, or None when the MIP
    found nothing better than the current parts."""
    block = state.block
    order = np.argsort(-block.strength[union], kind="stable")  # hubs first: they anchor the slots
    items = union[order]
    position = {int(s): i for i, s in enumerate(items.tolist())}
    graph, flows = block.induced(items)
    near = tuple(
        tuple(sorted(position[u] for u in block.neighbours[s] if u in position)) for s in items.tolist()
    )
    model = Model(
        sizes=np.ones(len(items), dtype=int),
        block=np.zeros(len(items), dtype=int),
        slots=np.array([max(counts)]),
        filler=np.zeros(1, dtype=int),
        edges=np.column_stack([flows.a, flows.b]).astype(int).reshape(-1, 2),
        weights=flows.weight.astype(float),
        min_size=state.min_size,
        max_size=state.max_size,
        k=counts[0] if len(counts) == 1 else None,
        neighbours=near,
    )
    cols = columns(model)
    sub = Sub(model, cols, items, cols.count)
    highs = new_highs(sub, state, counts, nodes)
    current = np.array([group.index(state.part[s]) for s in items.tolist()])
    start = full_start(sub, state, current)
    if start is None:
        return None
    best = float(start @ costs(sub, state))
    if DEPTH is not None:
        fix_interior(highs, sub, near, current, start)
    neighbours = [set(n) for n in near]
    for _ in range(ROUNDS):
        if budget.spent():
            return None
        highs.setSolution(solution(start))
        highs.run()
        if highs.getInfo().primal_solution_status != highspy.SolutionStatus.kSolutionStatusFeasible.value:
            return None
        values = np.asarray(highs.getSolution().col_value)
        if float(values @ costs(sub, state)) >= best - EPS * (1 + abs(best)):
            return None
        slot, _ = decode(cols, values)
        pieces = disconnected_parts(slot, neighbours)
        if not pieces:
            labels = np.empty(len(items), dtype=int)
            labels[order] = np.unique(slot, return_inverse=True)[1]
            return labels
        rows = Rows()
        contiguity(replace(model, neighbours=(), separators=separators(pieces, neighbours)), cols, rows)
        add_rows(highs, rows, cols.count + cols.n_slots)
    return None


def new_highs(sub: Sub, state: State, counts: list[int], nodes: int) -> highspy._Highs:  # type: ignore[name-defined]
    """The HiGHS instance: the base model, then K-12 shortfall columns, caps, locks and counts."""
    model, cols = sub.model, sub.cols
    highs = highspy._Highs()  # type: ignore[attr-defined]
    options = {
        "output_flag": False,
        "random_seed": SEED,
        "threads": 1,
        "mip_max_nodes": nodes,
        "mip_rel_gap": 1e-6,
    }
    for option, value in options.items():
        highs.setOptionValue(option, value)
    highs.passModel(highs_model(model, cols))
    n_slots = cols.n_slots
    penalty = state.weights.k12 * state.block.scale.total_flow
    highs.addVars(n_slots, np.zeros(n_slots), np.ones(n_slots))
    highs.changeColsCost(n_slots, np.arange(cols.count, cols.count + n_slots), np.full(n_slots, penalty))
    rows = Rows()
    attributes = state.block.attributes[sub.union]
    inf = highspy.kHighsInf
    by_slot = [
        [(n, int(cols.item[n])) for n in np.flatnonzero(cols.slot == p).tolist()] for p in range(n_slots)
    ]
    for p, entries in enumerate(by_slot):
        for column in (G3, G7, G10):  # y[p] >= u[p] - (schools serving the grade in p)
            terms = [(n, 1.0) for n, i in entries if attributes[i, column] > 0]
            rows.add([(sub.y + p, 1.0), (cols.u + p, -1.0), *terms], 0.0, inf)
        for column, most in state.limits.caps:
            rows.add([(n, float(attributes[i, column])) for n, i in entries], -inf, most + 1e-9)
        locks = attributes[:, N_COLUMNS:]
        leaders = []
        for name in range(locks.shape[1]):
            members = np.flatnonzero(locks[:, name] > 0).tolist()
            if not members:
                continue
            leaders.append(members[0])
            for other in members[1:]:
                a, b = cols.index.get((members[0], p)), cols.index.get((other, p))
                rows.add([(n, s) for n, s in ((a, 1.0), (b, -1.0)) if n is not None], 0.0, 0.0)
        if len(leaders) > 1:
            rows.add([(cols.index[i, p], 1.0) for i in leaders if (i, p) in cols.index], -inf, 1.0)
    if model.k is None:
        rows.add([(cols.u + p, 1.0) for p in range(n_slots)], min(counts), max(counts))
    add_rows(highs, rows, cols.count + n_slots)
    return highs


DEPTH = None


def fix_interior(highs, sub: Sub, near, current: np.ndarray, start: np.ndarray) -> None:
    """Fix schools more than DEPTH hops from another part of the union to their current slot."""
    n = len(current)
    dist = np.full(n, 10**6)
    frontier = [i for i in range(n) if any(current[j] != current[i] for j in near[i])]
    for i in frontier:
        dist[i] = 0
    d = 0
    while frontier:
        d += 1
        nxt = []
        for i in frontier:
            for j in near[i]:
                if dist[j] > d:
                    dist[j] = d
                    nxt.append(j)
        frontier = nxt
    slot, _ = decode(sub.cols, start[: sub.cols.count])
    fixed = [sub.cols.index[i, int(slot[i])] for i in range(n) if dist[i] > DEPTH]
    if fixed:
        highs.changeColsBounds(
            len(fixed), np.array(fixed, dtype=np.int32), np.ones(len(fixed)), np.ones(len(fixed))
        )


def add_rows(highs: highspy._Highs, rows: Rows, n_cols: int) -> None:  # type: ignore[name-defined]
    if not rows.lower:
        return
    matrix = rows.matrix(n_cols).tocsr()
    highs.addRows(
        len(rows.lower),
        np.array(rows.lower, dtype=float),
        np.array(rows.upper, dtype=float),
        matrix.nnz,
        matrix.indptr[:-1].astype(np.int32),
        matrix.indices.astype(np.int32),
        matrix.data,
    )


def costs(sub: Sub, state: State) -> np.ndarray:
    cost = np.zeros(sub.cols.count + sub.cols.n_slots)
    cost[sub.cols.z : sub.cols.count] = sub.model.weights
    cost[sub.y :] = state.weights.k12 * state.block.scale.total_flow
    return cost


def full_start(sub: Sub, state: State, current: np.ndarray) -> np.ndarray | None:
    """The current parts as a full solution vector (base columns, then K-12 shortfalls)."""
    base = encode(
        sub.model,
        sub.cols,
        Start(current, np.zeros(current.max() + 1, dtype=int), np.zeros(current.max() + 1, dtype=int)),
    )
    if base is None:
        return None
    slot, _ = decode(sub.cols, base)
    attributes = state.block.attributes[sub.union]
    shortfall = np.zeros(sub.cols.n_slots)
    for p in range(sub.cols.n_slots):
        inside = slot == p
        if inside.any():
            shortfall[p] = float((attributes[inside][:, [G3, G7, G10]].sum(axis=0) == 0).any())
    return np.concatenate([base, shortfall])


def solution(values: np.ndarray) -> highspy.HighsSolution:
    found = highspy.HighsSolution()
    found.col_value = values
    found.value_valid = True
    return found
