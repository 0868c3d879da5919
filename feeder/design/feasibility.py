"""Which portfolio counts are possible, and one-line reasons when none is.

A block of n schools can be cut into j portfolios of min..max schools exactly when
j * min <= n <= j * max (contiguity aside: on a Delaunay graph a split of the right
sizes is found in practice; the search reports it when not).
"""

from __future__ import annotations

import math

from feeder.errors import FeederError


def portfolio_range(n: int, min_size: int, max_size: int) -> tuple[int, int]:
    """Fewest and most portfolios for n schools; lo > hi when no plan exists."""
    return math.ceil(n / max_size), n // min_size


def possible(n: int, min_size: int, max_size: int) -> bool:
    low, high = portfolio_range(n, min_size, max_size)
    return low <= high


def size_fix(n: int, min_size: int, max_size: int) -> str:
    """The nearest size options that would allow n schools."""
    if n < min_size:
        return f"--min-size {n}"
    fewest = math.ceil(n / max_size)
    smaller_min = n // fewest
    larger_max = math.ceil(n / (n // min_size))
    return f"--min-size {smaller_min} or --max-size {larger_max}"


def check_district(n: int, min_size: int, max_size: int) -> None:
    if not possible(n, min_size, max_size):
        raise FeederError(
            f"with {n} schools and portfolios of {min_size}-{max_size}, no plan exists "
            f"(use {size_fix(n, min_size, max_size)})"
        )


def check_block(region: str, n: int, areas: int, min_size: int, max_size: int) -> None:
    """Refuse a region (or one separate area of it) that cannot hold portfolios in range."""
    if possible(n, min_size, max_size):
        return
    fix = size_fix(n, min_size, max_size)
    if areas > 1:
        raise FeederError(
            f"region {region} lies in {areas} separate areas between other regions' schools and one has "
            f"{n} schools; contiguous portfolios of {min_size}-{max_size} are impossible there "
            f"(use --no-contiguous, {fix} or merge regions)"
        )
    raise FeederError(
        f"region {region} has {n} schools; portfolios of {min_size}-{max_size} are impossible there "
        f"(use {fix} or merge regions)"
    )


def allocate(k: int, sizes: list[int], min_size: int, max_size: int) -> list[int]:
    """Share k portfolios among blocks: each gets its fewest, the rest go by school count."""
    ranges = [portfolio_range(n, min_size, max_size) for n in sizes]
    low, high = sum(r[0] for r in ranges), sum(r[1] for r in ranges)
    n = sum(sizes)
    if k < 1:
        raise FeederError(f"--k {k} must be at least 1")
    if len(sizes) == 1 and not low <= k <= high:
        if k < low:
            need = math.ceil(n / k)
            raise FeederError(
                f"--k {k} with {n} schools needs portfolios of {need}; raise --max-size to {need} or use --k {low}..{high}"
            )
        need = n // k
        if need < 1:
            raise FeederError(f"--k {k} is more than the {n} schools; use --k {low}..{high}")
        raise FeederError(
            f"--k {k} with {n} schools needs portfolios of {need}; lower --min-size to {need} or use --k {low}..{high}"
        )
    if not low <= k <= high:
        raise FeederError(
            f"--k {k} does not fit the regions: with portfolios of {min_size}-{max_size} inside each region "
            f"they need {low}..{high} portfolios (use --k {low}..{high})"
        )
    counts = [r[0] for r in ranges]
    while sum(counts) < k:
        room = [i for i, (c, r) in enumerate(zip(counts, ranges, strict=True)) if c < r[1]]
        grow = max(room, key=lambda i: (sizes[i] / (counts[i] + 1), -i))
        counts[grow] += 1
    return counts
