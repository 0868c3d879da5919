"""What a planner's locks cost: the same search, seed and effort without them.

A lock is a promise made in negotiation ("these two schools stay together"); whether to keep it
depends on what it gives up, which only a second search without the locks can show. On Loudoun,
two schools held together and two held apart took cohesion from 0.9939 to 0.9801 and nothing said so.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import pandas as pd

from feeder.compare import matching, moved_schools
from feeder.design.designer import DesignRun, run_design
from feeder.district import District
from feeder.plan import Plan
from feeder.spec import DesignSpec
from feeder.words import counted

NOTHING = 5e-5  # under half the last digit shown (4 decimals): no cost worth a word


@dataclass(frozen=True, kw_only=True)
class LockCost:
    """Cohesion with and without the locks, and how many schools the locks keep in place."""

    locked: float
    unlocked: float
    moved: int
    timed_out: bool

    @property
    def cost(self) -> float:
        return self.unlocked - self.locked

    def as_dict(self) -> dict[str, float | int | bool]:
        """run.json's "without_locks"."""
        return {
            "cohesion": round(self.unlocked, 6),
            "cost": round(self.cost, 6),
            "schools_placed_differently": self.moved,
            "time_limit_hit": self.timed_out,
        }

    def line(self) -> str:
        """One terminal line: the cost first, then where the number comes from."""
        same = f"the same search without them: cohesion {self.unlocked:.4f}, {counted(self.moved, 'school')} placed differently"
        late = " (stopped at --time-limit)" if self.timed_out else ""
        if self.cost < NOTHING:
            return f"the locks cost no cohesion ({same}){late}"
        return f"the locks cost {self.cost:.4f} cohesion ({same}){late}"


def design_without_locks(
    district: District,
    *,
    spec: DesignSpec,
    seed: int,
    effort: str | float,
    jobs: int | None,
    time_limit: float | None,
    flow_weights: pd.Series | None,
) -> DesignRun:
    """The same search without `spec`'s locks (caps and every other rule kept)."""
    return run_design(
        district,
        spec=replace(spec, locks=()),
        seed=seed,
        time_limit=time_limit,
        flow_weights=flow_weights,
        effort=effort,
        jobs=jobs,
    )


def weigh_locks(*, locked: Plan, locked_cohesion: float, unlocked: DesignRun) -> LockCost:
    """Compare the locked plan as finally written with the plan designed without its locks."""
    moved = moved_schools(locked, unlocked.plan, matching(locked.labels, unlocked.plan.labels))
    return LockCost(
        locked=locked_cohesion,
        unlocked=float(unlocked.plan.score()["cohesion"]),
        moved=len(moved),
        timed_out=unlocked.timed_out,
    )
