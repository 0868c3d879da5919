"""Stage 1, the relaxation: the least cut of each flow component into pieces of at most
`max_size` schools, a floor under every plan's loss.

A plan cuts each connected component of the flow graph into pieces of at most `max_size`
schools, and the students it loses are exactly the flows it cuts inside components (plus,
with `within_region`, every flow across regions). So the least cut of each component, summed,
is a floor under every plan's loss. A component that fits in one portfolio costs nothing: it is
kept whole. A larger one is cut by a MIP started from a greedy cut (or the warm start's, when
better). A component too large for one MIP is split along its best pieces into clusters of a few
pieces; the least cut inside each cluster, summed, is still a floor (the flows between clusters
are simply not counted). Rounds with ever larger clusters raise that floor, and improve the
pieces, until the cut is proven or the time is up.
"""

from __future__ import annotations

import heapq
import math
import time
from dataclasses import dataclass, field

import numpy as np
from scipy import sparse
from scipy.sparse import csgraph

from feeder.exact.problem import DUAL_SLACK, FlowProblem, components, cut_weight, local_edges
from feeder.exact.represent import Partition, connected_pairs, hubs_first, items_only, solve_partition

CLUSTER_PIECES = 3  # the first stage-1 MIPs cut at most this many portfolios' worth of schools


@dataclass
class ComponentCut:
    """Stage-1 state of one component larger than a portfolio: its best pieces so far, the best
    floor proven under its cut, and the floor already proven for each cluster tried (by its schools)."""

    nodes: np.ndarray
    edges: np.ndarray
    weights: np.ndarray
    pieces: np.ndarray
    floor: float = 0.0
    floors: dict[tuple[int, ...], float] = field(default_factory=dict)

    @property
    def cut(self) -> float:
        return cut_weight(self.edges, self.weights, self.pieces)

    @property
    def whole_tried(self) -> bool:
        return tuple(self.nodes.tolist()) in self.floors

    @property
    def closed(self) -> bool:
        return self.cut - self.floor <= 2 * DUAL_SLACK * (1.0 + float(self.weights.sum()))


