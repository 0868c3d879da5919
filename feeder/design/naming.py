"""Portfolio names: stable, readable, deterministic.

With regions, `<region>-<nn>` numbered north to south inside each region (by the mean
latitude of the members); otherwise the shortened name of the portfolio's largest high
school ("Jordan HS"), falling back to its largest school when it has no high school.
"""

from __future__ import annotations

import re
from collections import Counter

import numpy as np

from feeder.district import District

SUFFIXES = (
    (r"\b(middle|junior high)( school)?$|\bms$", "MS"),
    (r"\b(senior high|high)( school)?$|\bhs$", "HS"),
    (r"\belementary( school)?$|\bes$", "ES"),
)


def portfolio_names(district: District, part: np.ndarray) -> np.ndarray:
    """A name for each school's portfolio, given part numbers 0..k-1."""
    groups = [np.flatnonzero(part == p) for p in range(int(part.max()) + 1)]
    names = regional_names(district, groups) if district.has_regions else school_names(district, groups)
    return np.array(names, dtype=object)[part]


def regional_names(district: District, groups: list[np.ndarray]) -> list[str]:
    """`<region>-<nn>`, north to south within each region (ties: first school in file order)."""
    region = district.schools["region"].to_numpy(dtype=object)
    lat = district.schools["lat"].to_numpy(dtype=float)
    owner = []
    for members in groups:
        counts = Counter(region[members])
        top = max(counts.values())
        owner.append(min(r for r, c in counts.items() if c == top) or "Portfolio")
    names = [""] * len(groups)
    for name in sorted(set(owner)):
        mine = [p for p in range(len(groups)) if owner[p] == name]
        mine.sort(key=lambda p: (-lat[groups[p]].mean(), int(groups[p][0])))
        width = max(2, len(str(len(mine))))
        for number, p in enumerate(mine, start=1):
            names[p] = f"{name}-{number:0{width}d}"
    return names


def school_names(district: District, groups: list[np.ndarray]) -> list[str]:
    """The largest high school's short name; its school id is added when two names clash."""
    schools = district.schools
    enrollment = schools["enrollment"].fillna(0).to_numpy(dtype=float)
    high = (schools["level"] == "high").to_numpy()
    anchors = []
    for members in groups:
        pool = members[high[members]] if high[members].any() else members
        anchors.append(int(pool[np.argmax(enrollment[pool])]))
    names = [short_name(str(schools["name"].iloc[a])) for a in anchors]
    clashes = {name for name, count in Counter(names).items() if count > 1}
    ids = schools["school_id"].to_numpy(dtype=object)
    return [f"{name} {ids[a]}" if name in clashes else name for name, a in zip(names, anchors, strict=True)]


def short_name(name: str) -> str:
    """'Jordan High School' -> 'Jordan HS'; names without a level word stay as they are."""
    text = " ".join(name.split())
    for pattern, short in SUFFIXES:
        shortened = re.sub(pattern, short, text, flags=re.IGNORECASE)
        if shortened != text:
            return shortened
    return text
