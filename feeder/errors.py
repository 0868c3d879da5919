"""The kinds of failure feeder reports, each as one line.

- `InputError`: a file's content is wrong (file, row, column, the cell, what would fix it).
- `OptionError`: a command-line option or API argument is out of range (names the flag).
- `InfeasibleError`: the settings admit no plan (why, and what would make one possible).
- `InternalError`: a broken invariant, i.e. a bug in feeder, never the planner's fault.

The CLI prints the first three as `error: ...` with exit code 2 and the last as a bug
report request with exit code 1.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np


class FeederError(Exception):
    """Bad input or an impossible setting, explained in one line."""

    def __init__(self, message: str) -> None:
        super().__init__(" ".join(str(message).split()))


class InputError(FeederError):
    """A district file (or a plan or locks file) holds something feeder cannot use.

    `file`, `row` and `column` say where it points, when it points into a file (see `at`), so that
    `feeder check` lists the error at the same place.
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        row: int | None = None,
        column: str | None = None,
        detail: str = "",
    ) -> None:
        super().__init__(message)
        self.file = file
        self.row = row
        self.column = column
        self.detail = detail  # the message without its place, so that the place can be moved

    def below(self, lines: int) -> InputError:
        """The same error `lines` rows further down its file: a reader that skipped lines above the
        header (comment lines) counted its rows from the header, a spreadsheet counts them all."""
        if not lines or self.row is None or self.file is None:
            return self
        return at(self.file, self.detail, row=self.row + lines, column=self.column)


class OptionError(FeederError):
    """An option is out of range; the message names the flag."""


class InfeasibleError(FeederError):
    """No plan can meet the settings; the message says why and what would allow one."""


class InternalError(Exception):
    """A bug: an invariant of feeder's own code broke. Not a FeederError, so never shown as bad input."""

    def __init__(self, message: str) -> None:
        super().__init__(" ".join(str(message).split()))


def at(path: Path | str, message: str, *, row: int | None = None, column: str | None = None) -> InputError:
    """An InputError that points at a file, a 1-based data row and a column.

    Rows count like a spreadsheet does: the header is row 1, the first data row is row 2.
    """
    where = Path(path).name
    if row is not None:
        where += f", row {row}"
    if column is not None:
        where += f", column '{column}'"
    return InputError(f"{where}: {message}", file=Path(path).name, row=row, column=column, detail=message)


def first_bad_row(
    path: Path | str,
    bad: Sequence[bool] | np.ndarray,
    *,
    column: str,
    message: str,
    cells: Sequence[object] | None = None,
) -> InputError | None:
    """The error for the first True in `bad` (a mask over a table's data rows), or None.

    `message` may use `{cell}`, the cell as written (from `cells`, when given).
    """
    import numpy as np  # here, not at the top: every command's --help imports this module

    mask = np.asarray(bad, dtype=bool)
    if not mask.any():
        return None
    index = int(mask.argmax())
    cell = "" if cells is None else str(np.asarray(cells, dtype=object)[index])
    return at(path, message.format(cell=cell), row=index + 2, column=column)
