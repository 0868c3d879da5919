"""Portfolio colours: one colour per portfolio while the palette lasts, neighbours always different.

A legend swatch can only name a portfolio when no other portfolio wears its colour, so
with up to len(PALETTE) portfolios each gets its own. Beyond that colours repeat, but
never between touching portfolios (two portfolios touch when any of their schools are
Delaunay neighbours, which is when their Voronoi areas share an edge), and each colour
is used about equally often.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import networkx as nx
import numpy as np

if TYPE_CHECKING:
    from feeder.plan import Plan

# Paul Tol's "muted" scheme, then the most distinct colours of his "light" scheme: readable
# under the common colour-vision deficiencies.
PALETTE = (
    "#CC6677",
    "#332288",
    "#DDCC77",
    "#117733",
    "#88CCEE",
    "#882255",
    "#44AA99",
    "#999933",
    "#AA4499",
    "#EE8866",
    "#77AADD",
    "#BBCC33",
    "#FFAABB",
)


def portfolio_graph(labels: np.ndarray, edges: set[tuple[int, int]]) -> nx.Graph:
    """Portfolios as nodes (sorted by name), joined when any of their schools are neighbours."""
    graph = nx.Graph()
    graph.add_nodes_from(sorted({str(label) for label in labels}))
    graph.add_edges_from(sorted((str(labels[a]), str(labels[b])) for a, b in edges if labels[a] != labels[b]))
    return graph


def portfolio_colours(labels: np.ndarray, edges: set[tuple[int, int]]) -> dict[str, str]:
    """Portfolio → colour: all different when the palette suffices, else a balanced proper colouring.

    Portfolios are coloured most-connected first; each takes the least-used colour that no
    coloured neighbour has (planar adjacency leaves one free unless a portfolio touches
    more portfolios than there are colours, when it takes the least-used of all).
    """
    graph = portfolio_graph(labels, edges)
    order = sorted(graph.nodes, key=lambda name: (-graph.degree(name), name))
    used = dict.fromkeys(PALETTE, 0)
    colours: dict[str, str] = {}
    for name in order:
        taken = {colours[n] for n in graph.neighbors(name) if n in colours}
        free = [c for c in PALETTE if c not in taken] or list(PALETTE)
        colours[name] = min(free, key=lambda c: used[c])  # min keeps the first on ties: palette order
        used[colours[name]] += 1
    return dict(sorted(colours.items()))


def plan_colours(plan: Plan) -> dict[str, str]:
    """A plan's portfolio colours as every output draws them (maps, the report's maps and feeder
    diagrams): the same portfolio wore three colours across one report and its map."""
    labels = np.asarray(plan.labels).astype(str)
    return portfolio_colours(labels, {(int(a), int(b)) for a, b in plan.district.adjacency.tolist()})
