"""The cohesion upper bound: the best cohesion any plan with every portfolio in range can reach.

Contiguity is ignored, so only the flow graph matters, and the proof has three stages.

1. Relaxation. A plan cuts each connected component of the flow graph into pieces of at most
   `max_size` schools, and the students it loses are exactly the flows it cuts inside
   components (plus, with `within_region`, every flow across regions). So the least cut of
   each component into pieces of at most `max_size`, summed, is a floor under every plan's
   loss. A component that fits in one portfolio costs nothing: it is kept whole. A larger one
   is cut by a MIP started from a greedy cut (or the warm start's, when better). A component
   too large for one MIP is split along its best pieces into clusters of a few pieces; the
   least cut inside each cluster, summed, is still a floor (the flows between clusters are
   simply not counted). Rounds with ever larger clusters raise that floor, and improve the
   pieces, until the cut is proven or the time is up.
2. Packing. When the pieces, with the schools that have no flows as free filler, pack into
   portfolios of `min_size`..`max_size` schools, the packed plan loses exactly the pieces'
   cut: when that equals the floor the plan is optimal, certified by a small bin packing
   instead of a large MIP. When they do not pack, pieces shed their least-tied schools
   into the filler until they do, which gives a plan (not an optimal one) to go on from.
3. Otherwise (the pieces do not pack, or a cut is left unproven) the full MIP over all
   schools decides, when it is small enough to help, with the floor of stage 1 and starting
   from the best plan known (the packed one or the caller's `warm_start`).

Every MIP is the same model (`Model`): items of given sizes go to portfolio slots of their
block; z[e] >= |x[i,p] - x[j,p]| marks a cut edge; the loss sum(w[e] z[e]) is minimised.
Symmetry is broken by ordering slots by their first item: the item of rank r in its block
may only use the first r + 1 slots, and used slots come first.
"""

from __future__ import annotations

import itertools
import math
import time
from dataclasses import dataclass, field

import highspy
import networkx as nx
import numpy as np
from scipy import sparse

from feeder import metrics
from feeder.district import District
from feeder.errors import FeederError, OptionError
from feeder.spec import DEFAULT_MAX_SIZE, DEFAULT_MIN_SIZE, DesignSpec

SEED = 0
DEFAULT_TIME_LIMIT = 60.0
DUAL_SLACK = 1e-6  # relative slack taken off HiGHS's dual bound so the reported bound stays valid
RELAX_SHARE = 0.8  # share of the time the stage-1 MIPs may use when the full MIP may follow
PACKING_RESERVE = 0.05  # share of the time kept for packing when it may not
PACKING_SECONDS = 1.0  # packing may run this long past the time limit: a plan is always returned
CLUSTER_PIECES = 3  # the first stage-1 MIPs cut at most this many portfolios' worth of schools
FULL_LIMIT = 150  # schools with flows beyond which the full MIP is not attempted (its LP alone is too slow)


@dataclass(frozen=True)
class ExactResult:
    """A proven cohesion upper bound and the best plan found on the way.

    bound: no plan with every portfolio in range (and in one region, when asked) has a higher
        cohesion; None when the district has no flows. labels: the best plan found, aligned with
        district.schools; cohesion: its cohesion; gap: bound minus cohesion. status: "optimal"
        (gap closed), "time limit" (stopped by the time limit), "not proven" (finished early: the
        relaxation's pieces do not pack into portfolios and the district is too large for the
        full MIP) or "no flows"; seconds: wall time.
    """

    bound: float | None
    labels: np.ndarray
    cohesion: float | None
    status: str
    gap: float | None
    seconds: float


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


@dataclass(frozen=True)
class Model:
    """One MIP of the family: items of given sizes into slots of their block, cutting little.

    Items are sorted by block and ranked by their order within it (that order breaks symmetry,
    so put hubs and large items first). filler: schools per block that carry no edge and may
    go to any slot.
    """

    sizes: np.ndarray
    block: np.ndarray
    slots: np.ndarray
    filler: np.ndarray
    edges: np.ndarray
    weights: np.ndarray
    min_size: int
    max_size: int
    k: int | None = None


@dataclass(frozen=True)
class Start:
    """A known plan to start a Model from: group of each item, filler schools and block of each group."""

    groups: np.ndarray
    filler: np.ndarray
    block: np.ndarray


