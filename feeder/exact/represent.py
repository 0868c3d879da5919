"""The representative MIP: every portfolio is named by its lowest-ranked school, x[i, j] = 1 when
school j's portfolio has representative i (i <= j in rank, same block). Kept flow on an edge (a, b)
is the sum over representatives i of y[e, i] <= min(x[i, a], x[i, b]); the loss is the rest.

It has no slot symmetry and a much stronger relaxation than the slot model (model.py): a school
cannot share its portfolio half with one group and half with another without its lower-ranked
neighbours paying for it. Schools without flows are `filler`: counted per representative, or in
portfolios of filler alone. For contiguous plans every school is an item and `separators` rows
x[i, j] <= sum(x[i, c], c in C) say that a portfolio reaching j from its representative i passes
through C (Validi, Buchanan & Lykhovyd 2022, the cut form of Hess's labeling model); `reach`
drops the pairs too far apart on the map to share a contiguous portfolio.
"""

from __future__ import annotations

import itertools
import math
import time
from dataclasses import dataclass

import highspy
import numpy as np

from feeder.exact.model import Rows, one_thread_highs, run_mip
from feeder.exact.problem import DUAL_SLACK, cut_weight


@dataclass(frozen=True)
class Partition:
    """One representative MIP: items (ranked by position, sorted by block) into portfolios.

    pairs: the allowed (representative, member) pairs, representative first and ranked lower,
    including (i, i); counts: portfolios each block may hold; filler: schools per block that are
    not items and carry no edge; neighbours: map neighbours of each item, when portfolios must be
    contiguous; separators: (i, j, C) rows, C separating j from i among items ranked >= i.
    """

    block: np.ndarray
    pairs: np.ndarray
    counts: list[range]
    filler: np.ndarray
    edges: np.ndarray
    weights: np.ndarray
    min_size: int
    max_size: int
    k: int | None = None
    neighbours: tuple[tuple[int, ...], ...] = ()
    separators: tuple[tuple[int, int, tuple[int, ...]], ...] = ()
    needs: tuple[frozenset[int], ...] = ()
    """Sets of items every portfolio holds one of (e.g. the schools serving grade 3)."""
    caps: tuple[tuple[np.ndarray, float], ...] = ()
    """(value of each item, most per portfolio), e.g. students; only for models without filler."""
    leaves: tuple[tuple[int, int], ...] = ()
    """(leaf, parent) items, for plans without contiguity: a leaf's only flow is to its parent, so it
    is either in its parent's portfolio or spare, a filler school anywhere (and never represents)."""


@dataclass(frozen=True)
class Start:
    """A known plan to start from: group of each item, filler schools each item takes as its
    group's representative (None: no filler) and portfolios of filler alone per block."""

    groups: np.ndarray
    filler: np.ndarray | None
    alone: np.ndarray


def items_only(groups: np.ndarray, n_blocks: int) -> Start:
    """A Start for a model without filler."""
    return Start(groups, None, np.zeros(n_blocks, dtype=int))


@dataclass(frozen=True)
class Outcome:
    """A solve's result: representative of each item and filler per representative (None if no
    plan was found), filler-only portfolios per block, the plan's cut and a proven floor on it."""

    status: str
    representative: np.ndarray | None
    filler: np.ndarray | None
    alone: np.ndarray | None
    cut: float
    floor: float


def all_pairs(block: np.ndarray) -> np.ndarray:
    """Every (i, j) with i <= j in one block."""
    found = [(i, j) for i in range(len(block)) for j in range(i, len(block)) if block[i] == block[j]]
    return np.array(found, dtype=int).reshape(-1, 2)


def leaf_pairs(block: np.ndarray, parent: np.ndarray) -> np.ndarray:
    """all_pairs among the items without a parent (-1), and each leaf with the representatives its
    parent may have (a leaf is in its parent's portfolio or spare)."""
    found = [
        (i, j)
        for j in range(len(block))
        for i in range(len(block) if parent[j] < 0 else parent[j] + 1)
        if block[i] == block[j] and parent[i] < 0 and (i <= j or parent[j] >= 0)
    ]
    return np.array(sorted(found), dtype=int).reshape(-1, 2)


