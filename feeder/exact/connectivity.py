"""Connectedness on the map (the Delaunay graph of METRICS.md `contiguous`) and the separator
cuts that impose it: a portfolio holding schools a and b holds one school of every set that
separates a from b on the map (Validi, Buchanan & Lykhovyd 2022)."""

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


def separators(
    pieces_per_portfolio: list[list[list[int]]], neighbours: list[set[int]]
) -> tuple[tuple[int, int, tuple[int, ...]], ...]:
    """Minimal separators between each small piece of a portfolio and its largest piece.

    The neighbours C of a piece separate it from everything outside; only the schools of C next to
    what the largest piece's school b reaches without C are needed (a minimal (a, b)-separator),
    and they separate every school a of the small piece from b.
    """
    found: list[tuple[int, int, tuple[int, ...]]] = []
    graph = nx.Graph()
    graph.add_edges_from((a, b) for a, near in enumerate(neighbours) for b in near)
    graph.add_nodes_from(range(len(neighbours)))
    for pieces in pieces_per_portfolio:
        b = pieces[0][0]
        for piece in pieces[1:]:
            border = set().union(*(neighbours[a] for a in piece)) - set(piece)
            reach = nx.node_connected_component(graph.subgraph(set(graph) - border), b)
            minimal = tuple(sorted(c for c in border if neighbours[c] & reach))
            found.extend((a, b, minimal) for a in piece)
    return tuple(found)