@dataclass(frozen=True)
class Solved:
    """A MIP's outcome: slot of each item and filler per slot (None if no solution), its cut and a proven floor."""

    status: str
    slot: np.ndarray | None
    filler: np.ndarray | None
    cut: float
    floor: float


def solve_exact(
    district: District,
    *,
    min_size: int = DEFAULT_MIN_SIZE,
    max_size: int = DEFAULT_MAX_SIZE,
    within_region: bool = False,
    time_limit: float | None = DEFAULT_TIME_LIMIT,
    warm_start: np.ndarray | None = None,
    k: int | None = None,
) -> ExactResult:
    """Prove the best cohesion of any plan with portfolios of min_size..max_size schools.

    time_limit: seconds (None: DEFAULT_TIME_LIMIT). warm_start: a plan (portfolio names aligned with
    district.schools), e.g. the heuristic's; used when it satisfies the options. Raises
    FeederError when no plan can satisfy them. The bound is valid even when the time limit
    stops the proof early.
    """
    started = time.monotonic()
    check_options(district, min_size, max_size, within_region, time_limit, k)
    problem = flow_problem(district, within_region, min_size, max_size, k)
    deadline = started + (DEFAULT_TIME_LIMIT if time_limit is None else time_limit)
    warm = portfolio_numbers(problem, warm_start, min_size, max_size, k)
    small = len(np.unique(problem.edges)) <= FULL_LIMIT
    relax_until = started + (deadline - started) * (RELAX_SHARE if small else 1 - PACKING_RESERVE)
    pieces, floor, closed = relax(problem, max_size, warm, relax_until)
    packed = pack(problem, pieces, min_size, max_size, k, deadline)
    shed = pieces
    while packed is None and (shed >= 0).any():
        shed = shed_weakest(problem, shed)
        packed = pack(problem, shed, min_size, max_size, k, deadline)
    plans = [plan for plan in (warm, packed) if plan is not None] + [chunked(problem, k)]
    best = min(plans, key=lambda plan: loss(problem, plan))
    full = small and loss(problem, best) - floor > tolerance(problem)
    if full:
        best, floor = solve_full(problem, min_size, max_size, k, floor, best, deadline)
    open_status = "not proven" if closed and not full else "time limit"
    return result(district, problem, best, floor, open_status, time.monotonic() - started)


def check_options(
    district: District,
    min_size: int,
    max_size: int,
    within_region: bool,
    time_limit: float | None,
    k: int | None,
) -> None:
    """Refuse options no solve could honour, naming the option."""
    DesignSpec(min_size=min_size, max_size=max_size, k=k, within_region=within_region)
    if time_limit is not None and not time_limit > 0:
        raise OptionError(f"--time-limit {time_limit:g} must be more than 0 seconds")
    if within_region and not district.has_regions:
        raise OptionError(f"{district.name}: --within-region needs a 'region' column in schools.csv")


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


# --- stage 1: the relaxation -------------------------------------------------------------------


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

    Pieces of one cluster go to distinct portfolios, so no more pieces than its block holds
    portfolios; merging pieces that fit together never cuts more, so piece_cap pieces suffice.
    """
    edges, weights = local_edges(problem, nodes)
    slots = min(piece_cap(len(nodes), max_size), problem.counts[problem.block[nodes[0]]].stop - 1)
    start = merged(start, max_size)
    model = Model(
        sizes=np.ones(len(nodes), dtype=int),
        block=np.zeros(len(nodes), dtype=int),
        slots=np.array([slots]),
        filler=np.array([0]),
        edges=edges,
        weights=weights,
        min_size=0,
        max_size=max_size,
    )
    fits = start.max() < slots
    solved = solve(model, deadline, Start(start, np.zeros(slots), np.zeros(slots)) if fits else None)
    if solved.slot is None or cut_weight(edges, weights, start) < solved.cut:
        return start, solved.floor
    return solved.slot, solved.floor


def local_edges(problem: FlowProblem, nodes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The edges among `nodes`, renumbered by position in `nodes`."""
    position = np.full(len(problem.block), -1)
    position[nodes] = np.arange(len(nodes))
    inside = (position[problem.edges[:, 0]] >= 0) & (position[problem.edges[:, 1]] >= 0)
    return position[problem.edges[inside]], problem.weights[inside]


