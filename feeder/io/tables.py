"""Reading the text tables districts export: any common encoding, stray spaces, no surprises.

Everything is read as text first so that ids keep their leading zeros and so that a
bad cell can be reported by row and column instead of failing deep inside pandas.
The numeric data contract (README "Numbers feeder accepts") lives in `parse_numbers`.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from feeder.errors import FeederError, InputError, at
from feeder.io.output import PLAIN_NUMBER

ENCODINGS = ("utf-8-sig", "cp1252")
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
SEPARATOR_HINT = re.compile(r"^\ufeff?sep=(.?)\r?\n", re.IGNORECASE)
WORKBOOK_SIGNATURES = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0")
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
DEFUSED_FORMULA = re.compile(r"^'(?=[=+\-@\t\r])")
THOUSANDS = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$")
WHOLE_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(,\d{3})+$")
DECIMAL_COMMA = re.compile(r"^[+-]?\d*,\d+$")
NO_ROWS = "the file has a header but no data rows"


def no_rows(file: str) -> str:
    """NO_ROWS with what would fix it: export the rows again, or (flows) let feeder infer them."""
    if file == "flows.csv":
        return f"{NO_ROWS} (export it again with its rows, or delete it to infer the flows: see feeder infer)"
    return f"{NO_ROWS} (export it again with its rows)"


NOTE_START = re.compile(r"^(\*|(notes?|sources?)\s*:|(grand )?totals?\s*:?$)", re.IGNORECASE)


def read_text_table(path: Path, *, comments: list[str] | None = None) -> pd.DataFrame:
    """Read a CSV as strings with trimmed, lower-case headers and trimmed cells.

    Empty cells become "" so callers can test for missing values uniformly. Control
    characters in cells become spaces (they can only be terminal escapes or stray
    line breaks), and the apostrophe feeder puts before formula-like cells is removed.
    With `comments` (a list to fill), `#` lines above the header are taken out of the table
    into it (a file feeder wrote says so there); rows are still counted as a spreadsheet shows them.
    """
    text = without_separator_hint(path, decoded(path))
    if comments is None:
        return text_table(path, text)
    lines = text.splitlines(keepends=True)
    skipped = next((n for n, line in enumerate(lines) if not line.lstrip().startswith("#")), len(lines))
    comments.extend(line.strip() for line in lines[:skipped])
    try:
        return text_table(path, "".join(lines[skipped:]))
    except InputError as error:
        raise error.below(skipped) from None


def text_table(path: Path, text: str) -> pd.DataFrame:
    """The table of a CSV's decoded text (read_text_table)."""
    refuse_json(path, text)
    first_line = text.split("\n", 1)[0]
    refuse_other_separators(path, first_line)
    rows = [row for row in csv.reader(io.StringIO(text, newline="")) if row]
    refuse_open_quote(path, text, rows)
    if not rows:
        raise at(path, "the file is empty; expected a header row and data rows", row=1)
    refuse_title_line(path, rows)
    header = [clean_header(cell) for cell in rows[0]]
    width = trimmed_width(path, header, rows)
    header = header[:width]
    refuse_bad_headers(path, header)
    body = [fitted(path, row, width, number) for number, row in enumerate(rows[1:], start=2)]
    table = pd.DataFrame(body, columns=header, dtype=object) if body else pd.DataFrame(columns=header)
    table = drop_trailing_blank_rows(clean_cells(table.astype(str)))
    refuse_notes_below(path, table)
    return table


WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods")


def workbook_instead(folder: Path, name: str) -> InputError | None:
    """A spreadsheet kept where feeder reads the CSV `name` (schools.xlsx for schools.csv), said
    by name: a planner would otherwise be told the file is missing, or get flows estimated."""
    stem = Path(name).stem
    found = next(
        (folder / f"{stem}{suffix}" for suffix in WORKBOOK_SUFFIXES if (folder / f"{stem}{suffix}").exists()),
        None,
    )
    if found is None:
        return None
    return at(found, f"a workbook, and feeder reads {name}: open it and save it as 'CSV UTF-8' named {name}")


