"""Hard constraints as named predicates on a plan (GerryChain's `Validator` style).

Each constraint returns a reason a planner can read (naming the portfolios at fault)
or None. The designer's final check, the exact solver's warm-start filter, `bound`,
`score` and the benchmark peers all ask `violations(district, labels, spec)`, so "does
this plan meet the spec" has one answer everywhere. A new hard constraint is one
predicate here plus one DesignSpec field.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from feeder import metrics
from feeder.district import District
from feeder.spec import DesignSpec

NAMES_SHOWN = 5


@dataclass(frozen=True)
class Constraint:
    """A named predicate: `check(district, labels)` returns why the plan breaks it, or None."""

    name: str
    check: Callable[[District, np.ndarray], str | None]


def named(portfolios: list[str]) -> str:
    """'A, B and 3 more' — short enough for one line."""
    shown = ", ".join(portfolios[:NAMES_SHOWN])
    return shown + (f" and {len(portfolios) - NAMES_SHOWN} more" if len(portfolios) > NAMES_SHOWN else "")


def every_school_assigned(district: District, labels: np.ndarray) -> str | None:
    if len(labels) != len(district.schools) or any(not isinstance(x, str) or not x for x in labels):
        return "not every school has exactly one portfolio"
    return None


def sizes_in_range(spec: DesignSpec) -> Constraint:
    def check(district: District, labels: np.ndarray) -> str | None:
        sizes = {name: len(members) for name, members in metrics.groups(labels).items()}
        bad = [
            f"{name} ({size})" for name, size in sizes.items() if not spec.min_size <= size <= spec.max_size
        ]
        if bad:
            return f"portfolios outside {spec.min_size}-{spec.max_size} schools: {named(bad)}"
        return None

    return Constraint("size range", check)


def portfolio_count(k: int) -> Constraint:
    def check(district: District, labels: np.ndarray) -> str | None:
        count = len(np.unique(labels))
        return None if count == k else f"{count} portfolios instead of {k}"

    return Constraint("number of portfolios", check)


def inside_regions(district: District, labels: np.ndarray) -> str | None:
    region = district.schools["region"].to_numpy(dtype=object)
    crossing = [name for name, members in metrics.groups(labels).items() if len(set(region[members])) > 1]
    return f"portfolios crossing regions: {named(crossing)}" if crossing else None


def connected(district: District, labels: np.ndarray) -> str | None:
    broken = metrics.broken_portfolios(district, labels)
    return f"portfolios not contiguous on the map: {named(broken)}" if broken else None


def locks_kept(spec: DesignSpec) -> Constraint:
    """Each lock group sits whole in one portfolio named by its lock name (so two lock names
    never share a portfolio)."""

    def check(district: District, labels: np.ndarray) -> str | None:
        position = {school: index for index, school in enumerate(district.ids)}
        broken = []
        for name, schools in spec.lock_groups().items():
            held = {labels[position[school]] for school in schools if school in position}
            if held != {name} or not set(schools) <= position.keys():
                broken.append(f"{name} (in {', '.join(sorted(map(str, held))) or 'no portfolio'})")
        return f"lock groups not kept whole under their own name: {named(broken)}" if broken else None

    return Constraint("locks", check)


def column_cap(label: str, flag: str, cap: float, values: Callable[[District], np.ndarray]) -> Constraint:
    """At most `cap` of a per-school quantity (students, high schools) in every portfolio."""

    def check(district: District, labels: np.ndarray) -> str | None:
        per_school = values(district)
        over = [
            f"{name} ({per_school[members].sum():g})"
            for name, members in metrics.groups(labels).items()
            if per_school[members].sum() > cap + 1e-9
        ]
        return f"portfolios above {flag} {cap:g} {label}: {named(over)}" if over else None

    return Constraint(label + " cap", check)


def enrollment(district: District) -> np.ndarray:
    return district.schools["enrollment"].fillna(0).to_numpy(dtype=float)


def high_schools(district: District) -> np.ndarray:
    return (district.schools["level"] == "high").to_numpy(dtype=float)


def constraints_of(spec: DesignSpec) -> list[Constraint]:
    """The hard constraints a plan designed for `spec` must meet, cheapest first."""
    found = [Constraint("one portfolio per school", every_school_assigned), sizes_in_range(spec)]
    if spec.k is not None:
        found.append(portfolio_count(spec.k))
    if spec.within_region:
        found.append(Constraint("within regions", inside_regions))
    if spec.max_enrollment is not None:
        found.append(column_cap("students", "--max-enrollment", spec.max_enrollment, enrollment))
    if spec.max_high_schools is not None:
        found.append(column_cap("high schools", "--max-high-schools", spec.max_high_schools, high_schools))
    if spec.locks:
        found.append(locks_kept(spec))
    if spec.contiguous:
        found.append(Constraint("contiguous", connected))
    return found


def violations(district: District, labels: np.ndarray, spec: DesignSpec) -> list[str]:
    """Every broken constraint of `spec`, as 'name: reason' lines (empty when the plan meets it)."""
    labels = np.asarray(labels, dtype=object)
    found = []
    for constraint in constraints_of(spec):
        reason = constraint.check(district, labels)
        if reason is not None:
            found.append(f"{constraint.name}: {reason}")
            if constraint.check is every_school_assigned:
                break
    return found
