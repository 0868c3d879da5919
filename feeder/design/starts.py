"""METIS-guided starts: learn from the partitioner that beats plain tree bisection.

METIS (pymetis) cuts the flow + Delaunay graph of a block into balanced parts with few
students crossing. Its parts need not be contiguous, in range, within the caps or keep
the locks, so it does not give the start directly: it *guides* the tree bisection.
Edges between two METIS parts become GUIDE times dearer in the spanning trees, so trees
cross METIS boundaries on few edges and the bisection's cheapest allowed cuts fall on
them; the bisection still enforces every limit, so the start is repaired by construction.
"""

from __future__ import annotations

import importlib.util
from dataclasses import replace

import numpy as np
from scipy import sparse

from feeder.design.problem import Block, edge_lists
from feeder.design.trees import Edges

GUIDE = 10.0  # above the spread of tree-cost jitter (trees.JITTER: 0.25-1.75, a factor 7)
DELAUNAY_WEIGHT = 1.0  # students-equivalent of a Delaunay edge: keeps METIS parts mostly contiguous
FLOW_SCALE = 10  # METIS wants integer weights: tenths of students
SLACK = (0.05, 0.3)  # METIS imbalance tolerance (ufactor) range drawn per start: tight to loose


def available() -> bool:
    return importlib.util.find_spec("pymetis") is not None


def guided(block: Block, parts: int, rng: np.random.Generator) -> Block:
    """The block with its search-graph costs raised on edges METIS puts between parts."""
    import pymetis

    m = block.size
    pairs = np.concatenate([block.graph.a, block.flows.a]), np.concatenate([block.graph.b, block.flows.b])
    weight = np.concatenate([np.full(len(block.graph.a), DELAUNAY_WEIGHT), block.flows.weight])
    upper = sparse.coo_matrix((weight, pairs), shape=(m, m)).tocsr()
    graph = (upper + upper.T).tocsr()
    graph.sum_duplicates()
    graph.sort_indices()
    slack = rng.uniform(*SLACK)
    options = pymetis.Options(seed=int(rng.integers(2**31 - 1)), ufactor=max(1, int(1000 * slack)))
    result = pymetis.part_graph(
        parts,
        pymetis.CSRAdjacency(graph.indptr, graph.indices),
        eweights=np.maximum(1, np.rint(graph.data * FLOW_SCALE)).astype(int),
        options=options,
    )
    part = np.asarray(result.vertex_part)
    costs = np.where(part[block.graph.a] != part[block.graph.b], GUIDE, 1.0) * block.graph.weight
    search = Edges(m, block.graph.a, block.graph.b, costs)
    return replace(block, graph=search, links=edge_lists(search))