def portfolio_slots(problem: FlowProblem, max_size: int, k: int | None) -> np.ndarray:
    """Portfolio slots per block for the packing and full models: the most portfolios a block may
    hold, and without k no more than piece_cap (merging two portfolios that fit never loses students)."""
    sizes = np.bincount(problem.block, minlength=problem.n_blocks).tolist()
    most = [c.stop - 1 for c in problem.counts]
    if k is None:
        most = [
            max(c.start, min(m, piece_cap(n, max_size)))
            for c, m, n in zip(problem.counts, most, sizes, strict=True)
        ]
    return np.array(most)


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
    """Group items by repeatedly merging the two groups joined by the most weight per school,
    while the merged group holds at most `limit` schools. Returns the group of each item."""
    members = {i: [i] for i in range(len(sizes))}
    size = {i: int(s) for i, s in enumerate(sizes)}
    link: dict[int, dict[int, float]] = {i: {} for i in range(len(sizes))}
    for (i, j), w in zip(edges.tolist(), weights.tolist(), strict=True):
        link[i][j] = link[j][i] = link[i].get(j, 0.0) + w
    while True:
        joins = [
            (w / (size[a] + size[b]), -a, -b)
            for a in link
            for b, w in link[a].items()
            if a < b and size[a] + size[b] <= limit
        ]
        if not joins:
            break
        _, a, b = max(joins)
        a, b = -a, -b
        members[a] += members.pop(b)
        size[a] += size.pop(b)
        for c, w in link.pop(b).items():
            del link[c][b]
            if c != a:
                link[a][c] = link[c][a] = link[a].get(c, 0.0) + w
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


# --- stage 2: packing, and plans that always exist ----------------------------------------------


def pack(
    problem: FlowProblem, piece: np.ndarray, min_size: int, max_size: int, k: int | None, deadline: float
) -> np.ndarray | None:
    """Pack the pieces and the other schools (-1: no flows, or shed) into portfolios; None if they do not fit."""
    flowing = piece >= 0
    n_pieces = int(piece.max()) + 1
    sizes = np.bincount(piece[flowing], minlength=n_pieces)
    owner = np.zeros(n_pieces, dtype=int)
    owner[piece[flowing]] = problem.block[flowing]
    order = np.lexsort((-sizes, owner))
    rank = np.empty(n_pieces, dtype=int)
    rank[order] = np.arange(n_pieces)
    model = Model(
        sizes=sizes[order],
        block=owner[order],
        slots=portfolio_slots(problem, max_size, k),
        filler=np.bincount(problem.block[~flowing], minlength=problem.n_blocks),
        edges=np.zeros((0, 2), dtype=int),
        weights=np.zeros(0),
        min_size=min_size,
        max_size=max_size,
        k=k,
    )
    solved = solve(model, max(deadline, time.monotonic() + PACKING_SECONDS), None)
    if solved.slot is None or solved.filler is None:
        return None
    return school_slots(problem, flowing, solved.slot[rank[piece[flowing]]], solved.filler, model.slots)


def shed_weakest(problem: FlowProblem, piece: np.ndarray) -> np.ndarray:
    """Pieces that pack more easily: each gives up the school least tied to it, which becomes
    filler (a plan to fall back on when the optimal pieces do not pack; it loses those ties)."""
    inside = problem.edges[piece[problem.edges[:, 0]] == piece[problem.edges[:, 1]]]
    weights = problem.weights[piece[problem.edges[:, 0]] == piece[problem.edges[:, 1]]]
    tie = np.bincount(inside.ravel(), weights=np.repeat(weights, 2), minlength=len(piece))
    shed = piece.copy()
    for group in np.unique(piece[piece >= 0]):
        members = np.flatnonzero(piece == group)
        shed[members[np.argmin(tie[members])]] = -1
    kept = shed >= 0
    shed[kept] = np.unique(shed[kept], return_inverse=True)[1]
    return shed


