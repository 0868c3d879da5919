"""Last line of defence: a designed plan that breaks a hard constraint is never returned."""

from __future__ import annotations

import numpy as np

from feeder import metrics
from feeder.district import District
from feeder.errors import InternalError


def check_plan(
    district: District,
    labels: np.ndarray,
    *,
    min_size: int,
    max_size: int,
    k: int | None,
    within_region: bool,
    contiguous: bool,
    edges: np.ndarray,
) -> None:
    """Raise InternalError (a bug) unless every hard constraint holds."""
    problem = first_problem(district, labels, min_size, max_size, k, within_region, contiguous, edges)
    if problem:
        raise InternalError(f"the designed plan {problem}")


def first_problem(
    district: District,
    labels: np.ndarray,
    min_size: int,
    max_size: int,
    k: int | None,
    within_region: bool,
    contiguous: bool,
    edges: np.ndarray,
) -> str | None:
    if len(labels) != len(district.schools) or any(not isinstance(x, str) or not x for x in labels):
        return "does not give every school exactly one portfolio"
    sizes = np.array([len(m) for m in metrics.groups(labels).values()])
    if not ((sizes >= min_size) & (sizes <= max_size)).all():
        return f"has portfolios of {sizes.min()}-{sizes.max()} schools, outside {min_size}-{max_size}"
    if k is not None and len(sizes) != k:
        return f"has {len(sizes)} portfolios instead of {k}"
    if within_region and metrics.in_region(district, labels) != 1.0:
        return "has a portfolio crossing regions"
    if contiguous and metrics.contiguous(district, labels, {(int(a), int(b)) for a, b in edges}) != 1.0:
        return "has a portfolio that is not contiguous"
    return None