def present(path: Path) -> bool:
    """Whether a district file is in the folder. A link to nothing (dangling, or a loop) is refused:
    read as absent, a broken flows.csv would silently give way to flows estimated from the sites."""
    if path.is_symlink() and not path.exists():
        raise FeederError(
            f"{path}: a link that leads to no readable file (it points nowhere or back to itself); "
            "copy the file itself into the folder or fix the link"
        )
    return path.exists()


def decoded(path: Path) -> str:
    """The file's text in the first encoding that reads it; workbooks and binaries refused."""
    if not path.exists():
        raise FeederError(f"{path}: file not found")
    if path.is_dir():
        raise FeederError(f"{path}: is a folder; expected a CSV file")
    data = path.read_bytes()
    if not data.strip():
        raise at(path, "the file is empty; expected a header row and at least one data row", row=1)
    if data.startswith(UTF16_BOMS):  # Excel's "Unicode Text" and some exports
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise at(path, "unreadable UTF-16 text; save it as CSV UTF-8") from None
    if data.startswith(WORKBOOK_SIGNATURES):
        named = "with a .csv name" if path.suffix.lower() == ".csv" else "where a CSV table is expected"
        raise at(path, f"this is an Excel workbook {named}; open it and save it as 'CSV UTF-8'")
    if b"\x00" in data:
        row = data[: data.index(b"\x00")].count(b"\n") + 1
        raise at(path, "this is not a text file (it holds NUL bytes); export the table as CSV UTF-8", row=row)
    for encoding in ENCODINGS:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise at(path, "unreadable text encoding (neither UTF-8 nor Windows-1252); save it as CSV UTF-8")


def refuse_json(path: Path, text: str) -> None:
    """A JSON file (portfolios.geojson beside portfolios.csv, say) read as CSV gives columns named
    after its keys and a message about them: say what it is instead."""
    if not text.lstrip().startswith("{"):
        return
    try:
        json.loads(text)
    except ValueError:
        return
    kind = "GeoJSON" if '"FeatureCollection"' in text[:1000] else "JSON"
    raise at(
        path,
        f"this is a {kind} file where a CSV table is expected; give its CSV table instead (for a plan: portfolios.csv)",
    )


def without_separator_hint(path: Path, text: str) -> str:
    """Drop the `sep=,` line Excel writes (and hides) above the header; another separator is refused."""
    hint = SEPARATOR_HINT.match(text)
    if hint is None:
        return text
    if hint.group(1) != ",":
        raise at(
            path,
            f"the first line '{hint.group().strip()}' says columns are separated by '{hint.group(1)}', not "
            "commas; save the file as comma-separated CSV (with '.' as the decimal mark)",
            row=1,
        )
    return text[hint.end() :]


def refuse_open_quote(path: Path, text: str, rows: list[list[str]]) -> None:
    """A quote that never closes swallows the rest of the file into one cell: name its row."""
    try:
        for _ in csv.reader(io.StringIO(text, newline=""), strict=True):
            pass
    except csv.Error as error:
        if "unexpected end of data" in str(error):
            cell = next((cell for cell in reversed(rows[-1]) if "\n" in cell), rows[-1][-1])
            shown = cell.split("\n", 1)[0]
            raise at(
                path,
                f"the cell starting '\"{shown}' opens a quote that never closes, so the rest of the file "
                "reads as one cell; close the quote or remove it",
                row=len(rows),
            ) from None


def refuse_other_separators(path: Path, first_line: str) -> None:
    """A header split by ';' or tabs (European Excel, TSV) would read as one column: say so."""
    for separator, name in ((";", "semicolons"), ("\t", "tabs")):
        if separator in first_line and "," not in first_line:
            raise at(
                path,
                f"columns are separated by {name}, not commas; save the file as comma-separated CSV "
                "(with '.' as the decimal mark)",
                row=1,
            )


def refuse_title_line(path: Path, rows: list[list[str]]) -> None:
    """A title above the column names ('Schools 2024-25') would be read as a one-column header."""
    filled = [[cell for cell in row if cell.strip() != ""] for row in rows[:2]]
    if len(filled) == 2 and len(filled[0]) == 1 and len(filled[1]) > 1:
        raise at(
            path,
            f"the header holds only '{filled[0][0].strip()}' but row 2 has {len(filled[1])} cells (a title above "
            "the column names?); delete the title so that the column names are row 1",
            row=1,
        )