def chunked(problem: FlowProblem, k: int | None) -> np.ndarray:
    """A plan that always exists: each block's schools, flow components first, in even chunks."""
    counts = [c.start for c in problem.counts]
    for block in itertools.cycle(range(problem.n_blocks)):
        if k is None or sum(counts) == k:
            break
        counts[block] = min(counts[block] + 1, problem.counts[block].stop - 1)
    flowing = np.concatenate([np.zeros(0, dtype=int), *components(problem)])
    order = np.concatenate([flowing, np.setdiff1d(np.arange(len(problem.block)), flowing)])
    portfolio = np.empty(len(problem.block), dtype=int)
    used = 0
    for block, count in enumerate(counts):
        members = order[problem.block[order] == block]
        portfolio[members] = used + np.arange(len(members)) * count // len(members)
        used += count
    return portfolio


# --- stage 3: the full model ----------------------------------------------------------------------


def solve_full(
    problem: FlowProblem,
    min_size: int,
    max_size: int,
    k: int | None,
    floor: float,
    best: np.ndarray,
    deadline: float,
) -> tuple[np.ndarray, float]:
    """The MIP over every school with flows, from the stage-1 floor and the best plan known."""
    order = np.concatenate([np.zeros(0, dtype=int), *components(problem)])
    order = order[np.argsort(problem.block[order], kind="stable")]
    flowing = np.zeros(len(problem.block), dtype=bool)
    flowing[order] = True
    edges, weights = local_edges(problem, order)
    model = Model(
        sizes=np.ones(len(order), dtype=int),
        block=problem.block[order],
        slots=portfolio_slots(problem, max_size, k),
        filler=np.bincount(problem.block[~flowing], minlength=problem.n_blocks),
        edges=edges,
        weights=weights,
        min_size=min_size,
        max_size=max_size,
        k=k,
    )
    groups = np.unique(best, return_inverse=True)[1]
    block = np.zeros(int(groups.max()) + 1, dtype=int)
    block[groups] = problem.block
    start = Start(groups[order], np.bincount(groups[~flowing], minlength=len(block)), block)
    solved = solve(model, deadline, start)
    floor = max(floor, solved.floor)
    if solved.slot is None or solved.filler is None:
        return best, floor
    position = np.empty(len(problem.block), dtype=int)
    position[order] = np.arange(len(order))
    found = school_slots(problem, flowing, solved.slot[position[flowing]], solved.filler, model.slots)
    return (found if loss(problem, found) < loss(problem, best) else best), floor


def school_slots(
    problem: FlowProblem, flowing: np.ndarray, slots: np.ndarray, filler: np.ndarray, block_slots: np.ndarray
) -> np.ndarray:
    """Portfolio (slot) of every school: flowing schools as solved, the others filling slots in file order."""
    portfolio = np.full(len(problem.block), -1)
    portfolio[flowing] = slots
    offsets = np.concatenate([[0], np.cumsum(block_slots)])
    for block in range(problem.n_blocks):
        free = np.flatnonzero(~flowing & (problem.block == block))
        counts = filler[offsets[block] : offsets[block + 1]]
        portfolio[free] = np.repeat(np.arange(offsets[block], offsets[block + 1]), counts)
    return portfolio


def result(
    district: District, problem: FlowProblem, best: np.ndarray, floor: float, open_status: str, seconds: float
) -> ExactResult:
    """Turn the best plan and the floor on loss into cohesion, bound, gap and status (open_status if a gap is left)."""
    labels = portfolio_names(best)
    if problem.total == 0:
        return ExactResult(None, labels, None, "no flows", None, seconds)
    cohesion = metrics.cohesion(district, labels)
    assert cohesion is not None
    if loss(problem, best) - floor <= tolerance(problem):
        return ExactResult(cohesion, labels, cohesion, "optimal", 0.0, seconds)
    bound = min(max(1.0 - (problem.lost + floor) / problem.total, cohesion), 1.0)
    return ExactResult(bound, labels, cohesion, open_status, bound - cohesion, seconds)


def portfolio_names(portfolio: np.ndarray) -> np.ndarray:
    """Name portfolios P01, P02, ... in the order their first school appears in schools.csv."""
    _, first, inverse = np.unique(portfolio, return_index=True, return_inverse=True)
    rank = np.empty(len(first), dtype=int)
    rank[np.argsort(first)] = np.arange(len(first))
    width = max(2, len(str(len(first))))
    return np.array([f"P{r + 1:0{width}d}" for r in rank[inverse]], dtype=object)


