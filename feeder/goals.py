"""Goals a portfolio plan should meet beyond its hard constraints, naming the portfolios that miss them.

The hard constraints (size range, contiguity, regions: `feeder.constraints`) say whether
a plan is valid; these goals say what a planner still has to fix or accept: every
portfolio should hold a high school (or a 6-12 or K-12 span school) and be K-12 complete (METRICS.md: schools serving
grades 3, 7 and 10).
"""

from __future__ import annotations

import numpy as np

from feeder import metrics
from feeder.constraints import named
from feeder.district import District
from feeder.io.plan_tables import high_schools


def unmet_goals(district: District, labels: np.ndarray) -> list[str]:
    """'goal: portfolios' lines for each goal some portfolio misses (empty when all are met)."""
    labels = np.asarray(labels, dtype=object)
    high = high_schools(district.schools)  # spans teaching grade 9 and up too, as summary.csv lists them
    lo = district.schools["grade_lo"].to_numpy(dtype=float, na_value=np.nan)
    hi = district.schools["grade_hi"].to_numpy(dtype=float, na_value=np.nan)
    no_high, incomplete = [], []
    for name, members in metrics.groups(labels).items():
        if not high[members].any():
            no_high.append(name)
        missing = [g for g in metrics.K12_GRADES if not ((lo[members] <= g) & (hi[members] >= g)).any()]
        if missing:
            incomplete.append(f"{name} (no grade {', '.join(map(str, missing))})")
    found = []
    if no_high:
        found.append(f"lacking a high school: {named(no_high)}")
    if incomplete:
        found.append(f"not K-12 complete: {named(incomplete)}")
    return found