def refuse_notes_below(path: Path, table: pd.DataFrame) -> None:
    """A note or total line under the data ('Source: ...', 'Total,,1234') is no school or flow: name it
    instead of reporting its empty cells."""
    if table.empty or table.shape[1] < 3:
        return
    notes = [
        NOTE_START.match(row[0]) is not None or (sum(cell != "" for cell in row) == 1 and " " in row[0])
        for row in table.itertuples(index=False)
    ]
    first = len(notes)
    while first > 0 and notes[first - 1]:
        first -= 1
    if first == len(notes):
        return
    raise at(
        path,
        f"'{table.iloc[first, 0]}' is a note or total below the data, not a row of it; delete the row "
        "(notes on the data belong in provenance.txt)",
        row=first + 2,
    )


def clean_header(cell: str) -> str:
    """`School ID` → `school_id`: exports title-case headers and write spaces for underscores."""
    return "_".join(CONTROL.sub(" ", cell).lstrip("\ufeff").lower().split())


def trimmed_width(path: Path, header: list[str], rows: list[list[str]]) -> int:
    """The header's width without trailing unnamed columns that hold nothing (one trailing comma per row)."""
    width = len(header)
    while (
        width and header[width - 1] == "" and all(len(r) < width or r[width - 1].strip() == "" for r in rows)
    ):
        width -= 1
    return width


def refuse_bad_headers(path: Path, header: list[str]) -> None:
    """Unnamed or repeated columns (e.g. `lat` and `LAT`) would make every later column ambiguous."""
    seen: dict[str, int] = {}
    for index, name in enumerate(header):
        if name == "":
            raise at(path, f"column {index + 1} has no name; name it or delete it", row=1)
        if name in seen:
            raise at(
                path,
                f"column '{name}' appears twice (columns {seen[name] + 1} and {index + 1}, "
                "names compared without case or spaces); keep one",
                row=1,
                column=name,
            )
        seen[name] = index


def fitted(path: Path, row: list[str], width: int, number: int) -> list[str]:
    """A data row cut or padded to the header's width; extra non-empty cells are refused."""
    extra = [cell for cell in row[width:] if cell.strip() != ""]
    if extra:
        raise at(
            path,
            f"the row has {len(row)} cells but the header names {width} columns (extra cell '{extra[0]}'); "
            "remove the extra cells or add their column names",
            row=number,
        )
    return row[:width] + [""] * (width - len(row))


def drop_trailing_blank_rows(table: pd.DataFrame) -> pd.DataFrame:
    """Drop the all-empty rows spreadsheets leave at the end (",,,,"); inner rows keep their numbers."""
    filled = np.flatnonzero((table != "").any(axis=1).to_numpy())
    return table.iloc[: filled[-1] + 1 if len(filled) else 0]


def clean_cells(table: pd.DataFrame) -> pd.DataFrame:
    """Trim whitespace, turn control characters into spaces, undo formula guards; missing → ""."""
    table = table.copy()
    for column in table.columns:
        if table[column].dtype == object or pd.api.types.is_string_dtype(table[column]):
            text = table[column].fillna("").astype(str)
            text = text.str.replace(CONTROL, " ", regex=True).str.replace(DEFUSED_FORMULA, "", regex=True)
            table[column] = text.str.strip()
    return table


def require_columns(table: pd.DataFrame, path: Path, columns: tuple[str, ...]) -> None:
    """Refuse a table that lacks a required column, naming the first one missing."""
    for column in columns:
        if column not in table.columns:
            found = ", ".join(table.columns) or "none"
            raise at(path, f"missing required column '{column}' (found: {found})", row=1, column=column)
    if table.empty:
        raise at(path, no_rows(path.name), row=2)


