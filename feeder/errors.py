"""FeederError: the one kind of failure a planner should ever see.

Every message is a single line naming where the problem is (file, row, column or
option) and, when we can tell, what would fix it. The CLI prints it and exits 2.
"""

from __future__ import annotations

from pathlib import Path


class FeederError(Exception):
    """Bad input or an impossible setting, explained in one line."""

    def __init__(self, message: str) -> None:
        super().__init__(" ".join(str(message).split()))


def at(path: Path | str, message: str, *, row: int | None = None, column: str | None = None) -> FeederError:
    """Build a FeederError that points at a file, a 1-based data row and a column.

    Rows count like a spreadsheet does: the header is row 1, the first data row is row 2.
    """
    where = Path(path).name
    if row is not None:
        where += f", row {row}"
    if column is not None:
        where += f", column '{column}'"
    return FeederError(f"{where}: {message}")
