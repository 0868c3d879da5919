"""Single-school moves: the fine-grained neighbourhood (Fiduccia-Mattheyses style).

A school moves to an adjacent part when that raises the objective, both parts stay
within the limits (limits.py: sizes, caps, locks) and the part it leaves stays connected. A work queue re-examines the neighbours
of every school that moved, so a pass ends when no school can improve.
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Iterable

import numpy as np

from feeder.design.state import Budget, State

EPS = 1e-10
CHECK_EVERY = 512


def improve_moves(state: State, schools: Iterable[int], budget: Budget) -> bool:
    """Apply improving moves, starting from `schools`, until none is left."""
    neighbours, flow_lists = state.block.neighbours, state.block.flow_lists
    queue = deque(schools)
    queued = [False] * state.block.size
    for school in queue:
        queued[school] = True
    improved = False
    popped = 0
    while queue:
        popped += 1
        if popped % CHECK_EVERY == 0 and budget.spent():
            break
        school = queue.popleft()
        queued[school] = False
        if not try_move(state, school):
            continue
        improved = True
        for other in neighbours[school] + [u for u, _ in flow_lists[school]]:
            if not queued[other]:
                queued[other] = True
                queue.append(other)
    return improved


def try_move(state: State, school: int) -> bool:
    """Move `school` to the adjacent part that gains most, if one gains and it is allowed."""
    part, members = state.part, state.members
    source = part[school]
    if len(members[source]) <= state.min_size or (state.focus is not None and source not in state.focus):
        return False
    targets = sorted({part[u] for u in state.block.neighbours[school]} - {source})
    targets = [
        t for t in targets if len(members[t]) < state.max_size and (state.focus is None or t in state.focus)
    ]
    if not targets:
        return False
    link: dict[int, float] = defaultdict(float)
    for other, weight in state.block.flow_lists[school]:
        link[part[other]] += weight
    row = state.block.attributes[school]
    code, home = state.block.current[school], state.home
    rows = np.vstack([state.stats[source] - row, state.stats[targets] + row])
    internal = np.array(
        [state.internal[source] - link[source]] + [state.internal[t] + link[t] for t in targets]
    )
    homes = np.array(
        [state.home_count[source] - (code == home[source])]
        + [state.home_count[t] + (code == home[t]) for t in targets]
    )
    new = state.score_rows(rows, internal, homes)
    gains = new[1:] - state.scores[targets] + new[0] - state.scores[source]
    if not state.limits.only_sizes:
        allowed = state.limits.fits(rows)
        gains = np.where(allowed[1:] & allowed[0], gains, -np.inf)
    gains[~np.isfinite(gains)] = -np.inf  # a NaN gain is no improvement: the search must always end
    best = int(np.argmax(gains))
    if gains[best] <= EPS or not stays_connected(state, source, school):
        return False
    target = targets[best]
    part[school] = target
    members[source].remove(school)
    members[target].add(school)
    state.stats[source], state.stats[target] = rows[0], rows[best + 1]
    state.internal[source], state.internal[target] = internal[0], internal[best + 1]
    state.strength[source] -= state.block.strength[school]
    state.strength[target] += state.block.strength[school]
    state.home_count[source], state.home_count[target] = homes[0], homes[best + 1]
    state.scores[source], state.scores[target] = new[0], new[best + 1]
    state.version[source] += 1
    state.version[target] += 1
    return True


def stays_connected(state: State, source: int, school: int) -> bool:
    """Whether part `source` minus `school` is still connected in the search graph.

    The part was connected, so it stays so exactly when the school's neighbours in the
    part can still reach each other; the walk stops as soon as they all have.
    """
    part, neighbours = state.part, state.block.neighbours
    inside = [u for u in neighbours[school] if part[u] == source]
    if not inside:
        return False
    waiting = set(inside[1:])
    seen = {school, inside[0]}
    stack = [inside[0]]
    while stack and waiting:
        node = stack.pop()
        for u in neighbours[node]:
            if u not in seen and part[u] == source:
                seen.add(u)
                waiting.discard(u)
                stack.append(u)
    return not waiting