def parse_numbers(
    table: pd.DataFrame,
    path: Path,
    column: str,
    *,
    minimum: float | None = None,
    maximum: float | None = None,
    integer: bool = False,
    thousands: bool = True,
) -> pd.Series:
    """Parse a text column as finite numbers; "" stays NaN. The first bad cell raises with its row.

    Accepted: plain decimals with '.' (`12`, `25.5`, `-3`, `1e3`) and thousands separators
    where they cannot be decimal commas (`1,234`, `1,234,567`, `1,234.5`) unless `thousands`
    is False (coordinates) or another cell of the column has a decimal comma (`25,5`).
    Refused, with the cell as written: decimal commas, inf/nan, overflow (`1e400`), other text,
    fractions where `integer`, and values outside [minimum, maximum].
    """
    cells = table[column]
    decimal_commas = [cell for cell in cells if DECIMAL_COMMA.match(cell) and not WHOLE_THOUSANDS.match(cell)]
    separators = thousands and not decimal_commas
    example = decimal_commas[0] if decimal_commas else None
    values = [
        parse_cell(cell, path, row, column, integer=integer, separators=separators, example=example)
        for row, cell in enumerate(cells, start=2)
    ]
    series = pd.Series(values, index=table.index, dtype=float)
    for bound, words in ((minimum, "below"), (maximum, "above")):
        if bound is None:
            continue
        outside = series < bound if words == "below" else series > bound
        if outside.any():
            index = int(outside.to_numpy().argmax())
            allowed = (
                f"{minimum:g}..{maximum:g}" if minimum is not None and maximum is not None else f"{bound:g}"
            )
            raise at(
                path,
                f"'{cells.iloc[index]}' is {words} {bound:g} (allowed: {allowed}); check the value and its unit",
                row=index + 2,
                column=column,
            )
    return series


def parse_cell(
    cell: str, path: Path, row: int, column: str, *, integer: bool, separators: bool, example: str | None
) -> float:
    """One cell under the numeric contract of `parse_numbers`."""
    if cell == "":
        return math.nan
    text = cell
    if THOUSANDS.match(cell) and separators:
        text = cell.replace(",", "")
    elif "," in cell and (DECIMAL_COMMA.match(cell) or THOUSANDS.match(cell)):
        plain = cell.replace(",", ".") if cell.count(",") == 1 else cell
        if example is not None and example != cell:
            fix = f"other cells of this column use decimal commas too (e.g. '{example}'); write {plain}"
        else:
            fix = f"write {plain} with a '.' decimal mark"
        raise at(path, f"'{cell}' has a decimal comma; {fix}", row=row, column=column)
    if not PLAIN_NUMBER.match(text):
        kind = "a whole number" if integer else "a number"
        raise at(path, f"'{cell}' is not {kind} ({number_fix(cell)})", row=row, column=column)
    value = float(text)
    if not math.isfinite(value):
        raise at(path, f"'{cell}' is too large to be a real value; check the cell", row=row, column=column)
    if integer and value != int(value):
        raise at(path, f"'{cell}' is not a whole number", row=row, column=column)
    return value


def number_fix(cell: str) -> str:
    """What would make a cell a number: a percentage ('85%') and a suppressed count ('<10') are
    the cells state exports hold; "write digits" did not tell a planner what to write instead."""
    stripped = cell.strip()
    if stripped.endswith("%") and PLAIN_NUMBER.match(stripped[:-1].strip()):
        share = float(stripped[:-1]) / 100
        return f"write the share as {share:g}, or the number {stripped[:-1].strip()} without '%'"
    if stripped.startswith("<") and PLAIN_NUMBER.match(stripped[1:].strip()):
        return (
            f"a suppressed count: give an estimate such as {float(stripped[1:]) / 2:g}, or leave the row out"
        )
    return "write digits with '.' as the decimal mark"


def read_spatial_file(path: Path) -> gpd.GeoDataFrame:
    """Read a GeoJSON / GeoPackage / shapefile that has features and a coordinate system."""
    try:
        frame = gpd.read_file(path)
    except Exception as error:
        raise at(path, f"not a readable spatial file ({str(error).splitlines()[0]})") from None
    if frame.empty:
        raise at(path, "the file has no features")
    if frame.crs is None:
        raise at(path, "the file has no coordinate reference system; save it with one (e.g. EPSG:4326)")
    return frame
