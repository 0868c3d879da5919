"""Ids a spreadsheet respelled ('262' or '262.0' for '0262', 'ald' for 'ALD'), matched back or explained.

Excel and a default `pandas.read_csv` turn `0262` into `262` (or `262.0` once a column has a
blank), and ids are retyped in another case. A file edited that way still means the
district's schools: every unknown id that equals exactly one district id once leading
zeros, a trailing `.0` and letter case are ignored is matched to it (with a warning);
anything else is refused with the exact reason.
"""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

import pandas as pd

from feeder.errors import at

FLOAT_SUFFIX = re.compile(r"^(\d+)\.0+$")  # what a float column makes of a numeric id: 262.0
SCIENTIFIC = re.compile(r"^\d+(\.\d+)?E\+\d+$", re.IGNORECASE)  # how Excel shows a long number: 5.14E+05


def scientific_note(*ids: str) -> str:
    """Why an id in scientific notation ('5.14E+05') matches nothing, or "" when none of `ids` is one."""
    shown = next((school for school in ids if SCIENTIFIC.match(school)), None)
    if shown is None:
        return ""
    return (
        f"; '{shown}' is a number a spreadsheet wrote in scientific notation, which drops digits: format the "
        "id columns as text and export the files again"
    )


def spelling_key(school_id: str) -> str:
    """The id as spreadsheets leave it recognisable: no leading zeros, no `.0`, one letter case."""
    return FLOAT_SUFFIX.sub(r"\1", school_id).lstrip("0").casefold() or "0"


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
        candidates = by_digits.get(spelling_key(written), [])
        if len(candidates) == 1:
            continue
        if candidates:
            message = (
                f"school '{written}' is not a school of the district, and respelled (leading zeros, '.0', case) it "
                f"could be "
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
        candidates = [] if written in known_set else by_digits.get(spelling_key(written), [])
        if len(candidates) == 1:
            restored.iloc[row] = candidates[0]
            count += 1
    return restored, count


def respelled_warning(file: str, count: int) -> str:
    """The warning that `count` ids of `file` were matched to the district's despite their spelling."""
    return (
        f"{file}: {count} school id(s) were written differently from the schools table's (leading zeros, "
        "a trailing '.0' or letter case, as a spreadsheet leaves them) and were matched to its ids"
    )


def ids_by_digits(known: list[str]) -> dict[str, list[str]]:
    """District ids grouped by their digits without leading zeros."""
    by_digits: dict[str, list[str]] = defaultdict(list)
    for school in known:
        by_digits[spelling_key(school)].append(school)
    return by_digits
