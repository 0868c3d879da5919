"""The best re-cut of a few adjacent portfolios, for the designer's last phase.

The union of a few portfolios (the designer uses pairs) is partitioned again into as many
portfolios by the representative MIP (represent.py) with separator cuts for contiguity (as in
contiguous.py), each portfolio in the size range, within the caps and holding a school of every
need set (K-12), keeping the most students together. The current cut is the warm start, so HiGHS
only reports something better. An LP screen skips the unions where the MIP would be slow for
nothing; a node limit and a round limit (no wall clock) make the result the same on every machine.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from feeder.exact.connectivity import representative_separators
from feeder.exact.problem import cut_weight
from feeder.exact.represent import (
    Layout,
    Partition,
    all_pairs,
    connected_pairs,
    items_only,
    rank_items,
    relaxation_floor,
    solve_partition,
)

NODES = 200  # branch-and-bound nodes per MIP (the root does most of the work on these models)
ROUNDS = 4  # MIPs per re-cut: separators found in one round are imposed in the next
GAIN = 1e-5  # share of the current cut (plus one student) a re-cut must gain to count: above solver noise
WORTH = 0.15
"""The MIP runs only when its LP relaxation is within this share of the current cut: measured on
generated districts of 100-260 schools, the re-cuts that gained had relaxations 10-12 % below the
cut and took 0.2 s; those 15-70 % below took 0.3-30 s in the root and never gained."""
FEW_COLUMNS = 200
"""Models of at most this many kept-flow columns run whatever their relaxation says: they solve in
a fraction of a second (Loudoun in portfolios of 8-14: 50-120 columns, relaxations 50-100 % below
the cut; seed 1 went 0.9756 -> 0.9768, bound 0.9769)."""
MOST_COLUMNS = 1000
"""Kept-flow columns (edge, representative) beyond which the MIP is not tried: dense flows (a city
whose charters draw from many schools) made models of 1,100-2,800 columns that took 5-30 s."""


@dataclass(frozen=True)
class Union:
    """Schools 0..n-1 of a few portfolios: flows among them (edges as index pairs, students),
    map neighbours inside the union (None: contiguity not required), portfolio count and
    limits."""

    edges: np.ndarray
    weights: np.ndarray
    neighbours: list[set[int]] | None
    count: int
    min_size: int
    max_size: int
    needs: tuple[frozenset[int], ...] = ()
    caps: tuple[tuple[np.ndarray, float], ...] = ()


def best_recut(union: Union, current: np.ndarray, *, deadline: float | None = None) -> np.ndarray | None:
    """Portfolio (0..count-1) of each school in a contiguous partition that keeps more students
    together than `current` (the same form), or None when none is found within the limits."""
    n = len(current)
    zero = np.zeros(n, dtype=int)
    ranking = rank_items(zero, union.edges, union.weights, union.neighbours or [set() for _ in range(n)])
    order, rank = ranking.order, ranking.rank
    ranked = ranking.neighbours if union.neighbours is not None else None
    pairs = all_pairs(zero) if ranked is None else connected_pairs(ranked, zero, union.max_size)
    partition = Partition(
        block=zero,
        pairs=pairs,
        counts=[range(union.count, union.count + 1)],
        filler=np.zeros(1, dtype=int),
        edges=rank[union.edges],
        weights=union.weights,
        min_size=union.min_size,
        max_size=union.max_size,
        neighbours=() if ranked is None else tuple(tuple(sorted(near)) for near in ranked),
        needs=tuple(frozenset(rank[sorted(need)].tolist()) for need in union.needs),
        caps=tuple((values[order], most) for values, most in union.caps),
    )
    start = items_only(current[order], 1)
    before = cut_weight(union.edges, union.weights, current)
    target = before - GAIN * (1.0 + before)
    if not worth_solving(partition, before, target):
        return None
    for _ in range(ROUNDS):
        solved = solve_partition(partition, deadline, start, nodes=NODES)
        if solved.representative is None or solved.cut > target:
            return None
        cuts = () if ranked is None else representative_separators(solved.representative, ranked)
        if not cuts:
            return np.unique(solved.representative[rank], return_inverse=True)[1].ravel()
        partition = replace(partition, separators=partition.separators + cuts)
    return None


def worth_solving(partition: Partition, before: float, target: float) -> bool:
    """Whether the model is small enough and its relaxation close enough to `before` (the current
    cut) for the MIP to find a better plan at a small price; False also when no plan of the model
    cuts less than `target`."""
    layout = Layout(partition)
    columns = len(layout.y)
    if columns > MOST_COLUMNS:
        return False
    floor = relaxation_floor(partition, layout)
    close = floor >= (1.0 - WORTH) * before - (before - target)
    return target > floor and (close or columns <= FEW_COLUMNS)
