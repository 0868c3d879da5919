"""Blocks: the independent sub-problems of a design, as arrays the search works on.

A block is the whole district or, with within_region, one region — one connected area
of a region when portfolios must be contiguous, because a contiguous portfolio cannot
cross the other regions' schools. Schools are numbered 0..m-1 inside a block.

The *search graph* of a block is the graph portfolios must be connected in: the
Delaunay graph of all school sites (METRICS.md `contiguous`) when contiguity is on;
otherwise the block's own Delaunay graph plus its flow edges, which keeps portfolios
geographic without requiring it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.sparse.csgraph import connected_components

from feeder import metrics
from feeder.design.limits import Limits
from feeder.design.objective import (
    COUNT,
    ENROLLMENT,
    G3,
    G7,
    G10,
    HIGH,
    N_COLUMNS,
    NEED_SUM,
    NEED_WEIGHT,
    R2,
    Scale,
    X,
    Y,
)
from feeder.design.trees import Edges
from feeder.district import District
from feeder.errors import InputError, OptionError
from feeder.geo import delaunay_edges
from feeder.spec import ACROSS_REGIONS, DesignSpec


@dataclass(frozen=True)
class Inputs:
    """District-wide arrays shared by every block."""

    n: int
    edges: np.ndarray
    flows: sparse.csr_matrix
    attributes: np.ndarray
    current: np.ndarray
    regions: np.ndarray
    lat: np.ndarray
    lon: np.ndarray
    total_flow: float
    spread: float


@dataclass(frozen=True)
class Block:
    """One independent sub-problem: its search graph (weights are base tree costs) and its
    flows, each as an edge list and as per-school lists, plus the objective columns."""

    name: str
    schools: np.ndarray
    graph: Edges
    flows: Edges
    links: list[list[tuple[int, float]]]
    flow_lists: list[list[tuple[int, float]]]
    neighbours: list[list[int]]
    strength: np.ndarray
    attributes: np.ndarray
    current: np.ndarray
    scale: Scale
    contiguous: bool
    limits: Limits

    @property
    def size(self) -> int:
        return len(self.schools)

    def induced(self, nodes: np.ndarray) -> tuple[Edges, Edges]:
        """Search graph and flows among `nodes`, renumbered 0..len(nodes)-1.

        Large sets are masked out of the edge arrays; small ones (the common case) are
        gathered from the per-school lists, which costs O(len(nodes)).
        """
        if 4 * len(nodes) >= self.size:
            local = np.full(self.size, -1)
            local[nodes] = np.arange(len(nodes))
            return masked(self.graph, local, len(nodes)), masked(self.flows, local, len(nodes))
        index = {v: i for i, v in enumerate(nodes.tolist())}
        return gathered(self.links, index), gathered(self.flow_lists, index)


def masked(edges: Edges, local: np.ndarray, m: int) -> Edges:
    """Edges with both ends mapped by `local` (-1: outside), renumbered."""
    a, b = local[edges.a], local[edges.b]
    keep = (a >= 0) & (b >= 0)
    return Edges(m, a[keep], b[keep], edges.weight[keep])


def gathered(lists: list[list[tuple[int, float]]], index: dict[int, int]) -> Edges:
    """Edges between keys of `index`, renumbered by it, each once."""
    rows = [(index[u], index[v], w) for u in index for v, w in lists[u] if u < v and v in index]
    if not rows:
        return Edges(len(index), np.zeros(0, dtype=int), np.zeros(0, dtype=int), np.zeros(0))
    a, b, weight = zip(*rows, strict=True)
    return Edges(len(index), np.array(a), np.array(b), np.array(weight))


def edge_lists(edges: Edges) -> list[list[tuple[int, float]]]:
    """Per node, (other end, weight) of its edges."""
    lists: list[list[tuple[int, float]]] = [[] for _ in range(edges.m)]
    for u, v, w in zip(edges.a.tolist(), edges.b.tolist(), edges.weight.tolist(), strict=True):
        lists[u].append((v, w))
        lists[v].append((u, w))
    return lists


def district_inputs(
    district: District, flow_weights: pd.Series | None, lock_columns: np.ndarray | None = None
) -> Inputs:
    """Flows (students plus optional extra weights), site coordinates and school attributes
    (with one indicator column per lock name after the objective's columns)."""
    schools = district.schools
    n = len(schools)
    sender, receiver, students = district.flow_positions
    weight = students + extra_weights(district, flow_weights)
    flows = sparse.coo_matrix(
        (np.concatenate([weight, weight]), (np.r_[sender, receiver], np.r_[receiver, sender])), shape=(n, n)
    ).tocsr()
    flows.sum_duplicates()
    lat = schools["lat"].to_numpy(dtype=float)
    lon = schools["lon"].to_numpy(dtype=float)
    x, y = district.positions_km.T  # centred, so squared sums do not cancel badly
    spread = float((x**2 + y**2).sum())
    edges = district.adjacency
    current = schools["portfolio"].to_numpy(dtype=object)
    codes = pd.factorize(current)[0]
    codes[current == ""] = -1
    total = float(weight.sum())
    return Inputs(
        n=n,
        edges=edges,
        flows=flows,
        attributes=np.hstack([school_attributes(district, x, y), locks_of(lock_columns, n)]),
        current=codes,
        regions=schools["region"].to_numpy(dtype=object),
        lat=lat,
        lon=lon,
        total_flow=total if total > 0 else 1.0,
        spread=spread if spread > 0 else 1.0,
    )


def extra_weights(district: District, flow_weights: pd.Series | None) -> np.ndarray:
    """The caller's per-flow extra weights, checked against district.internal_flows()."""
    count = len(district.internal_flows())
    if flow_weights is None:
        return np.zeros(count)
    values = np.asarray(flow_weights, dtype=float)
    if values.shape != (count,):
        raise OptionError(
            f"flow_weights has {values.size} values but the district has {count} internal flows; "
            "align it with district.internal_flows()"
        )
    if not np.isfinite(values).all():
        raise OptionError("flow_weights must be finite numbers")
    students = district.internal_flows()["students"].to_numpy(dtype=float)
    if (students + values < 0).any():
        raise OptionError("flow_weights may not make a flow's total weight negative")
    return values


def locks_of(lock_columns: np.ndarray | None, n: int) -> np.ndarray:
    return np.zeros((n, 0)) if lock_columns is None else np.asarray(lock_columns, dtype=float)


def school_attributes(district: District, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """One row per school: the column sums the objective needs (see objective.py)."""
    schools = district.schools
    table = np.zeros((len(schools), N_COLUMNS))
    enrollment = schools["enrollment"].fillna(0).to_numpy(dtype=float)
    need = schools["need_index"].to_numpy(dtype=float)
    has_need = ~np.isnan(need)
    weight = np.where(has_need, np.maximum(enrollment, 1e-6), 0.0)
    table[:, COUNT] = 1.0
    table[:, ENROLLMENT] = enrollment
    table[:, NEED_WEIGHT] = weight
    table[:, NEED_SUM] = np.where(has_need, weight * np.nan_to_num(need), 0.0)
    table[:, X], table[:, Y], table[:, R2] = x, y, x**2 + y**2
    table[:, HIGH] = (schools["level"] == "high").to_numpy(dtype=float)
    lo = schools["grade_lo"].to_numpy(dtype=float, na_value=np.nan)
    hi = schools["grade_hi"].to_numpy(dtype=float, na_value=np.nan)
    for column, grade in zip((G3, G7, G10), metrics.K12_GRADES, strict=True):
        table[:, column] = (lo <= grade) & (hi >= grade)
    return table


def school_groups(
    district: District, inputs: Inputs, *, within_region: bool, contiguous: bool
) -> list[tuple[str, np.ndarray]]:
    """(region name, district positions) of each block, in a deterministic order."""
    everyone = np.arange(inputs.n)
    if not within_region:
        return [("", everyone)]
    if not district.has_regions:
        raise OptionError(
            "--within-region needs a 'region' column in schools.csv; add one or drop --within-region"
        )
    missing = inputs.regions == ""
    if missing.any():
        school = district.schools["school_id"].iloc[int(np.argmax(missing))]
        raise InputError(
            f"schools.csv: school '{school}' has no region; give every school a region or {ACROSS_REGIONS}"
        )
    groups = []
    for region in sorted(set(inputs.regions)):
        members = everyone[inputs.regions == region]
        if not contiguous:
            groups.append((region, members))
            continue
        inside = induced_graph(inputs.edges, members, inputs.n)
        count, component = connected_components(inside, directed=False)
        for c in range(count):
            groups.append((region, members[component == c]))
    return groups


def induced_graph(edges: np.ndarray, members: np.ndarray, n: int) -> sparse.csr_matrix:
    """The subgraph of `edges` (district positions) induced by `members`, renumbered."""
    local = np.full(n, -1)
    local[members] = np.arange(len(members))
    a, b = local[edges[:, 0]], local[edges[:, 1]]
    keep = (a >= 0) & (b >= 0)
    m = len(members)
    ones = np.ones(int(keep.sum()))
    return sparse.coo_matrix((ones, (a[keep], b[keep])), shape=(m, m)).tocsr()


def make_block(
    name: str, members: np.ndarray, inputs: Inputs, affinity: sparse.csr_matrix, spec: DesignSpec
) -> Block:
    """Slice the district arrays to one block and build its search graph and limits."""
    contiguous = spec.contiguous
    m = len(members)
    upper = sparse.triu(inputs.flows[members][:, members], k=1).tocoo()
    flows = Edges(m, upper.row.astype(int), upper.col.astype(int), upper.data.astype(float))
    if contiguous:
        pairs = sparse.triu(induced_graph(inputs.edges, members, inputs.n), k=1).tocoo()
        a, b = pairs.row.astype(int), pairs.col.astype(int)
    else:
        own = np.array(sorted(delaunay_edges(inputs.lat[members], inputs.lon[members])), dtype=int).reshape(
            -1, 2
        )
        both = np.unique(np.vstack([own, np.column_stack([flows.a, flows.b])]), axis=0)
        a, b = both[:, 0], both[:, 1]
    graph = Edges(m, a, b, tree_costs(a, b, members, inputs, affinity))
    links = edge_lists(graph)
    attributes = inputs.attributes[members]
    return Block(
        name=name,
        schools=members,
        graph=graph,
        flows=flows,
        links=links,
        flow_lists=edge_lists(flows),
        neighbours=[[v for v, _ in row] for row in links],
        strength=np.bincount(flows.a, flows.weight, m) + np.bincount(flows.b, flows.weight, m),
        attributes=attributes,
        current=inputs.current[members],
        scale=block_scale(attributes, inputs),
        contiguous=contiguous,
        limits=Limits.of(spec, attributes[:, N_COLUMNS:].sum(axis=0)),
    )


def affinity_matrix(flows: sparse.csr_matrix) -> sparse.csr_matrix:
    """Direct flows plus shared-receiver/sender ties (F + F D^-1 F): two elementary schools
    feeding one middle school belong together even when they are not flow-linked."""
    strength = np.asarray(flows.sum(axis=1)).ravel()
    inverse = sparse.diags(np.where(strength > 0, 1.0 / np.where(strength > 0, strength, 1.0), 0.0))
    return (flows + flows @ inverse @ flows).tocsr()


def tree_costs(
    a: np.ndarray, b: np.ndarray, members: np.ndarray, inputs: Inputs, affinity: sparse.csr_matrix
) -> np.ndarray:
    """Base cost of keeping each edge in a spanning tree: short, strongly tied edges are
    cheap, so trees keep them and cuts avoid them."""
    ga, gb = members[a], members[b]
    x, y = inputs.attributes[:, X], inputs.attributes[:, Y]
    length = np.hypot(x[ga] - x[gb], y[ga] - y[gb])
    tie = np.asarray(affinity[ga, gb]).ravel() if len(a) else np.zeros(0)
    mean_length = length.mean() if len(length) and length.mean() > 0 else 1.0
    positive = tie[tie > 0]
    mean_tie = positive.mean() if len(positive) else 1.0
    return (1.0 + length / mean_length) / (1.0 + tie / mean_tie)


def block_scale(attributes: np.ndarray, inputs: Inputs) -> Scale:
    """Normalisers of the objective for one block."""
    weight = attributes[:, NEED_WEIGHT]
    has_need = weight > 0
    need = np.where(has_need, attributes[:, NEED_SUM] / np.where(has_need, weight, 1.0), 0.0)
    mean = float(np.average(need[has_need], weights=weight[has_need])) if has_need.any() else 0.0
    variance = float(need[has_need].var()) if has_need.sum() > 1 else 0.0
    return Scale(
        total_flow=inputs.total_flow,
        spread=inputs.spread,
        n_schools=inputs.n,
        enrollment=float(attributes[:, ENROLLMENT].sum()),
        need_mean=mean,
        need_variance=variance,
    )
