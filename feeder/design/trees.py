"""Spanning trees of a set of schools, and every way of cutting one tree in two.

Cutting one edge of a spanning tree of a connected set splits it into two connected
parts (the idea behind GerryChain's ReCom). Trees are drawn as minimum spanning trees
of randomly jittered edge costs, so edges that should stay inside one portfolio
(short, carrying flows) are kept more often and the cut lands where flows are thin.
For each tree, `split_table` gives, for every edge at once, the column sums of the
part below it and the flow crossing it.

The search draws tens of thousands of trees of 24-48 schools. At that size scipy's
per-call checks cost ten times the work itself, so small trees use a few lines of
Kruskal and an ancestor matrix; large ones (the first bisection of a big district)
use scipy's minimum spanning tree and lowest common ancestors by binary lifting.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse
from scipy.sparse.csgraph import breadth_first_order, minimum_spanning_tree

JITTER = (0.25, 1.75)
SMALL = 160


@dataclass(frozen=True)
class Edges:
    """Undirected edges (each once) between nodes 0..m-1, with a weight per edge."""

    m: int
    a: np.ndarray
    b: np.ndarray
    weight: np.ndarray


@dataclass(frozen=True)
class Tree:
    """A rooted spanning tree: breadth-first `order` (root first) and `parent` (root's is itself)."""

    order: np.ndarray
    parent: np.ndarray


def random_tree(graph: Edges, rng: np.random.Generator) -> Tree | None:
    """A random spanning tree (minimum over jittered costs); None if the graph is disconnected."""
    cost = graph.weight * rng.uniform(*JITTER, size=len(graph.weight))
    root = int(rng.integers(graph.m))
    if graph.m <= SMALL:
        return small_tree(graph, cost, root)
    matrix = sparse.csr_matrix((cost, (graph.a, graph.b)), shape=(graph.m, graph.m))
    tree = minimum_spanning_tree(matrix, overwrite=True)
    order, parent = breadth_first_order(tree, root, directed=False, return_predecessors=True)
    if len(order) < graph.m:
        return None
    parent[root] = root
    return Tree(order=order, parent=parent)


def path_tree(order: np.ndarray) -> Tree:
    """The path visiting nodes in `order`, rooted at its first node."""
    parent = np.empty(len(order), dtype=int)
    parent[order[0]] = order[0]
    parent[order[1:]] = order[:-1]
    return Tree(order=order, parent=parent)


def small_tree(graph: Edges, cost: np.ndarray, root: int) -> Tree | None:
    """Kruskal's algorithm with a union-find, then a breadth-first walk from `root`."""
    m = graph.m
    leader = list(range(m))

    def find(x: int) -> int:
        while leader[x] != x:
            leader[x] = leader[leader[x]]
            x = leader[x]
        return x

    links: list[list[int]] = [[] for _ in range(m)]
    joined = 0
    ranked = np.argsort(cost, kind="stable")
    for u, v in zip(graph.a[ranked].tolist(), graph.b[ranked].tolist(), strict=True):
        ru, rv = find(u), find(v)
        if ru != rv:
            leader[ru] = rv
            links[u].append(v)
            links[v].append(u)
            joined += 1
            if joined == m - 1:
                break
    if joined < m - 1:
        return None
    parent = [-1] * m
    parent[root] = root
    order = [root]
    for u in order:
        for v in links[u]:
            if parent[v] < 0:
                parent[v] = u
                order.append(v)
    return Tree(order=np.array(order), parent=np.array(parent))


def split_table(tree: Tree, columns: np.ndarray, flows: Edges) -> tuple[np.ndarray, np.ndarray]:
    """For each node v: column sums over v's subtree, and the flow crossing edge (v, parent).

    The root's row is the total and its crossing flow is 0.
    """
    if flows.m <= SMALL:
        return small_split(tree, columns, flows)
    return large_split(tree, columns, flows)


def small_split(tree: Tree, columns: np.ndarray, flows: Edges) -> tuple[np.ndarray, np.ndarray]:
    """Ancestor matrix: above[v, u] says u is v or an ancestor of v."""
    m = len(tree.order)
    above = np.zeros((m, m), dtype=bool)
    parents = tree.parent.tolist()
    for v in tree.order.tolist():
        above[v] = above[parents[v]]
        above[v, v] = True
    sums = above.T.astype(float) @ columns
    crossing = (above[flows.a] ^ above[flows.b]).T.astype(float) @ flows.weight
    return sums, crossing


def large_split(tree: Tree, columns: np.ndarray, flows: Edges) -> tuple[np.ndarray, np.ndarray]:
    """Subtree sums in reverse breadth-first order; crossing flow by the lowest-common-ancestor
    trick: a flow adds its weight at both ends and removes it twice where their paths meet."""
    m = len(tree.order)
    difference: np.ndarray = np.zeros(m)
    if len(flows.a):
        meet = ancestors_meet(tree, flows.a, flows.b)
        difference = (
            np.bincount(flows.a, flows.weight, m)
            + np.bincount(flows.b, flows.weight, m)
            - 2 * np.bincount(meet, flows.weight, m)
        )
    sums = np.column_stack([columns, difference])
    parents = tree.parent.tolist()
    for node in tree.order[:0:-1].tolist():
        sums[parents[node]] += sums[node]
    return sums[:, :-1], sums[:, -1]


def ancestors_meet(tree: Tree, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Lowest common ancestors of node pairs (a[i], b[i]) by binary lifting."""
    parents = tree.parent.tolist()
    depth_list = [0] * len(parents)
    for node in tree.order[1:].tolist():
        depth_list[node] = depth_list[parents[node]] + 1
    depth = np.array(depth_list)
    levels = max(1, int(depth.max()).bit_length())
    up = [tree.parent]
    for _ in range(levels - 1):
        up.append(up[-1][up[-1]])
    a, b = a.copy(), b.copy()
    deeper = depth[a] < depth[b]
    a[deeper], b[deeper] = b[deeper], a[deeper]
    climb = depth[a] - depth[b]
    for level in range(levels):
        step = ((climb >> level) & 1).astype(bool)
        a[step] = up[level][a[step]]
    for level in reversed(range(levels)):
        ua, ub = up[level][a], up[level][b]
        differ = ua != ub
        a[differ], b[differ] = ua[differ], ub[differ]
    return np.where(a == b, a, tree.parent[a])


def subtree(tree: Tree, node: int) -> np.ndarray:
    """Mask of the nodes in `node`'s subtree (parents come before children in `order`)."""
    inside = [False] * len(tree.order)
    inside[node] = True
    parents = tree.parent.tolist()
    for child in tree.order[1:].tolist():
        if inside[parents[child]]:
            inside[child] = True
    return np.array(inside)
