"""The first plan of a block: recursive bisection along the cheapest cuts of spanning trees.

Every cut of a spanning tree leaves two connected halves, so the plan is contiguous by
construction; a cut is allowed only when each half can still be divided into portfolios
of the size range (and, with a fixed k, into the right number of them). Among allowed
cuts the one losing the fewest students wins, with K-12 shortfall and spread as
tie-breakers; large sets are cut near the middle so the recursion stays O(n log n).
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from feeder.design.objective import COUNT, ENROLLMENT, G3, G7, G10, HIGH, R2, Weights, X, Y
from feeder.design.problem import Block
from feeder.design.trees import Edges, Tree, path_tree, random_tree, split_table, subtree

CAP_WORDS = {ENROLLMENT: "students", HIGH: "high schools"}
BALANCE = 0.25
MAX_TRIES = 40
BACKTRACKS = 50


class NoCut(Exception):
    """No tree drawn had an allowed cut; the message says so in planner's terms."""


def bisect(
    block: Block,
    schools: np.ndarray,
    k: int | None,
    weights: Weights,
    rng: np.random.Generator,
    tries: int | None = None,
) -> np.ndarray:
    """Part numbers 0.. for `schools` (a connected set of block positions): k parts, or
    with k None as many as the cuts give, each within the block's limits. tries: trees per
    cut (default: more for small sets).
    """
    cutter = Cutter(block, weights, rng, tries)
    local = np.full(block.size, -1)
    local[schools] = np.arange(len(schools))
    part = np.full(len(schools), -1)
    for number, leaf in enumerate(cutter.partition(schools, k)):
        part[local[leaf]] = number
    return part


