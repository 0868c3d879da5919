"""The district as the exact solver sees it: blocks of schools, the flows inside them, and
the options checked once, so that every stage works on plain arrays."""

from __future__ import annotations

from dataclasses import dataclass

import networkx as nx
import numpy as np

from feeder import metrics
from feeder.district import District
from feeder.errors import FeederError
from feeder.sizes import check_size_range

DUAL_SLACK = 1e-6  # relative slack taken off HiGHS's dual bound so the reported bound stays valid


@dataclass(frozen=True)
class FlowProblem:
    """The district as the solver sees it: blocks of schools and the flows inside them.

    block: block of each school (its region with `within_region`, else 0); counts: the
    portfolio counts each block may hold; edges/weights: school pairs of one block and the
    students between them (both directions); lost: students on flows across blocks.
    """

    block: np.ndarray
    names: list[str]
    counts: list[range]
    edges: np.ndarray
    weights: np.ndarray
    total: float
    lost: float

    @property
    def n_blocks(self) -> int:
        return len(self.names)


def check_options(
    district: District,
    min_size: int,
    max_size: int,
    within_region: bool,
    time_limit: float | None,
    k: int | None,
) -> None:
    """Refuse options no solve could honour, naming the option."""
    check_size_range(min_size, max_size)
    if k is not None and k < 1:
        raise FeederError(f"--k {k} must be at least 1")
    if time_limit is not None and not time_limit > 0:
        raise FeederError(f"--time-limit {time_limit:g} must be more than 0 seconds")
    if within_region and not district.has_regions:
        raise FeederError(f"{district.name}: --within-region needs a 'region' column in schools.csv")


def flow_problem(
    district: District, within_region: bool, min_size: int, max_size: int, k: int | None
) -> FlowProblem:
    """Blocks, their feasible portfolio counts and the undirected flow edges inside blocks."""
    if within_region:
        names, block = np.unique(district.schools["region"].to_numpy(dtype=str), return_inverse=True)
    else:
        names, block = np.array([district.name]), np.zeros(len(district.schools), dtype=int)
    sizes = np.bincount(block, minlength=len(names)).tolist()
    counts = block_counts(sizes, names.tolist(), within_region, min_size, max_size, k)
    sender, receiver, students = metrics.flow_arrays(district)
    same = block[sender] == block[receiver]
    pairs = np.sort(np.column_stack([sender, receiver])[same], axis=1).reshape(-1, 2)
    edges, inverse = np.unique(pairs, axis=0, return_inverse=True)
    weights = np.bincount(inverse.ravel(), weights=students[same], minlength=len(edges))
    return FlowProblem(
        block=block,
        names=names.tolist(),
        counts=counts,
        edges=edges.astype(int),
        weights=weights,
        total=float(students.sum()),
        lost=float(students[~same].sum()),
    )


def block_counts(
    sizes: list[int], names: list[str], within_region: bool, min_size: int, max_size: int, k: int | None
) -> list[range]:
    """Portfolio counts each block can hold; FeederError when a block, or k, cannot be met."""
    counts = []
    for size, name in zip(sizes, names, strict=True):
        low, high = -(-size // max_size), size // min_size
        where = f"region '{name}'" if within_region else name
        if high == 0:
            raise FeederError(f"{where}: {size} school(s), fewer than --min-size {min_size}")
        if low > high:
            raise FeederError(
                f"{where}: {size} schools cannot form portfolios of {min_size}-{max_size} schools "
                f"({high} portfolio(s) hold at most {high * max_size}, {high + 1} need at least "
                f"{(high + 1) * min_size}); widen --min-size/--max-size"
            )
        counts.append(range(low, high + 1))
    if k is None:
        return counts
    fewest, most = sum(c.start for c in counts), sum(c.stop - 1 for c in counts)
    if not fewest <= k <= most:
        nest = " nested in regions" if within_region else ""
        raise FeederError(
            f"--k {k}: {sum(sizes)} schools form {fewest}-{most} portfolios of {min_size}-{max_size} schools{nest}"
        )
    return [range(c.start, min(c.stop, k - fewest + c.start + 1)) for c in counts]


def portfolio_numbers(
    problem: FlowProblem, labels: np.ndarray | None, min_size: int, max_size: int, k: int | None
) -> np.ndarray | None:
    """The warm start as portfolio numbers 0.., or None when it is missing or breaks the options."""
    if labels is None or len(labels) != len(problem.block):
        return None
    _, numbers = np.unique(np.asarray(labels, dtype=str), return_inverse=True)
    sizes = np.bincount(numbers)
    blocks = [len(set(problem.block[numbers == p].tolist())) for p in range(len(sizes))]
    fits = bool((sizes >= min_size).all() and (sizes <= max_size).all()) and max(blocks) == 1
    if not fits or (k is not None and len(sizes) != k):
        return None
    return numbers


def loss(problem: FlowProblem, portfolio: np.ndarray) -> float:
    """Students a plan (portfolio number per school) loses on flows inside blocks."""
    return cut_weight(problem.edges, problem.weights, portfolio)


def cut_weight(edges: np.ndarray, weights: np.ndarray, group: np.ndarray) -> float:
    """Weight of the edges whose ends are in different groups."""
    return float(weights[group[edges[:, 0]] != group[edges[:, 1]]].sum())


def tolerance(problem: FlowProblem) -> float:
    """Students of difference below which a plan counts as reaching the floor (twice the dual slack)."""
    return 2 * DUAL_SLACK * (1.0 + problem.total)


def components(problem: FlowProblem) -> list[np.ndarray]:
    """Connected components of the flow graph inside blocks, each ordered hub first (breadth first)."""
    graph = nx.Graph()
    for (i, j), w in zip(problem.edges.tolist(), problem.weights.tolist(), strict=True):
        graph.add_edge(i, j, weight=w)
    found = []
    for nodes in nx.connected_components(graph):
        sub = graph.subgraph(nodes)
        hub = max(sorted(nodes), key=lambda v: sub.degree(v, weight="weight"))
        order = [hub] + [v for _, v in nx.bfs_edges(sub, hub, sort_neighbors=sorted)]
        found.append(np.array(order))
    return sorted(found, key=lambda c: (problem.block[c[0]], -len(c), c.min()))


def local_edges(problem: FlowProblem, nodes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The edges among `nodes`, renumbered by position in `nodes`."""
    position = np.full(len(problem.block), -1)
    position[nodes] = np.arange(len(nodes))
    inside = (position[problem.edges[:, 0]] >= 0) & (position[problem.edges[:, 1]] >= 0)
    return position[problem.edges[inside]], problem.weights[inside]
