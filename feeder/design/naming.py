"""Portfolio names: stable, readable, deterministic, and meaningful across plans.

A portfolio that clearly continues one of a reference plan (today's `portfolio` column by
default, or another plan) keeps that portfolio's name, so "South-05" means the same place
in every plan. "Clearly": it is the old portfolio's partner in the one-to-one matching of
new to old portfolios by most shared schools, and more than half of its schools come from it.

Other portfolios get fresh names that clash with none kept: with regions, `<region>-<nn>`
numbered north to south inside each region (by the mean latitude of the members);
otherwise the shortened name of the portfolio's largest high school ("Jordan HS"),
falling back to its largest school when it has no high school.
"""

from __future__ import annotations

import re
from collections import Counter

import numpy as np
from scipy.optimize import linear_sum_assignment

from feeder.district import District

SUFFIXES = (
    (r"\b(middle|junior high)( school)?$|\bms$", "MS"),
    (r"\b(senior high|high)( school)?$|\bhs$", "HS"),
    (r"\belementary( school)?$|\bes$", "ES"),
)


CONTINUES = 0.5
NUMBERED = re.compile(r"^(?P<stem>.*-)(?P<number>\d+)$")


def portfolio_names(
    district: District,
    part: np.ndarray,
    *,
    reference: np.ndarray | None = None,
    reserved: frozenset[str] = frozenset(),
) -> np.ndarray:
    """A name for each school's portfolio, given part numbers 0..k-1.

    reference: portfolio names of a plan to carry names over from (aligned with the
    district's schools); default today's `portfolio` column when the district has one.
    reserved: names given elsewhere (lock names): no portfolio continues or takes one.
    """
    groups = [np.flatnonzero(part == p) for p in range(int(part.max()) + 1)]
    if reference is None:
        reference = district.schools["portfolio"].to_numpy(dtype=object)
    reference = np.asarray(reference, dtype=object)
    kept = continued_names(groups, reference, levels=school_levels(district), reserved=reserved)
    new = [members for members, old in zip(groups, kept, strict=True) if old is None]
    fresh = iter(regional_names(district, new) if district.has_regions else school_names(district, new))
    names = unclashed(
        [old if old is not None else next(fresh) for old in kept], kept, avoid=set(reference) | reserved
    )
    return np.array(names, dtype=object)[part]


def renamed(district: District, labels: np.ndarray, *, reference: np.ndarray) -> np.ndarray:
    """`labels` with their portfolios named after the `reference` plan's where they continue one."""
    names, part = np.unique(np.asarray(labels, dtype=object), return_inverse=True)
    groups = [np.flatnonzero(part == p) for p in range(len(names))]
    reference = np.asarray(reference, dtype=object)
    kept = continued_names(groups, reference, levels=school_levels(district))
    chosen = [old if old is not None else str(name) for name, old in zip(names, kept, strict=True)]
    return np.array(unclashed(chosen, kept, avoid=set(reference)), dtype=object)[part]


def continued_names(
    groups: list[np.ndarray],
    reference: np.ndarray,
    *,
    levels: np.ndarray,
    reserved: frozenset[str] = frozenset(),
) -> list[str | None]:
    """For each new portfolio, the reference portfolio it clearly continues (None: none does).

    levels: each school's level. A name is kept only where the old portfolio held every level
    the new one holds: "South-ES-2" of a by-level plan does not name a K-12 portfolio.
    """
    known = (reference != "") & ~np.isin(reference, list(reserved))
    if not known.any():
        return [None] * len(groups)
    old_names, old_index = np.unique(reference[known], return_inverse=True)
    position = np.full(len(reference), -1)
    position[known] = old_index
    overlap = np.zeros((len(groups), len(old_names)))
    for p, members in enumerate(groups):
        mine = position[members]
        np.add.at(overlap[p], mine[mine >= 0], 1)
    old_sizes = np.bincount(old_index, minlength=len(old_names))
    rows, cols = linear_sum_assignment(overlap, maximize=True)
    kept: list[str | None] = [None] * len(groups)
    for p, o in zip(rows, cols, strict=True):
        # Both ways: most of the new portfolio comes from the old one, and most of the old one
        # goes to it. (One way only would let a K-12 portfolio inherit "South-ES-3" from a
        # by-level plan because most of its schools are elementary schools of that portfolio.)
        both_ways = overlap[p, o] > CONTINUES * len(groups[p]) and overlap[p, o] > CONTINUES * old_sizes[o]
        if both_ways and set(levels[groups[p]]) <= set(levels[reference == old_names[o]]):
            kept[p] = str(old_names[o])
    return kept


def school_levels(district: District) -> np.ndarray:
    return district.schools["level"].to_numpy(dtype=object)


def unclashed(names: list[str], kept: list[str | None], *, avoid: set[str]) -> list[str]:
    """Kept names as they are; the others renumbered or suffixed away from kept names and from
    `avoid` (the reference plan's names: one name, one place)."""
    taken = {name for name in kept if name is not None} | avoid
    result = []
    for new, old in zip(names, kept, strict=True):
        if old is not None:
            result.append(old)
            continue
        name = new
        match = NUMBERED.match(new)
        number = int(match["number"]) if match else 1
        while name in taken:
            number += 1
            name = f"{match['stem']}{number:0{len(match['number'])}d}" if match else f"{new} {number}"
        taken.add(name)
        result.append(name)
    return result


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
