"""Checks of the portfolio size options that every command shares."""

from __future__ import annotations

from feeder.errors import FeederError


def check_size_range(min_size: int, max_size: int) -> None:
    """Refuse size options that no plan could satisfy, naming the option."""
    if min_size < 1:
        raise FeederError(f"--min-size {min_size} must be at least 1")
    if min_size > max_size:
        raise FeederError(f"--min-size {min_size} is above --max-size {max_size}")
