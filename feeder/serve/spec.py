"""What a re-design in the web app keeps, in one line for the page and the terminal (the spec itself
comes from feeder.recorded_spec)."""

from __future__ import annotations

from feeder.recorded_spec import NUMBERS
from feeder.spec import DesignSpec


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
