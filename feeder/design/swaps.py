"""Swaps: two schools trade portfolios across the border two portfolios share.

When neighbouring portfolios are at their size limits — common where the fewest portfolios
keep the most students, e.g. 92 schools in four portfolios of 21-24 — no single school can
move between them, and a pair re-cut along random spanning trees rarely hits the one exact
split that would help. A swap keeps both sizes: school a of p goes to q and school b of q to
p, taken when it raises the objective, both portfolios stay connected and within the limits.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np

from feeder.design.state import Budget, State

EPS = 1e-10
CANDIDATES = 8  # best-gaining swaps of a pair checked for connectivity before giving up on it


def improve_swaps(state: State, budget: Budget) -> bool:
    """Apply improving swaps over every pair of adjacent portfolios (of the focus, when set)
    until none is left; pairs unchanged since their last look are skipped."""
    improved = False
    for p, q in focus_pairs(state):
        if budget.spent():
            break
        if state.swaps_tried.get((p, q)) == (state.version[p], state.version[q]):
            continue
        while try_swap(state, p, q):
            improved = True
        state.swaps_tried[(p, q)] = (state.version[p], state.version[q])
    return improved


def focus_pairs(state: State) -> list[tuple[int, int]]:
    """Adjacent pairs of parts, both in the focus when one is set (found from the focus alone)."""
    if state.focus is None:
        return state.adjacent_pairs()
    return sorted(
        {(min(p, q), max(p, q)) for p in state.focus for q in state.neighbour_parts(p) & state.focus}
    )


@dataclass(frozen=True)
class Candidates:
    """Every swap of a border school a of p with a border school b of q (row-major over a, b):
    the two parts' totals and scores after it, and its gain."""

    a: np.ndarray
    b: np.ndarray
    rows_p: np.ndarray
    rows_q: np.ndarray
    internal_p: np.ndarray
    internal_q: np.ndarray
    home_p: np.ndarray
    home_q: np.ndarray
    new_p: np.ndarray
    new_q: np.ndarray
    gains: np.ndarray


def swap_candidates(state: State, p: int, q: int) -> Candidates | None:
    """Price every swap across the border of parts p and q (None when either side has no border)."""
    border_p, border_q = border(state, p, q), border(state, q, p)
    if not border_p or not border_q:
        return None
    a, b = np.array(border_p), np.array(border_q)
    link_a, w_ab = links(state, border_p, (p, q), border_q)
    link_b, _ = links(state, border_q, (p, q), [])
    attributes = state.block.attributes
    moved = attributes[b][None, :, :] - attributes[a][:, None, :]
    rows_p = (state.stats[p] + moved).reshape(-1, attributes.shape[1])
    rows_q = (state.stats[q] - moved).reshape(-1, attributes.shape[1])
    internal_p = (state.internal[p] - link_a[:, 0][:, None] + link_b[:, 0][None, :] - w_ab).ravel()
    internal_q = (state.internal[q] - link_b[:, 1][None, :] + link_a[:, 1][:, None] - w_ab).ravel()
    current, home = state.block.current, state.home
    home_p = state.home_count[p] - (current[a] == home[p])[:, None] + (current[b] == home[p])[None, :]
    home_q = state.home_count[q] - (current[b] == home[q])[None, :] + (current[a] == home[q])[:, None]
    new_p = state.score_rows(rows_p, internal_p, home_p.ravel())
    new_q = state.score_rows(rows_q, internal_q, home_q.ravel())
    gains = new_p + new_q - state.scores[p] - state.scores[q]
    if not state.limits.only_sizes:
        gains = np.where(state.limits.fits(rows_p) & state.limits.fits(rows_q), gains, -np.inf)
    gains[~np.isfinite(gains)] = -np.inf
    return Candidates(
        np.repeat(a, len(b)), np.tile(b, len(a)), rows_p, rows_q, internal_p, internal_q,
        home_p.ravel(), home_q.ravel(), new_p, new_q, gains,
    )  # fmt: skip


def try_swap(state: State, p: int, q: int) -> bool:
    """Make the best allowed swap between parts p and q that gains; True when one was made."""
    found = swap_candidates(state, p, q)
    if found is None:
        return False
    for i in np.argsort(-found.gains, kind="stable")[:CANDIDATES].tolist():
        if found.gains[i] <= EPS:
            return False
        a, b = int(found.a[i]), int(found.b[i])
        if connected_after(state, p, a, b) and connected_after(state, q, b, a):
            apply_swap(state, (p, q), (a, b), found.rows_p[i], found.rows_q[i])
            state.internal[p], state.internal[q] = found.internal_p[i], found.internal_q[i]
            state.home_count[p], state.home_count[q] = found.home_p[i], found.home_q[i]
            state.scores[p], state.scores[q] = found.new_p[i], found.new_q[i]
            return True
    return False


def border(state: State, p: int, q: int) -> list[int]:
    """Schools of p with a neighbour in q, in a fixed order."""
    part, neighbours = state.part, state.block.neighbours
    return sorted(s for s in state.members[p] if any(part[u] == q for u in neighbours[s]))


def links(
    state: State, schools: list[int], parts: tuple[int, int], others: list[int]
) -> tuple[np.ndarray, np.ndarray]:
    """Each school's flow to members of each of `parts` (schools x 2), and its flow to each of
    `others` (schools x others)."""
    part = state.part
    column = {other: j for j, other in enumerate(others)}
    to_parts = np.zeros((len(schools), 2))
    to_others = np.zeros((len(schools), len(others)))
    for i, school in enumerate(schools):
        for other, weight in state.block.flow_lists[school]:
            if part[other] == parts[0]:
                to_parts[i, 0] += weight
            elif part[other] == parts[1]:
                to_parts[i, 1] += weight
            if other in column:
                to_others[i, column[other]] += weight
    return to_parts, to_others


def connected_after(state: State, p: int, leaving: int, arriving: int) -> bool:
    """Whether part p without `leaving` and with `arriving` is connected on the map."""
    members = (state.members[p] - {leaving}) | {arriving}
    neighbours = state.block.neighbours
    seen = {arriving}
    queue = deque([arriving])
    while queue:
        for u in neighbours[queue.popleft()]:
            if u in members and u not in seen:
                seen.add(u)
                queue.append(u)
    return len(seen) == len(members)


def apply_swap(
    state: State, parts: tuple[int, int], schools: tuple[int, int], row_p: np.ndarray, row_q: np.ndarray
) -> None:
    """Record the swap of schools (a of p, b of q) in the state's members and running totals."""
    (p, q), (a, b) = parts, schools
    state.part[a], state.part[b] = q, p
    state.members[p].remove(a)
    state.members[p].add(b)
    state.members[q].remove(b)
    state.members[q].add(a)
    state.stats[p], state.stats[q] = row_p, row_q
    moved = state.block.strength[b] - state.block.strength[a]
    state.strength[p] += moved
    state.strength[q] -= moved
    state.version[p] += 1
    state.version[q] += 1
