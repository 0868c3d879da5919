"""The district as the exact solver sees it: blocks of schools, the flows inside them, and
the options checked once, so that every stage works on plain arrays."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import networkx as nx
import numpy as np

from feeder.constraints import violations
from feeder.district import District
from feeder.errors import OptionError
from feeder.spec import DesignSpec

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


def check_options(district: District, spec: DesignSpec, time_limit: float | None) -> None:
    """Refuse what the spec itself cannot (a time limit, regions the district lacks), naming the option."""
    if time_limit is not None and not (math.isfinite(time_limit) and time_limit > 0):
        raise OptionError(f"--time-limit {time_limit:g} must be a number of seconds above 0")
    if spec.within_region and not district.has_regions:
        raise OptionError(f"{district.name}: --within-region needs a 'region' column in schools.csv")


def flow_problem(district: District, spec: DesignSpec) -> FlowProblem:
    """Blocks, their feasible portfolio counts and the undirected flow edges inside blocks."""
    if spec.within_region:
        names, block = np.unique(district.schools["region"].to_numpy(dtype=str), return_inverse=True)
    else:
        names, block = np.array([district.name]), np.zeros(len(district.schools), dtype=int)
    sizes = np.bincount(block, minlength=len(names)).tolist()
    counts = block_counts(sizes, names.tolist(), spec)
    sender, receiver, students = district.flow_positions
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


def block_counts(sizes: list[int], names: list[str], spec: DesignSpec) -> list[range]:
    """Portfolio counts each block can hold; the spec's InfeasibleError (the designer's wording)
    when a block, or k, cannot be met."""
    for size, name in zip(sizes, names, strict=True):
        if spec.within_region:
            spec.check_fits(size, where=f"region {name}", other_fix="merge regions")
        else:
            spec.check_fits(size)
    spec.allocate(sizes)
    counts = [range(low, high + 1) for low, high in map(spec.portfolio_range, sizes)]
    if spec.k is None:
        return counts
    fewest = sum(c.start for c in counts)
    return [range(c.start, min(c.stop, spec.k - fewest + c.start + 1)) for c in counts]


def portfolio_numbers(district: District, spec: DesignSpec, labels: np.ndarray | None) -> np.ndarray | None:
    """A known plan as portfolio numbers 0.., or None when it is missing or breaks the spec
    (contiguity aside: the callers check it against the map themselves)."""
    if labels is None or len(labels) != len(district.schools):
        return None
    named = np.asarray(labels).astype(str).astype(object)
    if violations(district, named, replace(spec, contiguous=False)):
        return None
    return np.unique(named.astype(str), return_inverse=True)[1].ravel()


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
