"""Locks (`--lock LOCKS.csv`): schools the planner pins together, under a name they choose.

The file is read here (one-line errors at file, row and column); the search sees locks
only as indicator columns (limits.py), and the finished plan gets the lock names here.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from feeder.design.naming import portfolio_names
from feeder.district import District
from feeder.errors import InputError, first_bad_row
from feeder.io.idmatch import restore_leading_zeros
from feeder.io.tables import read_text_table, require_columns
from feeder.spec import DesignSpec


def read_locks(path: Path, *, district: District) -> tuple[tuple[str, str], ...]:
    """(school_id, lock name) pairs of a `school_id,portfolio` CSV, checked against the district."""
    table = read_text_table(Path(path))
    require_columns(table, Path(path), ("school_id", "portfolio"))
    empty = first_bad_row(
        path,
        table["school_id"] == "",
        column="school_id",
        message="a lock has no school id; fill it in or drop the row",
    )
    if empty is not None:
        raise empty
    table["school_id"], restored = restore_leading_zeros(table["school_id"], district.ids, path=Path(path))
    if restored:
        district.warnings.append(
            f"{Path(path).name}: {restored} school id(s) had lost their leading zeros (or gained a '.0' or "
            "changed case, as in a spreadsheet) and were matched to the district's ids"
        )
    for column, bad, message in (
        ("school_id", table["school_id"].duplicated(), "school '{cell}' is locked twice; keep one row"),
        ("portfolio", table["portfolio"] == "", "school '{cell}' has no portfolio name to lock it to"),
    ):
        error = first_bad_row(path, bad, column=column, message=message, cells=table["school_id"])
        if error is not None:
            raise error
    if table.empty:
        raise InputError(f"{Path(path).name}: no locks; add school_id,portfolio rows or drop --lock")
    return tuple(zip(table["school_id"].tolist(), table["portfolio"].tolist(), strict=True))


def lock_columns(district: District, spec: DesignSpec) -> np.ndarray:
    """One 0/1 column per lock name (in spec.lock_groups() order) over the district's schools."""
    position = {school: index for index, school in enumerate(district.ids)}
    groups = spec.lock_groups()
    columns = np.zeros((len(position), len(groups)))
    for column, schools in enumerate(groups.values()):
        columns[[position[school] for school in schools], column] = 1.0
    return columns


def plan_names(district: District, part: np.ndarray, spec: DesignSpec) -> np.ndarray:
    """Portfolio names for part numbers 0..k-1: a locked portfolio carries its lock name, the
    others naming.py's names, none of which continues or repeats a lock name."""
    groups = spec.lock_groups()
    labels = portfolio_names(district, part, reserved=frozenset(groups))
    if not spec.locks:
        return labels
    position = {school: index for index, school in enumerate(district.ids)}
    locked = {int(part[position[schools[0]]]): name for name, schools in groups.items()}
    names = {p: locked.get(p, label) for p, label in zip(part.tolist(), labels.tolist(), strict=True)}
    return np.array([names[p] for p in part.tolist()], dtype=object)
