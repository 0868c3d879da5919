"""Stage 2, packing: the relaxation's pieces, with the schools that have no flows as free
filler, packed into portfolios of `min_size`..`max_size` schools.

A packed plan loses exactly the pieces' cut: when that equals the floor the plan is optimal,
certified by a small bin packing instead of a large MIP. When they do not pack, pieces shed
their least-tied schools into the filler until they do, which gives a plan (not an optimal one)
to go on from; `chunked` is a plan that always exists.
"""

from __future__ import annotations

import itertools

import numpy as np

from feeder.exact.model import Model, solve
from feeder.exact.pieces import piece_cap
from feeder.exact.problem import FlowProblem, components

PACKING_SECONDS = 1.0
"""Packing (every shedding round together) may run this long past the time limit, so that a
district whose relaxation used all the time still gets a packed plan; `chunked` is the fallback.
Measured: with one second per round instead, 17 rounds on 5,000 schools overran 20 s by 17 s."""


def pack(
    problem: FlowProblem, piece: np.ndarray, min_size: int, max_size: int, k: int | None, deadline: float
) -> np.ndarray | None:
    """Pack the pieces and the other schools (-1: no flows, or shed) into portfolios; None if they
    do not fit, or no packing is found by the deadline."""
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
    solved = solve(model, deadline, None)
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
