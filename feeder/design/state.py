"""The plan of one block while it is searched: members and running totals per part.

Each part keeps the column sums of its schools, the flow inside it and its objective
score, so a move or a re-cut is priced from the two or three parts it touches.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
from scipy.optimize import linear_sum_assignment

from feeder.design.objective import Weights, part_scores
from feeder.design.problem import Block


@dataclass
class Budget:
    """The time_limit safety cap: once passed, every loop stops at its next check."""

    deadline: float | None
    timed_out: bool = False

    def spent(self) -> bool:
        if not self.timed_out and self.deadline is not None and time.monotonic() > self.deadline:
            self.timed_out = True
        return self.timed_out


class State:
    """Part number per school, members per part, and each part's totals and score."""

    def __init__(self, block: Block, part: np.ndarray, *, fixed_k: bool, weights: Weights) -> None:
        self.block = block
        self.fixed_k = fixed_k
        self.limits = block.limits
        self.min_size, self.max_size = block.limits.min_size, block.limits.max_size
        self.weights = weights
        self.focus: set[int] | None = None
        count = int(part.max()) + 1
        self.part = part.tolist()
        self.members: list[set[int]] = [set() for _ in range(count)]
        for school, p in enumerate(self.part):
            self.members[p].add(school)
        self.alive = [True] * count
        self.k = count
        self.version = [0] * count
        self.tried: dict[tuple[int, int], tuple[int, int]] = {}
        self.swaps_tried: dict[tuple[int, int], tuple[int, int]] = {}
        self.stats = np.zeros((count, block.attributes.shape[1]))
        np.add.at(self.stats, part, block.attributes)
        self.internal = np.zeros(count)
        flows = block.flows
        same = part[flows.a] == part[flows.b]
        np.add.at(self.internal, part[flows.a[same]], flows.weight[same])
        # Students on flows touching each part (inside ones twice): with `internal`, the flow
        # a part sends across its border, in O(1) per part for the search's choice of groups.
        self.strength = np.bincount(part, block.strength, count)
        self.home = np.full(count, -2)
        self.home_count = np.zeros(count)
        self.scores = np.zeros(count)
        self.refresh_homes()

    @property
    def tracks_homes(self) -> bool:
        return self.weights.stability > 0 and bool((self.block.current >= 0).any())

    def score_rows(
        self, stats: np.ndarray, internal: np.ndarray, homes: np.ndarray, k: int | None = None
    ) -> np.ndarray:
        """Scores of hypothetical parts (k: the part count they would live with)."""
        return part_scores(stats, internal, homes, k or self.k, self.weights, self.block.scale)

    def rescore(self, parts: list[int] | None = None) -> None:
        if parts is None:
            self.scores = self.score_rows(self.stats, self.internal, self.home_count)
        else:
            self.scores[parts] = self.score_rows(
                self.stats[parts], self.internal[parts], self.home_count[parts]
            )

    def value(self) -> float:
        return float(self.scores[self.alive].sum())

    def leaving(self) -> np.ndarray:
        """Students on flows from each part to another part (0 for dead parts)."""
        return np.where(self.alive, np.maximum(self.strength - 2 * self.internal, 0.0), 0.0)

    def refresh_homes(self) -> None:
        """Match parts to today's portfolios (most shared schools) for the stability term."""
        if self.tracks_homes:
            current = self.block.current
            parts = [p for p in range(len(self.alive)) if self.alive[p]]
            known = current >= 0
            overlap = np.zeros((len(self.alive), int(current.max()) + 1))
            np.add.at(overlap, (np.array(self.part)[known], current[known]), 1)
            rows, cols = linear_sum_assignment(overlap[parts], maximize=True)
            self.home[:] = -2
            self.home_count[:] = 0
            for r, c in zip(rows, cols, strict=True):
                self.home[parts[r]] = c
                self.home_count[parts[r]] = overlap[parts[r], c]
            self.version = [v + 1 for v in self.version]
        self.rescore()

    def rebuild(self, p: int) -> None:
        """Recompute part p's totals from its member set (an empty part dies)."""
        members = self.members[p]
        self.alive[p] = bool(members)
        self.version[p] += 1
        schools = np.fromiter(members, dtype=int, count=len(members))
        for school in schools.tolist():
            self.part[school] = p
        self.stats[p] = self.block.attributes[schools].sum(axis=0)
        self.strength[p] = self.block.strength[schools].sum()
        flow_lists = self.block.flow_lists
        self.internal[p] = sum(w for u in members for v, w in flow_lists[u] if u < v and v in members)
        self.home_count[p] = (
            float((self.block.current[schools] == self.home[p]).sum()) if self.tracks_homes else 0.0
        )

    def set_parts(self, groups: dict[int, set[int]]) -> None:
        """Give each part p of `groups` exactly those members, then rescore."""
        for p, members in groups.items():
            self.members[p] = members
        for p in groups:
            self.rebuild(p)
        k = sum(self.alive)
        if k != self.k:
            self.k = k
            self.rescore()
        else:
            self.rescore(list(groups))

    def new_part(self) -> int:
        """An empty, dead part id (alive once it gets members)."""
        self.members.append(set())
        self.alive.append(False)
        self.version.append(0)
        self.stats = np.vstack([self.stats, np.zeros(self.stats.shape[1])])
        self.internal = np.append(self.internal, 0.0)
        self.strength = np.append(self.strength, 0.0)
        self.home = np.append(self.home, -2)
        self.home_count = np.append(self.home_count, 0.0)
        self.scores = np.append(self.scores, 0.0)
        return len(self.members) - 1

    def neighbour_parts(self, p: int) -> set[int]:
        part, neighbours = self.part, self.block.neighbours
        return {part[u] for v in self.members[p] for u in neighbours[v]} - {p}

    def adjacent_pairs(self) -> list[tuple[int, int]]:
        part = np.array(self.part)
        a, b = part[self.block.graph.a], part[self.block.graph.b]
        cross = a != b
        pairs = np.unique(np.column_stack([np.minimum(a, b)[cross], np.maximum(a, b)[cross]]), axis=0)
        return [(int(x), int(y)) for x, y in pairs]

    def labels(self) -> np.ndarray:
        """Part numbers 0..k-1 in order of first appearance."""
        _, first, inverse = np.unique(np.array(self.part), return_index=True, return_inverse=True)
        rank = np.argsort(np.argsort(first))
        return rank[inverse]
