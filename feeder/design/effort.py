"""`--effort`: how much search a design gets, as a deterministic knob.

Effort scales iteration budgets only — never wall time — so the same input, seed and
effort give the same plan on any machine (`--time-limit` stays a safety cap). It buys
independent restarts (spanning-tree and METIS-guided starts, each followed by the local
search) and ruin-and-recreate steps per restart.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from feeder.errors import OptionError

# Named levels, in units of the default. "quick" is one restart: exactly feeder's search
# before --effort (about 4x less work than the default); "thorough" and "max" buy 4x and
# 16x the default's work. The default's 4 restarts are calibrated on the benchmark
# (docs/benchmark.md) to keep ~500 schools within ~20 s on 2 cores.
LEVELS = {"quick": 0.25, "default": 1.0, "thorough": 4.0, "max": 16.0}
RESTARTS = 4  # restarts at effort 1 up to REFERENCE schools: on the sample (280) 4 lift cohesion ~0.6 points
REFERENCE = (
    500  # above it restarts shrink as REFERENCE / n: 1,000 schools get 2 (one round on 2 cores, ~10 s)
)
LNS_PER_PART = 8  # ruin-and-recreate steps per portfolio per restart at effort >= 1 (as before --effort)
EXACT_PARTS = 16
"""Blocks of at most EXACT_PARTS * effort portfolios get exact re-cuts of adjacent pairs in the
elite phase: at the default, districts up to ~300 schools, where one portfolio more or less well
cut is a large share of the plan."""
EXACT_PER_PART = 4  # exact re-cuts tried per portfolio at effort 1 (most stop at the LP screen)


@dataclass(frozen=True)
class Effort:
    """Iteration budgets for one design run."""

    level: float

    @classmethod
    def parse(cls, value: str | float) -> Effort:
        """A named level (quick, default, thorough, max) or a positive number (1 = default)."""
        if isinstance(value, str) and value.strip().lower() in LEVELS:
            return cls(LEVELS[value.strip().lower()])
        try:
            level = float(value)
        except ValueError:
            raise OptionError(
                f"--effort {value} must be one of {', '.join(LEVELS)} or a number above 0"
            ) from None
        if not (math.isfinite(level) and level > 0):
            raise OptionError(f"--effort {value} must be one of {', '.join(LEVELS)} or a number above 0")
        if level > LEVELS["max"]:  # a budget without end: the search would run for hours or days
            raise OptionError(f"--effort {value} is above max ({LEVELS['max']:g}); use --effort max or less")
        return cls(level)

    def restarts(self, schools: int) -> int:
        """Independent restarts for a district of `schools` (the work of one restart grows
        with the district, so the count shrinks beyond REFERENCE schools)."""
        return max(1, round(RESTARTS * self.level * min(1.0, REFERENCE / max(schools, 1))))

    def exact_recuts(self, parts: int) -> int:
        """Exact pair re-cuts the elite phase may try on a block of `parts` portfolios (0 when
        the block is too large for this effort)."""
        if parts > EXACT_PARTS * self.level:
            return 0
        return round(EXACT_PER_PART * parts * self.level)

    def lns_steps(self, parts: int) -> int:
        """Ruin-and-recreate steps of one restart of a block with `parts` portfolios; effort
        below one restart's worth (under quick) thins them."""
        return max(1, round(LNS_PER_PART * parts * min(1.0, RESTARTS * self.level)))
