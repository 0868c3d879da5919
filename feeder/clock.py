"""`--time-limit` as a bound on the whole command, not only on the search.

The clock starts when the process does, when the command was typed at a shell (starting
Python and importing the libraries take a few seconds), else when the command starts. The search gets what is left after
keeping back enough to score and write the plan, estimated from how long reading the
district took (a measure of both the district's size and this machine's speed at the
moment): on 100,000 schools, scoring and writing every file took 2.7 times as long as
reading them (32 s and 12 s on 2 busy cores), so 3.5 times the read time is kept.
"""

from __future__ import annotations

import math
import os
import time
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path

from feeder.errors import OptionError

FINISH_PER_READ = 3.5  # seconds kept back to score and write, per second spent reading the district
FINISH_FLOOR = 1.0  # seconds kept back however small the district
SHORTEST_STAGE = 0.01  # a stage always gets a moment: the search then stops at its first check

process_started: ContextVar[float | None] = ContextVar("process_started", default=None)
"""Monotonic time the process started, set by the `feeder` command run from a shell (cli.py)."""


@dataclass(frozen=True)
class Clock:
    """When the command started and when it must end (None: no --time-limit)."""

    started: float
    limit: float | None

    @classmethod
    def start(cls, limit: float | None) -> Clock:
        """Start the clock; a --time-limit that is not a positive number of seconds is refused."""
        if limit is not None and not (math.isfinite(limit) and limit > 0):
            raise OptionError(f"--time-limit {limit:g} must be a number of seconds above 0")
        return cls(started=process_started.get() or time.monotonic(), limit=limit)

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def for_stage(self, *, keep: float, share: float = 1.0) -> float | None:
        """Seconds the next stage may take: `share` of what is left after keeping `keep`
        seconds for what follows it."""
        if self.limit is None:
            return None
        return max(share * (self.limit - self.elapsed() - keep), SHORTEST_STAGE)


def finish_reserve(read_seconds: float) -> float:
    """Seconds to keep for scoring and writing a plan of a district that took `read_seconds` to read."""
    return FINISH_FLOOR + FINISH_PER_READ * read_seconds


def process_age() -> float:
    """Seconds since this process started (Linux /proc; 0 where unknown)."""
    try:
        fields = Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()
        started = int(fields[19]) / os.sysconf("SC_CLK_TCK")  # field 22 of stat(5): start time, in ticks
        uptime = float(Path("/proc/uptime").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 0.0
    return max(0.0, uptime - started)
