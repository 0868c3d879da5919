"""Reading the text tables districts export: any common encoding, stray spaces, no surprises.

Everything is read as text first so that ids keep their leading zeros and so that a
bad cell can be reported by row and column instead of failing deep inside pandas.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from feeder.errors import FeederError, at

ENCODINGS = ("utf-8-sig", "cp1252")


def read_text_table(path: Path) -> pd.DataFrame:
    """Read a CSV as strings with trimmed, lower-case headers and trimmed cells.

    Empty cells become "" so callers can test for missing values uniformly.
    """
    if not path.exists():
        raise FeederError(f"{path}: file not found")
    if path.stat().st_size == 0:
        raise at(path, "the file is empty; expected a header row and at least one data row", row=1)
    last_error: Exception | None = None
    for encoding in ENCODINGS:
        try:
            table = pd.read_csv(
                path, dtype=str, keep_default_na=False, encoding=encoding, skipinitialspace=True
            )
            break
        except UnicodeDecodeError as error:
            last_error = error
        except pd.errors.EmptyDataError:
            raise at(path, "the file is empty; expected a header row and data rows", row=1) from None
        except pd.errors.ParserError as error:
            raise at(path, f"not a readable CSV table ({str(error).strip()})") from None
    else:
        raise at(path, f"unreadable text encoding ({last_error}); save it as UTF-8")
    table.columns = [str(column).strip().lower() for column in table.columns]
    return drop_trailing_blank_rows(clean_cells(table))


def drop_trailing_blank_rows(table: pd.DataFrame) -> pd.DataFrame:
    """Drop the all-empty rows spreadsheets leave at the end (",,,,"); inner rows keep their numbers."""
    filled = np.flatnonzero((table != "").any(axis=1).to_numpy())
    return table.iloc[: filled[-1] + 1 if len(filled) else 0]


def clean_cells(table: pd.DataFrame) -> pd.DataFrame:
    """Trim whitespace in every text cell; map missing values to ""."""
    table = table.copy()
    for column in table.columns:
        if table[column].dtype == object or pd.api.types.is_string_dtype(table[column]):
            table[column] = table[column].fillna("").astype(str).str.strip()
    return table


def require_columns(table: pd.DataFrame, path: Path, columns: tuple[str, ...]) -> None:
    """Refuse a table that lacks a required column, naming the first one missing."""
    for column in columns:
        if column not in table.columns:
            found = ", ".join(table.columns) or "none"
            raise at(path, f"missing required column '{column}' (found: {found})", row=1, column=column)
    if table.empty:
        raise at(path, "the file has a header but no data rows", row=2)


def parse_numbers(
    table: pd.DataFrame, path: Path, column: str, *, minimum: float | None = None, integer: bool = False
) -> pd.Series:
    """Parse a text column as numbers; "" stays NaN. Bad cells raise with their row."""
    text = table[column]
    values = pd.to_numeric(text.str.replace(",", "", regex=False).where(text != ""), errors="coerce")
    bad = values.isna() & (text != "")
    if bad.any():
        index = int(bad.to_numpy().argmax())
        kind = "a whole number" if integer else "a number"
        raise at(path, f"'{text.iloc[index]}' is not {kind}", row=index + 2, column=column)
    if minimum is not None:
        low = values < minimum
        if low.any():
            index = int(low.to_numpy().argmax())
            raise at(path, f"{values.iloc[index]:g} is below {minimum:g}", row=index + 2, column=column)
    return values.astype(float)


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
