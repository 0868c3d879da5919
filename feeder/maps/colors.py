"""Portfolio colours: neighbours never share a colour, and every colour reads for colour-blind viewers.

Portfolios are coloured by a graph colouring of their adjacency (two portfolios touch
when any of their schools are Delaunay neighbours, which is when their Voronoi areas
share an edge), so a handful of colours is enough even for 50 portfolios.
"""

from __future__ import annotations

import networkx as nx
import numpy as np

# Paul Tol's "muted" scheme: distinct under the common colour-vision deficiencies.
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
)
STRATEGIES = ("largest_first", "DSATUR", "smallest_last")


def portfolio_graph(labels: np.ndarray, edges: set[tuple[int, int]]) -> nx.Graph:
    """Portfolios as nodes (sorted by name), joined when any of their schools are neighbours."""
    graph = nx.Graph()
    graph.add_nodes_from(sorted({str(label) for label in labels}))
    graph.add_edges_from(sorted((str(labels[a]), str(labels[b])) for a, b in edges if labels[a] != labels[b]))
    return graph


def portfolio_colours(labels: np.ndarray, edges: set[tuple[int, int]]) -> dict[str, str]:
    """Portfolio → colour, adjacent portfolios different whenever the palette allows.

    Tries a few deterministic greedy strategies and keeps the first that fits the
    palette (planar adjacency almost always needs five or fewer); otherwise colours cycle.
    """
    graph = portfolio_graph(labels, edges)
    colouring: dict[str, int] = {}
    for strategy in STRATEGIES:
        colouring = nx.greedy_color(graph, strategy=strategy)
        if max(colouring.values(), default=0) < len(PALETTE):
            break
    return {name: PALETTE[colouring[name] % len(PALETTE)] for name in graph.nodes}