def connected_pairs(neighbours: list[set[int]], block: np.ndarray, max_size: int) -> np.ndarray:
    """The (i, j) a connected portfolio of at most max_size items represented by i can hold: j is
    within max_size - 1 steps of i among the items ranked >= i (and in i's block)."""
    found: list[tuple[int, int]] = []
    for i in range(len(neighbours)):
        seen, frontier = {i}, {i}
        for _ in range(max_size - 1):
            frontier = {c for a in frontier for c in neighbours[a] if c > i} - seen
            seen |= frontier
        found.extend((i, j) for j in sorted(seen) if block[j] == block[i])
    return np.array(found, dtype=np.int64).reshape(-1, 2)


def hubs_first(n: int, edges: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Items ordered by the students on their flows, most first (ties by position): representatives
    are then hubs, which is what makes the relaxation strong (measured: 760 of an 851-student cut
    on a generated 100-school district, against 427 in breadth-first order)."""
    strength = np.bincount(edges.ravel(), weights=np.repeat(weights, 2), minlength=n)
    return np.lexsort((np.arange(n), -strength))


@dataclass(frozen=True)
class Ranking:
    """Items in model order (by block, hubs first): order[r] is the item of rank r, rank[v] the
    rank of item v, and neighbours[r] the ranks of its map neighbours."""

    order: np.ndarray
    rank: np.ndarray
    neighbours: list[set[int]]


def rank_items(
    block: np.ndarray, edges: np.ndarray, weights: np.ndarray, neighbours: list[set[int]]
) -> Ranking:
    """Items sorted by block, hubs first within it (hubs_first), with the map renumbered to ranks."""
    strength_order = hubs_first(len(block), edges, weights)
    order = strength_order[np.argsort(block[strength_order], kind="stable")]
    rank = np.empty(len(order), dtype=int)
    rank[order] = np.arange(len(order))
    return Ranking(order, rank, [set(rank[list(neighbours[v])].tolist()) for v in order])


class Layout:
    """Column positions: x per pair, f per representative (filler it takes), then per block the
    filler-only portfolios and their schools, then y per (edge, shared representative)."""

    def __init__(self, partition: Partition) -> None:
        n = len(partition.block)
        self.x = {(int(i), int(j)): c for c, (i, j) in enumerate(partition.pairs.tolist())}
        self.member = [int(j) for _, j in partition.pairs.tolist()]
        reps_of: list[list[int]] = [[] for _ in range(n)]
        for i, j in self.x:
            reps_of[j].append(i)
        self.reps_of = reps_of
        self.f = len(self.x)
        self.alone = self.f + n
        self.alone_schools = self.alone + len(partition.counts)
        self.spare = {
            leaf: self.alone_schools + len(partition.counts) + s
            for s, (leaf, _) in enumerate(partition.leaves)
        }
        start = self.alone_schools + len(partition.counts) + len(partition.leaves)
        is_leaf = np.zeros(n, dtype=bool)
        is_leaf[[leaf for leaf, _ in partition.leaves]] = True
        leaf_edge = is_leaf[partition.edges].any(axis=1) if len(partition.edges) else np.zeros(0, dtype=bool)
        self.leaf_edge: np.ndarray = leaf_edge
        self.y: list[tuple[int, int, int]] = []  # (column, edge, representative)
        for e, (a, b) in enumerate(partition.edges.tolist()):
            if leaf_edge[e]:
                continue  # kept unless the leaf is spare: priced on the spare column
            for i in sorted(set(reps_of[a]) & set(reps_of[b])):
                self.y.append((start + len(self.y), e, i))
        self.count = start + len(self.y)


def rows_of(partition: Partition, layout: Layout) -> Rows:
    """Assignment, representative, size, count, filler and kept-edge rows, and contiguity."""
    rows = Rows()
    inf = highspy.kHighsInf
    x, n = layout.x, len(partition.block)
    parent = dict(partition.leaves)
    members: list[list[int]] = [[] for _ in range(n)]
    for (i, j), column in x.items():
        members[i].append(column)
        if i != j:
            rows.add([(column, 1.0), (x[i, parent.get(j, i)], -1.0)], -inf, 0.0)
    for j in range(n):
        spare = [(layout.spare[j], 1.0)] if j in layout.spare else []
        rows.add([*((x[i, j], 1.0) for i in layout.reps_of[j]), *spare], 1.0, 1.0)
    for i in range(n):
        if (i, i) not in x:
            continue  # a leaf: never a representative
        content = [(c, 1.0) for c in members[i] if c != x[i, i]] + [(layout.f + i, 1.0)]
        rows.add([*content, (x[i, i], 1.0 - partition.max_size)], -inf, 0.0)
        rows.add([*content, (x[i, i], 1.0 - partition.min_size)], 0.0, inf)
    opened_total = []
    for b, allowed in enumerate(partition.counts):
        inside = np.flatnonzero(partition.block == b).tolist()
        opened = [(x[i, i], 1.0) for i in inside if (i, i) in x] + [(layout.alone + b, 1.0)]
        opened_total += opened
        rows.add(opened, allowed.start, allowed.stop - 1)
        filler = float(partition.filler[b])
        spares = [(layout.spare[i], -1.0) for i in inside if i in layout.spare]
        taken = [(layout.f + i, 1.0) for i in inside] + [(layout.alone_schools + b, 1.0)]
        rows.add([*taken, *spares], filler, filler)
        size = [(layout.alone_schools + b, 1.0)]
        rows.add([*size, (layout.alone + b, -float(partition.max_size))], -inf, 0.0)
        rows.add([*size, (layout.alone + b, -float(partition.min_size))], 0.0, inf)
    if partition.k is not None:
        rows.add(opened_total, partition.k, partition.k)
    for column, e, i in layout.y:
        for end in partition.edges[e].tolist():
            rows.add([(column, 1.0), (x[i, end], -1.0)], -inf, 0.0)
    heavier_first(partition, layout, rows)
    contiguity(partition, layout, rows)
    needs_and_caps(partition, layout, members, rows)
    return rows


def heavier_first(partition: Partition, layout: Layout, rows: Rows) -> None:
    """Of two leaves of one parent, the lighter is spare when the heavier is (swapping them would
    keep more): this removes the plans that differ only in which leaves are spare."""
    for leaves in heaviest_leaves(partition).values():
        for heavier, lighter in itertools.pairwise(leaves):
            rows.add([(layout.spare[heavier], 1.0), (layout.spare[lighter], -1.0)], -highspy.kHighsInf, 0.0)


def heaviest_leaves(partition: Partition) -> dict[int, list[int]]:
    """Each parent's leaves, heaviest flow first (ties by rank): the order heavier_first imposes,
    so a start keeps the first ones of each parent with it."""
    weight = leaf_weights(partition)
    by_parent: dict[int, list[int]] = {}
    for leaf, parent in partition.leaves:
        by_parent.setdefault(parent, []).append(leaf)
    return {
        parent: sorted(leaves, key=lambda leaf: (-weight[leaf], leaf)) for parent, leaves in by_parent.items()
    }


def leaf_weights(partition: Partition) -> dict[int, float]:
    """Students on each leaf's one flow."""
    parent = dict(partition.leaves)
    weight: dict[int, float] = {}
    for (a, b), w in zip(partition.edges.tolist(), partition.weights.tolist(), strict=True):
        if a in parent or b in parent:
            weight[a if a in parent else b] = w
    return weight


def needs_and_caps(partition: Partition, layout: Layout, members: list[list[int]], rows: Rows) -> None:
    """Every portfolio holds an item of each need set and stays within each cap."""
    x, inf = layout.x, highspy.kHighsInf
    for need in partition.needs:
        for i in range(len(members)):
            if i not in need:
                held = [(x[i, j], 1.0) for j in sorted(need) if (i, j) in x]
                rows.add([*held, (x[i, i], -1.0)], 0.0, inf)
    for values, most in partition.caps:
        for i, columns in enumerate(members):
            held = [(c, float(values[j])) for c in columns if (j := layout.member[c]) != i]
            rows.add([*held, (x[i, i], float(values[i]) - most)], -inf, 0.0)


def contiguity(partition: Partition, layout: Layout, rows: Rows) -> None:
    """Separator rows, and: a member other than the representative has a neighbour in its portfolio
    (on its way to the representative); so does the representative, when portfolios hold 2 or more."""
    x, inf = layout.x, highspy.kHighsInf
    for (i, j), column in x.items() if partition.neighbours else ():
        if i != j or partition.min_size >= 2:
            near = [(x[i, c], -1.0) for c in partition.neighbours[j] if (i, c) in x]
            rows.add([(column, 1.0), *near], -inf, 0.0)
    for i, j, separator in partition.separators:
        if (i, j) not in x:
            continue  # that pair is not a column: x[i, j] = 0 already
        terms = [(x[i, c], -1.0) for c in separator if (i, c) in x]
        rows.add([(x[i, j], 1.0), *terms], -inf, 0.0)


def highs_lp(partition: Partition, layout: Layout) -> highspy.HighsLp:
    """Binary x, integer filler counts, spare leaves, continuous y in [0, 1]; minimise the weight not kept."""
    n = len(partition.block)
    spares = np.bincount(
        partition.block[[leaf for leaf, _ in partition.leaves]], minlength=len(partition.counts)
    )
    upper = np.ones(layout.count)
    upper[layout.f : layout.f + n] = (partition.filler + spares)[partition.block] if n else 0
    upper[[layout.f + leaf for leaf, _ in partition.leaves]] = 0  # a leaf never represents
    upper[layout.alone : layout.alone_schools] = [c.stop - 1 for c in partition.counts]
    upper[layout.alone_schools : layout.alone_schools + len(partition.counts)] = partition.filler + spares
    cost = np.zeros(layout.count)
    for column, e, _ in layout.y:
        cost[column] = -partition.weights[e]
    for leaf, w in leaf_weights(partition).items():
        cost[layout.spare[leaf]] = w
    rows = rows_of(partition, layout)
    integers = layout.count - len(layout.y)
    offset = float(partition.weights[~layout.leaf_edge].sum())
    return rows.lp(cost=cost, upper=upper, integers=integers, offset=offset)


def solve_partition(
    partition: Partition, deadline: float | None, start: Start | None, *, nodes: int | None = None
) -> Outcome:
    """Run HiGHS until optimal, the deadline (None: no clock) or `nodes` branch-and-bound nodes
    (fixed seed, one thread: a node limit stops it at the same plan on every machine)."""
    remaining = None if deadline is None else deadline - time.monotonic()
    if remaining is not None and remaining <= 0:
        return Outcome("time limit", None, None, None, math.inf, 0.0)
    layout = Layout(partition)
    values = None if start is None else encode(partition, layout, start)
    run = run_mip(highs_lp(partition, layout), remaining=remaining, start=values, nodes=nodes)
    if run.values is None:
        return Outcome(run.status, None, None, None, math.inf, run.floor)
    representative, filler, alone = decode(partition, layout, run.values)
    cut = cut_weight(partition.edges, partition.weights, representative)
    return Outcome(run.status, representative, filler, alone, cut, run.floor)


def relaxation_floor(partition: Partition, layout: Layout) -> float:
    """The LP relaxation's least cut: no plan of the model cuts less (a quick screen before the MIP)."""
    lp = highs_lp(partition, layout)
    lp.integrality_ = []
    highs = one_thread_highs()
    highs.passModel(lp)
    highs.run()
    if highs.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        return 0.0
    value = highs.getInfo().objective_function_value
    return value - DUAL_SLACK * (1.0 + abs(value))


def decode(
    partition: Partition, layout: Layout, values: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Representative of each item (-1: a spare leaf), filler per representative and filler-only
    portfolios per block."""
    n = len(partition.block)
    representative = np.full(n, -1)
    for (i, j), column in layout.x.items():
        if values[column] > 0.5:
            representative[j] = i
    filler = np.rint(values[layout.f : layout.f + n]).astype(int)
    alone = np.rint(values[layout.alone : layout.alone_schools]).astype(int)
    return representative, filler, alone


def encode(partition: Partition, layout: Layout, start: Start) -> np.ndarray | None:
    """A Start (group -1: a spare leaf) as a solution vector; None when it does not fit the model."""
    values = np.zeros(layout.count)
    n = len(partition.block)
    placed = start.groups >= 0
    first = np.full(int(start.groups.max(initial=-1)) + 1, n)
    np.minimum.at(first, start.groups[placed], np.flatnonzero(placed))
    representative = np.full(n, -1)
    representative[placed] = first[start.groups[placed]]
    for j, i in enumerate(representative.tolist()):
        if i < 0 and j in layout.spare:
            values[layout.spare[j]] = 1.0
        elif (i, j) in layout.x:
            values[layout.x[i, j]] = 1.0
        else:
            return None
    taken = np.zeros(n) if start.filler is None else start.filler
    values[layout.f : layout.f + n] = taken
    blocks = len(partition.counts)
    values[layout.alone : layout.alone_schools] = start.alone
    spares = np.bincount(partition.block[~placed], minlength=blocks)
    alone_schools = partition.filler + spares - np.bincount(partition.block, weights=taken, minlength=blocks)
    values[layout.alone_schools : layout.alone_schools + blocks] = alone_schools
    for column, e, i in layout.y:
        a, b = partition.edges[e].tolist()
        values[column] = float(representative[a] == i and representative[b] == i)
    return values
