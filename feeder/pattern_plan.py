"""Which plan to draw or print: the one given, today's, or — before any plan exists — the feeder patterns.

A district without a plan still has feeder patterns (a high school and the schools whose
students end up there); grouping by them lets a planner see the network before designing.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from feeder.district import District
from feeder.graph import FeederGraph
from feeder.plan import Plan, Provenance

UNATTACHED = "no feeder pattern"
SOURCE = "feeder patterns"


def plan_to_show(district: District, path: Path | None) -> Plan:
    """The plan in `path`; else today's `portfolio` column; else the feeder patterns (when no school has one)."""
    if path is not None:
        return Plan.from_csv(district, path)
    if (district.schools["portfolio"] != "").any():
        return Plan.current(district)
    return pattern_plan(district)


def pattern_plan(district: District) -> Plan:
    """Each school grouped with its feeder pattern, named after the pattern's high school."""
    graph = FeederGraph(district)
    names = dict(zip(district.schools["school_id"], district.schools["name"], strict=True))
    pattern = graph.pattern_of()
    heads = [head for head in graph.heads if pattern[head] is not None]
    taken = [names[head] for head in heads]
    label = {
        head: f"{names[head]} pattern" + (f" ({head})" if taken.count(names[head]) > 1 else "")
        for head in heads
    }
    labels = [label.get(pattern[school] or "", UNATTACHED) for school in district.ids]
    return Plan(district, np.array(labels, dtype=object), provenance=Provenance(source=SOURCE))