# --- the MIP ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Columns:
    """Where each variable of a Model sits: x per allowed (item, slot), then u, f per slot, z per edge."""

    item: np.ndarray
    slot: np.ndarray
    index: dict[tuple[int, int], int]
    n_slots: int
    n_edges: int

    @property
    def u(self) -> int:
        return len(self.item)

    @property
    def f(self) -> int:
        return self.u + self.n_slots

    @property
    def z(self) -> int:
        return self.f + self.n_slots

    @property
    def count(self) -> int:
        return self.z + self.n_edges


def columns(model: Model) -> Columns:
    """The allowed (item, slot) pairs: the item of rank r in its block uses only the block's first r + 1 slots."""
    offsets = np.concatenate([[0], np.cumsum(model.slots)])
    pairs = []
    for block in range(len(model.slots)):
        for rank, item in enumerate(np.flatnonzero(model.block == block).tolist()):
            pairs.extend((item, offsets[block] + p) for p in range(min(rank + 1, model.slots[block])))
    item = np.array([a for a, _ in pairs], dtype=int)
    slot = np.array([b for _, b in pairs], dtype=int)
    index = {(int(a), int(b)): n for n, (a, b) in enumerate(pairs)}
    return Columns(item, slot, index, int(offsets[-1]), len(model.edges))


class Rows:
    """Sparse constraint rows, collected for one passModel call."""

    def __init__(self) -> None:
        self.entries: list[tuple[int, int, float]] = []
        self.lower: list[float] = []
        self.upper: list[float] = []

    def add(self, terms: list[tuple[int, float]], lower: float, upper: float) -> None:
        row = len(self.lower)
        self.entries.extend((row, col, val) for col, val in terms)
        self.lower.append(lower)
        self.upper.append(upper)

    def matrix(self, n_cols: int) -> sparse.csc_matrix:
        rows, cols, vals = zip(*self.entries, strict=True) if self.entries else ((), (), ())
        return sparse.csc_matrix((vals, (rows, cols)), shape=(len(self.lower), n_cols))


def constraints(model: Model, cols: Columns) -> Rows:
    """Assignment, portfolio sizes, filler, slot order, k and cut edges."""
    rows = Rows()
    inf = highspy.kHighsInf
    by_item: dict[int, list[int]] = {}
    by_slot: dict[int, list[int]] = {}
    for n, (item, slot) in enumerate(zip(cols.item.tolist(), cols.slot.tolist(), strict=True)):
        by_item.setdefault(item, []).append(n)
        by_slot.setdefault(slot, []).append(n)
    for item in range(len(model.sizes)):
        rows.add([(n, 1.0) for n in by_item[item]], 1.0, 1.0)
    offsets = np.concatenate([[0], np.cumsum(model.slots)])
    for block, (first, last) in enumerate(itertools.pairwise(offsets.tolist())):
        for p in range(first, last):
            content = [(n, float(model.sizes[cols.item[n]])) for n in by_slot.get(p, [])]
            content.append((cols.f + p, 1.0))
            rows.add([*content, (cols.u + p, -float(model.max_size))], -inf, 0.0)
            if model.min_size > 0:
                rows.add([*content, (cols.u + p, -float(model.min_size))], 0.0, inf)
            if p + 1 < last:
                rows.add([(cols.u + p, 1.0), (cols.u + p + 1, -1.0)], 0.0, inf)
        filler = float(model.filler[block])
        rows.add([(cols.f + p, 1.0) for p in range(first, last)], filler, filler)
    if model.k is not None:
        rows.add([(cols.u + p, 1.0) for p in range(cols.n_slots)], model.k, model.k)
    for e, (i, j) in enumerate(model.edges.tolist()):
        for a, b in ((i, j), (j, i)):
            for p in range(offsets[model.block[a]], offsets[model.block[a] + 1]):
                if (a, p) in cols.index:
                    other = cols.index.get((b, p))
                    term = [(cols.z + e, 1.0), (cols.index[a, p], -1.0)]
                    rows.add(term + ([(other, 1.0)] if other is not None else []), 0.0, inf)
    return rows


