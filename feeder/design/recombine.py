"""Recombination of two adjacent parts: the coarse neighbourhood (ReCom, made greedy).

The union of two parts is re-cut along the best allowed edge of a few random spanning
trees, which moves whole feeder chains at once where single moves would each lose.
With a free number of portfolios, two parts that fit in one may merge instead.
"""

from __future__ import annotations

import numpy as np

from feeder.design.state import Budget, State
from feeder.design.trees import random_tree, split_table, subtree

EPS = 1e-10


def recombine_pairs(state: State, trees: int, rng: np.random.Generator, budget: Budget) -> bool:
    """Try each pair of adjacent parts once, in random order, skipping pairs already tried
    since either part last changed."""
    if state.focus is None:
        pairs = state.adjacent_pairs()
    else:
        pairs = sorted(
            {(a, b) for a in state.focus for b in state.neighbour_parts(a) if a < b and b in state.focus}
        )
    improved = False
    for index in rng.permutation(len(pairs)).tolist():
        if budget.spent():
            break
        a, b = pairs[index]
        version = (state.version[a], state.version[b])
        if not (state.alive[a] and state.alive[b]) or state.tried.get((a, b)) == version:
            continue
        if recombine(state, a, b, trees, rng):
            improved = True
        else:
            state.tried[(a, b)] = version
    return improved


def recombine(state: State, a: int, b: int, trees: int, rng: np.random.Generator) -> bool:
    """Re-cut (or merge) parts a and b if that raises the objective."""
    union = np.array(sorted(state.members[a] | state.members[b]))
    m = len(union)
    graph, flows = state.block.induced(union)
    inner = float(flows.weight.sum())
    codes = state.block.current[union]
    attributes = state.block.attributes[union]
    width = attributes.shape[1]
    columns = np.column_stack([attributes, codes == state.home[a], codes == state.home[b]])
    before = state.scores[a] + state.scores[b]
    limits, high = state.limits, state.max_size
    orientations = ((width, width + 1), (width + 1, width))[: 2 if state.tracks_homes else 1]
    best_gain, best = EPS, None
    for _ in range(trees):
        tree = random_tree(graph, rng)
        if tree is None:
            return False
        below, crossing = split_table(tree, columns, flows)
        above = below[tree.order[0]] - below
        allowed = limits.fits(below[:, :width]) & limits.fits(above[:, :width])
        if not allowed.any():
            continue
        kept = (inner - crossing) / state.block.scale.total_flow - before
        for flip, (home_below, home_above) in enumerate(orientations):
            sides = state.score_rows(
                np.vstack([below[:, :width], above[:, :width]]),
                np.zeros(2 * m),
                np.concatenate([below[:, home_below], above[:, home_above]]),
            )
            gain = kept + sides[:m] + sides[m:]
            gain[~allowed] = -np.inf
            node = int(np.argmax(gain))
            if gain[node] > best_gain:
                best_gain, best = float(gain[node]), (tree, node, flip)
    merged = attributes.sum(axis=0, keepdims=True)
    if (
        not state.fixed_k
        and m <= high
        and limits.fits(merged)[0]
        and merge_gain(state, a, b, columns, inner) > best_gain
    ):
        state.set_parts({a: set(union.tolist()), b: set()})
        return True
    if best is None:
        return False
    tree, node, flip = best
    inside = subtree(tree, node)
    first, second = (a, b) if flip == 0 else (b, a)
    state.set_parts({first: set(union[inside].tolist()), second: set(union[~inside].tolist())})
    return True


def merge_gain(state: State, a: int, b: int, columns: np.ndarray, inner: float) -> float:
    """Objective change of merging parts a and b (one part fewer changes every balance term)."""
    alive = np.array(state.alive)
    alive[b] = False
    stats, internal, homes = state.stats.copy(), state.internal.copy(), state.home_count.copy()
    width = stats.shape[1]
    stats[a] = columns[:, :width].sum(axis=0)
    internal[a] = inner
    homes[a] = columns[:, width].sum() if state.tracks_homes else 0.0
    after = state.score_rows(stats[alive], internal[alive], homes[alive], k=state.k - 1).sum()
    return float(after - state.value())
