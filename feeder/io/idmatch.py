"""Ids that lost their leading zeros in a spreadsheet ('262' for '0262'), matched back or explained.

Excel and a default `pandas.read_csv` turn `0262` into `262`. A plan edited that way is
still the planner's plan: every unknown id that equals exactly one district id once
leading zeros are ignored is matched to it (with a warning); anything else is refused
with the exact reason.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pandas as pd

from feeder.errors import at


def without_zeros(school_id: str) -> str:
    return school_id.lstrip("0") or "0"


def restore_leading_zeros(
    ids: pd.Series, known: list[str], *, path: Path, column: str = "school_id"
) -> tuple[pd.Series, int]:
    """`ids` with each unknown id that lost its leading zeros replaced by the district id; and how many.

    Refuses (InputError naming row and column) an unknown id that matches several district
    ids, or none.
    """
    unknown = ~ids.isin(set(known))
    if not unknown.any():
        return ids, 0
    by_digits = ids_by_digits(known)
    restored, matched = match_lost_zeros(ids, known)
    for row in [int(i) for i in unknown.to_numpy().nonzero()[0]]:
        written = ids.iloc[row]
        candidates = by_digits.get(without_zeros(written), [])
        if len(candidates) == 1:
            continue
        if candidates:
            message = (
                f"school '{written}' is not a school of the district, and with leading zeros it could be "
                f"any of {', '.join(repr(c) for c in candidates)}; write the id as the district does"
            )
        else:
            message = "is not a school of the district" + (
                " (ids here keep leading zeros; was this column opened in a spreadsheet?)"
                if any(school.startswith("0") for school in known)
                else ""
            )
            message = f"school '{written}' {message}"
        raise at(path, message, row=row + 2, column=column)
    return restored, matched


def match_lost_zeros(ids: pd.Series, known: list[str]) -> tuple[pd.Series, int]:
    """`ids` with each unknown id that equals exactly one district id, leading zeros ignored (either
    side may have lost them), replaced by that id; others unchanged. Also how many were replaced."""
    known_set = set(known)
    by_digits = ids_by_digits(known)
    restored = ids.copy()
    count = 0
    for row, written in enumerate(ids):
        candidates = [] if written in known_set else by_digits.get(without_zeros(written), [])
        if len(candidates) == 1:
            restored.iloc[row] = candidates[0]
            count += 1
    return restored, count


def ids_by_digits(known: list[str]) -> dict[str, list[str]]:
    """District ids grouped by their digits without leading zeros."""
    by_digits: dict[str, list[str]] = defaultdict(list)
    for school in known:
        by_digits[without_zeros(school)].append(school)
    return by_digits