def highs_model(model: Model, cols: Columns) -> highspy.HighsLp:
    """The Model as a HighsLp: binary x and u, integer filler f, continuous z in [0, 1]."""
    rows = constraints(model, cols)
    matrix = rows.matrix(cols.count)
    upper = np.ones(cols.count)
    offsets = np.concatenate([[0], np.cumsum(model.slots)])
    for block in range(len(model.slots)):
        upper[cols.f + offsets[block] : cols.f + offsets[block + 1]] = model.filler[block]
    lp = highspy.HighsLp()
    lp.num_col_ = cols.count
    lp.num_row_ = len(rows.lower)
    lp.col_cost_ = np.concatenate([np.zeros(cols.z), model.weights.astype(float)])
    lp.col_lower_ = np.zeros(cols.count)
    lp.col_upper_ = upper
    lp.row_lower_ = np.array(rows.lower, dtype=float)
    lp.row_upper_ = np.array(rows.upper, dtype=float)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = matrix.indptr
    lp.a_matrix_.index_ = matrix.indices
    lp.a_matrix_.value_ = matrix.data
    integer, continuous = highspy.HighsVarType.kInteger, highspy.HighsVarType.kContinuous
    lp.integrality_ = [integer] * cols.z + [continuous] * cols.n_edges
    return lp


def solve(model: Model, deadline: float, start: Start | None) -> Solved:
    """Run HiGHS on a Model until optimal or the deadline; deterministic (fixed seed, one thread)."""
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        return Solved("time limit", None, None, math.inf, 0.0)
    cols = columns(model)
    highs = highspy.Highs()
    options = {"output_flag": False, "random_seed": SEED, "time_limit": remaining, "mip_rel_gap": 0.0}
    for option, value in options.items():
        highs.setOptionValue(option, value)
    highs.passModel(highs_model(model, cols))
    values = None if start is None else encode(model, cols, start)
    if values is not None:
        solution = highspy.HighsSolution()
        solution.col_value = values
        solution.value_valid = True
        highs.setSolution(solution)
    highs.run()
    info = highs.getInfo()
    floor = 0.0
    if math.isfinite(info.mip_dual_bound):
        floor = max(floor, info.mip_dual_bound - DUAL_SLACK * (1.0 + abs(info.mip_dual_bound)))
    optimal = highs.getModelStatus() == highspy.HighsModelStatus.kOptimal
    status = "optimal" if optimal else "time limit"
    if info.primal_solution_status != highspy.SolutionStatus.kSolutionStatusFeasible.value:
        return Solved(status, None, None, math.inf, floor)
    slot, filler = decode(cols, np.asarray(highs.getSolution().col_value))
    return Solved(status, slot, filler, cut_weight(model.edges, model.weights, slot), floor)


def decode(cols: Columns, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Slot of each item and filler schools per slot from a solution vector."""
    chosen = values[: cols.u] > 0.5
    slot = np.empty(int(cols.item.max(initial=-1)) + 1, dtype=int)
    slot[cols.item[chosen]] = cols.slot[chosen]
    return slot, np.rint(values[cols.f : cols.z]).astype(int)


def encode(model: Model, cols: Columns, start: Start) -> np.ndarray | None:
    """A Start as a solution vector that respects the slot order; None when it does not fit the model."""
    values = np.zeros(cols.count)
    offsets = np.concatenate([[0], np.cumsum(model.slots)])
    n_items, n_groups = len(model.sizes), len(start.filler)
    first = np.full(n_groups, n_items)
    np.minimum.at(first, start.groups, np.arange(n_items))
    slot_of = np.full(n_groups, -1)
    for block in range(len(model.slots)):
        used = [
            g for g in range(n_groups) if start.block[g] == block and (first[g] < n_items or start.filler[g])
        ]
        used.sort(key=lambda g: (first[g], g))
        if len(used) > model.slots[block]:
            return None
        slot_of[used] = offsets[block] + np.arange(len(used))
    slots = slot_of[start.groups]
    for item, slot in enumerate(slots.tolist()):
        values[cols.index[item, slot]] = 1.0
    for group in np.flatnonzero(slot_of >= 0):
        values[cols.u + slot_of[group]] = 1.0
        values[cols.f + slot_of[group]] = start.filler[group]
    values[cols.z :] = slots[model.edges[:, 0]] != slots[model.edges[:, 1]]
    return values
