"""Which portfolio counts each block can take, and why a setting is impossible.

The counting rules themselves live on DesignSpec; this module applies them to the
design's blocks (the whole district, or each region, or each separate area of a region).
"""

from __future__ import annotations

from feeder.errors import InfeasibleError
from feeder.spec import DesignSpec


def check_block(spec: DesignSpec, region: str, n: int, areas: int) -> None:
    """Refuse a region (or one separate area of it) that cannot hold portfolios in range."""
    if spec.fits(n):
        return
    if areas > 1:
        raise InfeasibleError(
            f"region {region} lies in {areas} separate areas between other regions' schools and one has "
            f"{n} schools; contiguous portfolios of {spec.min_size}-{spec.max_size} are impossible there "
            f"(use --no-contiguous, {spec.size_fix(n)} or merge regions)"
        )
    spec.check_fits(n, where=f"region {region}", other_fix="merge regions")


def allocate(spec: DesignSpec, sizes: list[int]) -> list[int | None]:
    """Portfolios per block: None (free) without --k; else each block gets its fewest and the
    rest go to the blocks with the most schools per portfolio."""
    if spec.k is None:
        return [None] * len(sizes)
    if len(sizes) == 1:
        spec.check_count(sizes[0])
        return [spec.k]
    ranges = [spec.portfolio_range(n) for n in sizes]
    low, high = sum(r[0] for r in ranges), sum(r[1] for r in ranges)
    if not low <= spec.k <= high:
        raise InfeasibleError(
            f"--k {spec.k} does not fit the regions: with portfolios of {spec.min_size}-{spec.max_size} "
            f"inside each region they need {low}..{high} portfolios (use --k {low}..{high})"
        )
    counts = [r[0] for r in ranges]
    while sum(counts) < spec.k:
        room = [i for i, (c, r) in enumerate(zip(counts, ranges, strict=True)) if c < r[1]]
        grow = max(room, key=lambda i: (sizes[i] / (counts[i] + 1), -i))
        counts[grow] += 1
    return list(counts)
