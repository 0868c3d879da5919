"""Connectedness on the map (the Delaunay graph of METRICS.md `contiguous`) and the separator
cuts that impose it: a portfolio represented by school i that holds school j holds one school of
every set that separates j from i on the map (Validi, Buchanan & Lykhovyd 2022)."""

from __future__ import annotations

import networkx as nx
import numpy as np

from feeder.district import District
from feeder.exact.problem import FlowProblem


def map_neighbours(district: District, problem: FlowProblem) -> list[set[int]]:
    """Delaunay neighbours of each school inside its block (a portfolio never leaves its block)."""
    neighbours: list[set[int]] = [set() for _ in range(len(problem.block))]
    for a, b in district.adjacency.tolist():
        if problem.block[a] == problem.block[b]:
            neighbours[a].add(b)
            neighbours[b].add(a)
    return neighbours


def connected(portfolio: np.ndarray, neighbours: list[set[int]]) -> bool:
    """Whether every portfolio induces a connected subgraph of the map."""
    return not disconnected_parts(portfolio, neighbours)


def disconnected_parts(portfolio: np.ndarray, neighbours: list[set[int]]) -> list[list[list[int]]]:
    """For each disconnected portfolio, its connected pieces on the map, largest first."""
    found = []
    for group in np.unique(portfolio):
        pieces = map_pieces(np.flatnonzero(portfolio == group), neighbours)
        if len(pieces) > 1:
            found.append(pieces)
    return found


def map_pieces(members: np.ndarray, neighbours: list[set[int]]) -> list[list[int]]:
    """Connected pieces of a set of schools on the map, largest first."""
    inside = set(members.tolist())
    graph = nx.Graph()
    graph.add_nodes_from(inside)
    graph.add_edges_from((a, b) for a in inside for b in neighbours[a] & inside)
    return sorted((sorted(piece) for piece in nx.connected_components(graph)), key=lambda p: (-len(p), p[0]))


def representative_separators(
    representative: np.ndarray, neighbours: list[set[int]]
) -> tuple[tuple[int, int, tuple[int, ...]], ...]:
    """Rows (i, j, C) for every school j cut off from its portfolio's representative i: C, the
    schools ranked >= i next to j's piece that i reaches without them, separates j from i among
    the schools ranked >= i (all a portfolio represented by i may hold)."""
    found: list[tuple[int, int, tuple[int, ...]]] = []
    for i in np.unique(representative).tolist():
        for piece in map_pieces(np.flatnonzero(representative == i), neighbours):
            if i in piece:
                continue
            border = {c for a in piece for c in neighbours[a] if c >= i} - set(piece)
            reach, frontier = {i}, {i}
            while frontier:
                frontier = {c for a in frontier for c in neighbours[a] if c >= i} - reach - border
                reach |= frontier
            minimal = tuple(sorted(c for c in border if neighbours[c] & reach))
            found.extend((i, a, minimal) for a in piece)
    return tuple(found)
