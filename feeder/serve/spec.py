"""The spec a re-design in the web app keeps: feeder.recorded_spec's, where serve's command line can
also drop a recorded limit, and the one line that says it for the page and the terminal."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from feeder.district import District
from feeder.recorded_spec import NUMBERS, ServedSpec, resolve_spec
from feeder.spec import DesignSpec

LIMITS = ("k", "max_enrollment", "max_high_schools")  # 0 on serve's command line: no such limit


def served_spec(
    *,
    district: District,
    plan_file: Path | None,
    given: dict[str, Any],
    locks: tuple[tuple[str, str], ...] | None,
    no_locks: bool = False,
) -> ServedSpec:
    """`resolve_spec`, where 0 for --k, --max-enrollment or --max-high-schools means no such limit
    and `no_locks` (--no-locks) no locks, so that a plan designed with one (its scorecard.json says
    so) can be served without it."""
    dropped = [name for name in LIMITS if given.get(name) == 0]
    kept = {name: value for name, value in given.items() if name not in dropped}
    served = resolve_spec(district=district, plan_file=plan_file, given=kept, locks=locks)
    lifted: dict[str, Any] = dict.fromkeys(dropped)  # None: no such limit
    flags = [f"--{name.replace('_', '-')} 0" for name in dropped]
    if no_locks:
        lifted["locks"], flags = (), [*flags, "--no-locks"]
    if not flags:
        return served
    return ServedSpec(
        spec=replace(served.spec, **lifted),
        source=f"{served.source}; {', '.join(flags)} from the command line: no such limit",
    )


def keeps(spec: DesignSpec, *, regions: bool) -> str:
    """The spec in one short line: what a re-design keeps (the page shows it by its button)."""
    parts = [f"{spec.min_size}-{spec.max_size} schools"]
    if spec.k is not None:
        parts.append(f"{spec.k} portfolios")
    if spec.max_enrollment is not None:
        parts.append(f"at most {spec.max_enrollment:,.0f} students")
    if spec.max_high_schools is not None:
        parts.append(
            f"at most {spec.max_high_schools} high school{'s' if spec.max_high_schools != 1 else ''}"
        )
    if regions:
        parts.append("within regions" if spec.within_region else "across regions")
    parts.append("contiguous" if spec.contiguous else "contiguity not required")
    if spec.locks:
        parts.append(f"{len(spec.locks)} school{'s' if len(spec.locks) != 1 else ''} locked by the spec")
    for name in NUMBERS:
        if getattr(spec, name):
            parts.append(f"{name} {getattr(spec, name):g}")
    return " · ".join(parts)