class Cutter:
    """Recursive bisection with a little backtracking: when one half cannot be cut (say its
    schools form a star on the map), the next-best cut of the parent is tried instead."""

    def __init__(self, block: Block, weights: Weights, rng: np.random.Generator, tries: int | None) -> None:
        self.block = block
        self.limits = block.limits
        self.min_size, self.max_size = block.limits.min_size, block.limits.max_size
        self.weights = weights
        self.rng = rng
        self.tries = tries
        self.backtracks = BACKTRACKS

    def partition(self, nodes: np.ndarray, parts: int | None) -> list[np.ndarray]:
        if parts == 1 or (parts is None and len(nodes) <= self.max_size and self.leaf_fits(nodes)):
            return [nodes]
        for left, k_left, right, k_right in self.cuts(nodes, parts):
            try:
                return self.partition(left, k_left) + self.partition(right, k_right)
            except NoCut:
                self.backtracks -= 1
                if self.backtracks < 0:
                    raise
        raise NoCut(
            f"could not cut {describe(self.block, len(nodes))} into contiguous portfolios of "
            f"{self.min_size}-{self.max_size}{self.extra_limits()}; try --no-contiguous or a wider size range"
            + ("" if self.limits.only_sizes else ", higher caps or fewer locks")
        )

    def leaf_fits(self, nodes: np.ndarray) -> bool:
        return bool(self.limits.fits(self.block.attributes[nodes].sum(axis=0, keepdims=True))[0])

    def extra_limits(self) -> str:
        """The caps and locks the cut had to respect, for the refusal."""
        said = [f"at most {most:g} {CAP_WORDS[column]} each" for column, most in self.limits.caps]
        if self.limits.has_locks:
            said.append("the locks kept")
        return " with " + " and ".join(said) if said else ""

    def cuts(
        self, nodes: np.ndarray, parts: int | None
    ) -> Iterator[tuple[np.ndarray, int | None, np.ndarray, int | None]]:
        """The best allowed cut of each of a few random trees, best first.

        Without contiguity, a set no tree can cut (a star of co-located schools, say) is
        cut along a path through its sites instead: a path can be cut at any size.
        """
        m = len(nodes)
        graph, flows = self.block.induced(nodes)
        columns = self.block.attributes[nodes]
        tries = self.tries or max(2, min(12, 2000 // m))
        found: list[tuple] = []
        attempt = 0
        while attempt < tries or (not found and attempt < MAX_TRIES):
            attempt += 1
            tree = random_tree(graph, self.rng)
            if tree is None:
                break
            found += self.best_cut(tree, columns, flows, parts, attempt)
        if not found and not self.block.contiguous:
            found = self.best_cut(path_tree(principal_order(columns)), columns, flows, parts, 0)
        for _, tree, node, k_left, k_right in sorted(found, key=lambda item: item[0], reverse=True):
            inside = subtree(tree, node)
            if parts is None:
                yield nodes[inside], None, nodes[~inside], None
            else:
                yield nodes[inside], int(k_left), nodes[~inside], int(k_right)

    def best_cut(
        self, tree: Tree, columns: np.ndarray, flows: Edges, parts: int | None, attempt: int
    ) -> list[tuple]:
        """The tree's best allowed cut as [(key, tree, node, k_below, k_above)], or []."""
        m = len(columns)
        below, crossing = split_table(tree, columns, flows)
        above = below[tree.order[0]] - below
        size = below[:, COUNT]
        k_below, k_above, allowed = side_counts(size, m, parts, self.min_size, self.max_size)
        allowed[tree.order[0]] = False
        if not self.limits.only_sizes:
            width = self.block.attributes.shape[1]
            most_below = k_below if parts is not None else np.floor(size / self.min_size)
            most_above = k_above if parts is not None else np.floor((m - size) / self.min_size)
            allowed &= self.limits.may_hold(below[:, :width], most_below)
            allowed &= self.limits.may_hold(above[:, :width], most_above)
        if not allowed.any():
            return []
        score = (
            -crossing / self.block.scale.total_flow
            - self.weights.k12 * (shortfall(below, k_below) + shortfall(above, k_above))
            - self.weights.compactness * (spread(below) + spread(above)) / self.block.scale.spread
        )
        big = (parts is not None and parts >= 4) or (parts is None and m > 4 * self.max_size)
        balanced = np.minimum(size, m - size) >= BALANCE * m if big else allowed
        pool = allowed & balanced if (allowed & balanced).any() else allowed
        node = int(np.flatnonzero(pool)[np.argmax(score[pool])])
        return [
            ((bool(balanced[node]), float(score[node]), -attempt), tree, node, k_below[node], k_above[node])
        ]


def principal_order(columns: np.ndarray) -> np.ndarray:
    """Schools ordered along the main axis of their sites."""
    xy = columns[:, [X, Y]] - columns[:, [X, Y]].mean(axis=0)
    axis = np.linalg.svd(xy, full_matrices=False)[2][0] if len(xy) > 1 else np.array([1.0, 0.0])
    return np.argsort(xy @ axis, kind="stable")


def side_counts(
    size: np.ndarray, m: int, parts: int | None, min_size: int, max_size: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Portfolios each side of every cut would get, and whether the cut is allowed."""
    rest = m - size
    if parts is None:
        low, high = np.ceil(size / max_size), np.floor(size / min_size)
        low_rest, high_rest = np.ceil(rest / max_size), np.floor(rest / min_size)
        allowed = (size > 0) & (rest > 0) & (low <= high) & (low_rest <= high_rest)
        return low, low_rest, allowed
    low = np.maximum.reduce([np.ones_like(size), np.ceil(size / max_size), parts - np.floor(rest / min_size)])
    high = np.minimum.reduce(
        [np.full_like(size, parts - 1), np.floor(size / min_size), parts - np.ceil(rest / max_size)]
    )
    below = np.clip(np.round(parts * size / m), low, high)
    return below, parts - below, low <= high


def shortfall(stats: np.ndarray, parts: np.ndarray) -> np.ndarray:
    """Portfolios that must lack a grade-3, grade-7 or grade-10 school."""
    servers = np.minimum.reduce([stats[:, G3], stats[:, G7], stats[:, G10]])
    return np.maximum(0.0, parts - servers)


def spread(stats: np.ndarray) -> np.ndarray:
    """Squared km from the schools to their centroid."""
    count = np.maximum(stats[:, COUNT], 1.0)
    return np.maximum(stats[:, R2] - (stats[:, X] ** 2 + stats[:, Y] ** 2) / count, 0.0)


def describe(block: Block, m: int) -> str:
    """'the 90 schools of the district', or where a piece of it failed 'a piece of 36 of the
    district's 90 schools' (the recursive cuts split the district into pieces first)."""
    where = f"region {block.name}" if block.name else "the district"
    if m == block.size:
        return f"the {m} schools of {where}"
    return f"a piece of {m} of the {block.size} schools of {where}"
