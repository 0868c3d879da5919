"""Per-portfolio hard limits on column sums, checked by every step of the search.

Sizes, students and high schools are all caps on a column sum of a portfolio's schools
(objective.py's COUNT, ENROLLMENT, HIGH), so each move, re-cut, merge and bisection cut
asks one question — `fits` for one portfolio, `may_hold` for a set that will become
several — and the next cap is one more entry in `caps`, not an edit in five modules.

Locks ride on the same column sums: one indicator column per lock name. A portfolio
keeps must-link when each lock column is 0 or the group's whole size, and cannot-link
when at most one lock column is non-zero.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from feeder.design.objective import COUNT, ENROLLMENT, HIGH, N_COLUMNS
from feeder.spec import DesignSpec

SLACK = 1e-9  # float sums of integer or 0.1-rounded enrollments: a cap is met up to rounding


@dataclass(frozen=True)
class Limits:
    """What one portfolio may hold: a size range, caps on column sums, whole lock groups.

    Parameters
    ----------
    min_size, max_size : int
        Schools per portfolio.
    caps : tuple of (column, most)
        Upper limits on column sums (students, high schools); the size cap is `max_size`.
    lock_sizes : numpy.ndarray
        Schools of each lock group in the block (lock columns follow N_COLUMNS).
    """

    min_size: int
    max_size: int
    caps: tuple[tuple[int, float], ...] = ()
    lock_sizes: np.ndarray = field(default_factory=lambda: np.zeros(0))

    @classmethod
    def of(cls, spec: DesignSpec, lock_sizes: np.ndarray) -> Limits:
        caps = [(column, most) for column, most in ((ENROLLMENT, spec.max_enrollment),) if most is not None]
        if spec.max_high_schools is not None:
            caps.append((HIGH, float(spec.max_high_schools)))
        return cls(spec.min_size, spec.max_size, tuple(caps), np.asarray(lock_sizes, dtype=float))

    @property
    def has_locks(self) -> bool:
        return bool((self.lock_sizes > 0).any())

    def fits(self, rows: np.ndarray) -> np.ndarray:
        """Whether each row of column sums is an allowed portfolio."""
        size = rows[:, COUNT]
        ok = (size >= self.min_size) & (size <= self.max_size)
        return ok & self.may_hold(rows, np.ones(len(rows)))

    def may_hold(self, rows: np.ndarray, parts: np.ndarray) -> np.ndarray:
        """Whether each row could still be split into `parts` portfolios within the caps and
        locks (necessary conditions; the size range is the caller's, it knows the counts)."""
        ok = np.ones(len(rows), dtype=bool)
        for column, most in self.caps:
            ok &= rows[:, column] <= parts * most + SLACK
        if self.has_locks:
            locks = rows[:, N_COLUMNS : N_COLUMNS + len(self.lock_sizes)]
            whole = (locks == 0) | (locks == self.lock_sizes)
            ok &= whole.all(axis=1) & ((locks > 0).sum(axis=1) <= parts)
        return ok

    def fewest_parts(self, total: np.ndarray) -> int:
        """The fewest portfolios the caps and lock names allow for a set with column sums `total`."""
        fewest = [math.ceil(total[column] / most - SLACK) for column, most in self.caps]
        fewest.append(int((total[N_COLUMNS : N_COLUMNS + len(self.lock_sizes)] > 0).sum()))
        return max([1, *fewest])

    @property
    def only_sizes(self) -> bool:
        """No caps and no locks: the size checks callers do cheaply are the whole story."""
        return not self.caps and not self.has_locks