def relax(
    problem: FlowProblem, max_size: int, warm: np.ndarray | None, deadline: float
) -> tuple[np.ndarray, float, bool]:
    """Cut every component into pieces of at most max_size schools, losing as little as provable.

    Rounds of cluster MIPs with ever larger clusters (a component up to CLUSTER_PIECES
    portfolios' worth of schools is one cluster from the start) run until every cut is
    proven or the deadline. Returns the piece number of every school (-1 for schools
    without flows), the floor under every plan's loss inside blocks, and whether every
    component's cut is proven optimal.
    """
    piece = np.full(len(problem.block), -1)
    large = []
    for nodes in components(problem):
        if len(nodes) <= max_size:
            piece[nodes] = piece.max() + 1
        else:
            large.append(component_cut(problem, nodes, max_size, warm))
    limit = CLUSTER_PIECES * max_size
    while time.monotonic() < deadline and any(not c.closed and not c.whole_tried for c in large):
        batch = [(c, clusters(c, limit)) for c in large if not c.closed]
        batch = [(c, groups) for c, groups in batch if unsolved(c, groups, max_size)]
        if batch:
            cut_round(problem, batch, max_size, deadline)
        limit += max(1, max_size // 2)
    for c in large:
        piece[c.nodes] = c.pieces + piece.max() + 1
    return piece, sum(c.floor for c in large), all(c.closed for c in large)


def component_cut(
    problem: FlowProblem, nodes: np.ndarray, max_size: int, warm: np.ndarray | None
) -> ComponentCut:
    """A large component with its starting pieces: the better of a greedy cut and the warm start's."""
    edges, weights = local_edges(problem, nodes)
    start = greedy_pieces(len(nodes), edges, weights, max_size)
    if warm is not None:
        own = merged(warm[nodes], max_size)
        if cut_weight(edges, weights, own) < cut_weight(edges, weights, start):
            start = own
    return ComponentCut(nodes, edges, weights, start)


def clusters(component: ComponentCut, limit: int) -> np.ndarray:
    """Cluster of each school for one round: the whole component when it holds at most `limit`
    schools, else its pieces merged (those joined by the most students first) into clusters of
    at most `limit`, so that the flows left between clusters, which the round's floor does not
    count, are few."""
    pieces, edges, weights = component.pieces, component.edges, component.weights
    if len(pieces) <= limit:
        return np.zeros(len(pieces), dtype=int)
    between = pieces[edges]
    crossing = between[:, 0] != between[:, 1]
    grouped = agglomerate(np.bincount(pieces), between[crossing], weights[crossing], limit)
    return np.unique(grouped[pieces], return_inverse=True)[1]


def unsolved(component: ComponentCut, groups: np.ndarray, max_size: int) -> list[np.ndarray]:
    """The clusters of a clustering that need a MIP: larger than a portfolio and not tried before."""
    found = []
    for group in range(int(groups.max()) + 1):
        nodes = component.nodes[groups == group]
        if len(nodes) > max_size and tuple(nodes.tolist()) not in component.floors:
            found.append(nodes)
    return found


def cut_round(
    problem: FlowProblem, batch: list[tuple[ComponentCut, np.ndarray]], max_size: int, deadline: float
) -> None:
    """Cut each cluster optimally (time shared by size); the clusters' floors add up to a floor
    for the component, and their pieces replace the old ones inside the cluster, never cutting more."""
    waiting = sum(len(nodes) for c, groups in batch for nodes in unsolved(c, groups, max_size))
    for component, groups in batch:
        pieces, floor = component.pieces.copy(), 0.0
        for group in range(int(groups.max()) + 1):
            members = groups == group
            nodes = component.nodes[members]
            if len(nodes) <= max_size or tuple(nodes.tolist()) in component.floors:
                floor += component.floors.get(tuple(nodes.tolist()), 0.0)
                continue
            share = (deadline - time.monotonic()) * len(nodes) / max(waiting, len(nodes))
            waiting -= len(nodes)
            local, low = cut_cluster(
                problem, nodes, component.pieces[members], max_size, time.monotonic() + share
            )
            component.floors[tuple(nodes.tolist())] = low
            pieces[members] = local + pieces.max() + 1
            floor += low
        pieces = merged(pieces, max_size)
        if cut_weight(component.edges, component.weights, pieces) < component.cut:
            component.pieces = pieces
        component.floor = max(component.floor, floor)


def cut_cluster(
    problem: FlowProblem, nodes: np.ndarray, start: np.ndarray, max_size: int, deadline: float
) -> tuple[np.ndarray, float]:
    """Least cut of a cluster into pieces of at most max_size: (best pieces found, floor under their cut).

    The representative MIP (represent.py), hubs first: splitting a piece into its flow-connected
    parts never cuts more, so pieces are flow-connected and a representative reaches its members
    in fewer than max_size steps over the flows among schools ranked after it.
    """
    edges, weights = local_edges(problem, nodes)
    order = hubs_first(len(nodes), edges, weights)
    rank = np.empty(len(nodes), dtype=int)
    rank[order] = np.arange(len(nodes))
    ranked_edges = rank[edges]
    neighbours: list[set[int]] = [set() for _ in nodes]
    for a, b in ranked_edges.tolist():
        neighbours[a].add(b)
        neighbours[b].add(a)
    block = np.zeros(len(nodes), dtype=int)
    partition = Partition(
        block=block,
        pairs=connected_pairs(neighbours, block, max_size),
        counts=[range(1, len(nodes) + 1)],
        filler=np.zeros(1, dtype=int),
        edges=ranked_edges,
        weights=weights,
        min_size=0,
        max_size=max_size,
    )
    start = merged(start, max_size)
    solved = solve_partition(partition, deadline, items_only(flow_parts(start, edges)[order], 1))
    if solved.representative is None or cut_weight(edges, weights, start) < solved.cut:
        return start, solved.floor
    return solved.representative[rank], solved.floor


def flow_parts(groups: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Each group split into its connected parts over the edges inside it (cutting nothing more)."""
    inside = edges[groups[edges[:, 0]] == groups[edges[:, 1]]]
    graph = sparse.coo_matrix(
        (np.ones(len(inside)), (inside[:, 0], inside[:, 1])), shape=(len(groups), len(groups))
    )
    return csgraph.connected_components(graph, directed=False)[1]


def piece_cap(size: int, max_size: int) -> int:
    """Most pieces an optimal cut needs: merging two pieces that fit together never cuts more,
    so any two pieces hold > max_size schools, all but the smallest > max_size / 2."""
    return 2 + (size - max_size - 1) // math.ceil((max_size + 1) / 2)


def merged(groups: np.ndarray, max_size: int) -> np.ndarray:
    """Renumber groups 0.. and merge the two smallest while they fit (that never cuts more)."""
    _, groups = np.unique(groups, return_inverse=True)
    while True:
        sizes = np.bincount(groups)
        small = np.argsort(sizes, kind="stable")[:2]
        if len(sizes) <= 1 or sizes[small].sum() > max_size:
            return groups
        groups = np.where(groups == small[1], small[0], groups)
        _, groups = np.unique(groups, return_inverse=True)


def greedy_pieces(n: int, edges: np.ndarray, weights: np.ndarray, max_size: int) -> np.ndarray:
    """A good cut into pieces of at most max_size, fast: it gives the MIP an incumbent to prune with."""
    pieces = agglomerate(np.ones(n, dtype=int), edges, weights, max_size)
    return merged(improve(pieces, edges, weights, max_size), max_size)


def agglomerate(sizes: np.ndarray, edges: np.ndarray, weights: np.ndarray, limit: int) -> np.ndarray:
    """Group items by repeatedly merging the two groups joined by the most weight per school
    (ties: the lowest ids), while the merged group holds at most `limit` schools. Returns the
    group of each item. A heap of candidate joins, stale ones skipped by version, keeps this
    O(E log E): rescanning every join per merge took 12 s on 5,000 schools."""
    members = {i: [i] for i in range(len(sizes))}
    size = {i: int(s) for i, s in enumerate(sizes)}
    version = dict.fromkeys(range(len(sizes)), 0)
    link: dict[int, dict[int, float]] = {i: {} for i in range(len(sizes))}
    for (i, j), w in zip(edges.tolist(), weights.tolist(), strict=True):
        link[i][j] = link[j][i] = link[i].get(j, 0.0) + w
    joins: list[tuple[float, int, int, int, int]] = []

    def offer(a: int, b: int) -> None:
        a, b = min(a, b), max(a, b)
        if size[a] + size[b] <= limit:
            heapq.heappush(joins, (-link[a][b] / (size[a] + size[b]), a, b, version[a], version[b]))

    for a in link:
        for b in link[a]:
            if a < b:
                offer(a, b)
    while joins:
        _, a, b, seen_a, seen_b = heapq.heappop(joins)
        if a not in size or b not in size or (version[a], version[b]) != (seen_a, seen_b):
            continue
        members[a] += members.pop(b)
        size[a] += size.pop(b)
        version[a] += 1
        for c, w in link.pop(b).items():
            del link[c][b]
            if c != a:
                link[a][c] = link[c][a] = link[a].get(c, 0.0) + w
        for c in link[a]:
            offer(a, c)
    group = np.empty(len(sizes), dtype=int)
    for number, items in enumerate(members.values()):
        group[items] = number
    return group


def improve(group: np.ndarray, edges: np.ndarray, weights: np.ndarray, max_size: int) -> np.ndarray:
    """Move single schools to the group they share most students with, while that gains and fits."""
    group = group.copy()
    size = np.bincount(group, minlength=len(group))
    neighbours: list[list[tuple[int, float]]] = [[] for _ in range(len(group))]
    for (i, j), w in zip(edges.tolist(), weights.tolist(), strict=True):
        neighbours[i].append((j, w))
        neighbours[j].append((i, w))
    moved = True
    while moved:
        moved = False
        for v, links in enumerate(neighbours):
            tie: dict[int, float] = {}
            for u, w in links:
                tie[group[u]] = tie.get(group[u], 0.0) + w
            here = tie.get(group[v], 0.0)
            target = max(
                (g for g in tie if g != group[v] and size[g] < max_size and tie[g] > here + 1e-9),
                key=lambda g: (tie[g], -g),
                default=None,
            )
            if target is not None:
                size[group[v]] -= 1
                size[target] += 1
                group[v] = target
                moved = True
    return group
