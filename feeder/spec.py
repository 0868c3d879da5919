"""DesignSpec: the portfolio design problem, validated once, in one place.

Every command, the heuristic, the exact solver and the benchmark peers read the same
spec; its hard constraints are the named predicates of `feeder.constraints`. Each
impossibility has one wording here, naming the flag that would fix it.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

from feeder.errors import InfeasibleError, OptionError

DEFAULT_MIN_SIZE = 12
DEFAULT_MAX_SIZE = 24
ACROSS_REGIONS = "drop --within-region (`feeder run` nests by default: add --across-regions)"
LARGEST_SETTING = 1e9  # no weight or cap needs more; 1e308 overflows the objective to NaN
DEFAULT_MIN_CELL = 10  # flow counts below it are published as "<10" when flows come from records


@dataclass(frozen=True, kw_only=True)
class DesignSpec:
    """What a plan must satisfy and what the designer optimizes beyond cohesion.

    Parameters
    ----------
    min_size, max_size : int
        Schools per portfolio (LAUSD's reorganization: 12 to 24).
    k : int or None
        Number of portfolios; None lets the designer choose.
    within_region : bool
        No portfolio crosses a `region` of schools.csv.
    contiguous : bool
        Each portfolio is connected on the Delaunay graph of school sites (METRICS.md).
    stability : float
        Objective weight W >= 0: moving 1 % of the schools from today's plan costs W
        points of cohesion.
    balance : float
        Objective weight W >= 0 on enrollment balance: W x (enrollment CV^2 + 1) is
        subtracted from cohesion (0 leaves balance as a tie-breaker).
    locks : tuple of (school_id, lock name)
        Schools with one lock name share one portfolio carrying that name; schools with
        different lock names are in different portfolios (`--lock`).
    max_enrollment : float or None
        Most students in one portfolio (`--max-enrollment`).
    max_high_schools : int or None
        Most high schools (`level` high) in one portfolio (`--max-high-schools`).
    """

    min_size: int = DEFAULT_MIN_SIZE
    max_size: int = DEFAULT_MAX_SIZE
    k: int | None = None
    within_region: bool = False
    contiguous: bool = True
    stability: float = 0.0
    balance: float = 0.0
    locks: tuple[tuple[str, str], ...] = ()
    max_enrollment: float | None = None
    max_high_schools: int | None = None

    def __post_init__(self) -> None:
        if self.min_size < 1:
            raise OptionError(f"--min-size {self.min_size} must be at least 1")
        if self.min_size > self.max_size:
            raise OptionError(f"--min-size {self.min_size} is above --max-size {self.max_size}")
        if self.k is not None and self.k < 1:
            raise OptionError(f"--k {self.k} must be at least 1")
        for flag, weight in (("--stability", self.stability), ("--balance", self.balance)):
            if not (math.isfinite(weight) and weight >= 0):
                raise OptionError(f"{flag} {weight:g} must be a number, 0 or more")
        if self.max_enrollment is not None and not (
            math.isfinite(self.max_enrollment) and self.max_enrollment > 0
        ):
            raise OptionError(
                f"--max-enrollment {self.max_enrollment:g} must be a number of students above 0"
            )
        for flag, value in (
            ("--stability", self.stability),
            ("--balance", self.balance),
            ("--max-enrollment", self.max_enrollment or 0.0),
        ):
            if value > LARGEST_SETTING:
                raise OptionError(
                    f"{flag} {value:g} is beyond any sensible setting (at most {LARGEST_SETTING:g})"
                )
        if self.max_high_schools is not None and self.max_high_schools < 1:
            raise OptionError(f"--max-high-schools {self.max_high_schools} must be at least 1")
        schools = [school for school, _ in self.locks]
        if len(set(schools)) < len(schools):
            twice = next(school for school in schools if schools.count(school) > 1)
            raise OptionError(f"--lock: school '{twice}' is locked twice; give each school one lock name")
        if any(not school or not name for school, name in self.locks):
            raise OptionError("--lock: every lock needs a school id and a portfolio name")

    def lock_groups(self) -> dict[str, list[str]]:
        """Lock name → its schools, both sorted (a deterministic order for the search)."""
        groups: dict[str, list[str]] = {}
        for school, name in sorted(self.locks, key=lambda lock: (lock[1], lock[0])):
            groups.setdefault(name, []).append(school)
        return groups

    def portfolio_range(self, n: int) -> tuple[int, int]:
        """Fewest and most portfolios for n schools (fewest > most when none fits the size range).

        Contiguity aside: on a Delaunay graph a split of the right sizes is found in practice.
        """
        return math.ceil(n / self.max_size), n // self.min_size

    def fits(self, n: int) -> bool:
        """Whether n schools can be cut into portfolios in the size range."""
        low, high = self.portfolio_range(n)
        return low <= high

    def size_fix(self, n: int) -> str:
        """The nearest size options that would let n schools form portfolios."""
        if n < self.min_size:
            return f"--min-size {n}"
        fewest = math.ceil(n / self.max_size)
        return f"--min-size {n // fewest} or --max-size {math.ceil(n / (n // self.min_size))}"

    def check_fits(self, n: int, *, where: str = "the district", other_fix: str = "") -> None:
        """Refuse n schools (of the district, or of `where`: one region) that no size split fits."""
        if self.fits(n):
            return
        fixes = " or ".join(fix for fix in (self.size_fix(n), other_fix) if fix)
        raise InfeasibleError(
            f"{where} has {n} school{'s' if n != 1 else ''}, which cannot form portfolios of "
            f"{self.min_size}-{self.max_size} "
            f"schools (use {fixes})"
        )

    def check_count(self, n: int) -> None:
        """Refuse --k when n schools cannot form exactly k portfolios in the size range."""
        if self.k is None:
            return
        low, high = self.portfolio_range(n)
        if low <= self.k <= high:
            return
        if self.k > n:
            raise InfeasibleError(f"--k {self.k} is more than the {n} schools; use --k {low}..{high}")
        if self.k < low:
            need = math.ceil(n / self.k)
            raise InfeasibleError(
                f"--k {self.k} with {n} schools needs portfolios of {need}; "
                f"raise --max-size to {need} or use --k {low}..{high}"
            )
        need = n // self.k
        raise InfeasibleError(
            f"--k {self.k} with {n} schools needs portfolios of {need}; "
            f"lower --min-size to {need} or use --k {low}..{high}"
        )

    def allocate(self, sizes: list[int]) -> list[int | None]:
        """Portfolios per block: None (free) without --k; else each block gets its fewest and the
        rest go to the blocks with the most schools per portfolio."""
        if self.k is None:
            return [None] * len(sizes)
        if len(sizes) == 1:
            self.check_count(sizes[0])
            return [self.k]
        ranges = [self.portfolio_range(n) for n in sizes]
        low, high = sum(r[0] for r in ranges), sum(r[1] for r in ranges)
        if not low <= self.k <= high:
            raise InfeasibleError(
                f"--k {self.k} does not fit the regions: with portfolios of {self.min_size}-{self.max_size} "
                f"inside each region they need {low}..{high} portfolios (use --k {low}..{high})"
            )
        counts = [r[0] for r in ranges]
        while sum(counts) < self.k:
            room = [i for i, (c, r) in enumerate(zip(counts, ranges, strict=True)) if c < r[1]]
            grow = max(room, key=lambda i: (sizes[i] / (counts[i] + 1), -i))
            counts[grow] += 1
        return list(counts)

    def as_dict(self) -> dict[str, Any]:
        """The spec as the scorecard's `spec` section."""
        section = asdict(self)
        section["locks"] = self.lock_groups()
        return section
