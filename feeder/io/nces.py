"""schools.csv from the NCES Common Core of Data (CCD), for districts without their own export.

Inputs, all CSV as NCES publishes them (headers are matched case-insensitively):

- the CCD school directory (`ccd_sch_029_*.csv`): SCHOOL_YEAR, FIPST, LEAID, LEA_NAME,
  SCH_NAME, NCESSCH, ST_SCHID, SY_STATUS_TEXT, SCH_TYPE_TEXT, CHARTER_TEXT, GSLO, GSHI, ...
  It has no coordinates: those come from the EDGE public school geocode file
  (`EDGE_GEOCODE_PUBLICSCH_*.csv`: NCESSCH, LAT, LON, ...), unless the directory was merged
  with one and carries LAT/LON (or LATCOD/LONCOD, as in the EDGE "school characteristics"
  layer) itself.
- optionally the CCD membership file (`ccd_sch_052_*.csv`, long format: NCESSCH, GRADE,
  RACE_ETHNICITY, SEX, STUDENT_COUNT, TOTAL_INDICATOR). Enrollment is the school's
  "Derived - Education Unit Total minus Adult Education Count" row, else its "Education Unit
  Total" row; negative counts are CCD missing/not-applicable codes and count as unknown.
- optionally the CCD school characteristics file (`ccd_sch_129_*.csv`), the only CCD file
  with MAGNET_TEXT. A MAGNET_TEXT column already in the directory is used as well.

Rules: ids are NCESSCH kept as text (12 digits; zeros an editor dropped are put back);
grades PK = -1, KG = 0, 01-13 as numbers, UG/AE/N/M unknown. Left out, each with a note:
schools whose SY_STATUS_TEXT is Closed, Inactive or Future (New, Added, Reopened and
Changed Boundary/Agency schools are operating, so they stay); schools other than "Regular
School" (special education, career and technical, alternative: they have no attendance
zone) unless all types are asked for; schools with an unknown or pre-K-only grade span.
CHARTER_TEXT / MAGNET_TEXT = "Yes" become the program tags `charter` / `magnet`.
Sites: placeholders (-999, 0 and 0) are missing; a coordinate out of range or in Antarctica
(LAT and LON swapped) is refused at its cell unless the other file gives the school a site.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from feeder.errors import FeederError, at
from feeder.io.schools import PLACEHOLDER_COORDINATES, SOUTHERNMOST_SCHOOL, level_of
from feeder.io.tables import parse_cell, parse_numbers, read_text_table, require_columns

SCHOOL_DIGITS = 12
DISTRICT_DIGITS = 7
GRADE_CODES = {"PK": -1, "KG": 0} | {f"{g:02d}": g for g in range(1, 14)}
CLOSED = {"closed", "inactive", "future"}
REGULAR = "regular school"
TOTALS = {"derived - education unit total minus adult education count": 0, "education unit total": 1}
MEMBERSHIP_COLUMNS = ("ncessch", "student_count", "total_indicator")
COORDINATES = (("lat", "lon"), ("latcod", "loncod"))
CHUNK_ROWS = 500_000
PASSED_THROUGH = {"st_schid": "state_school_id", "sch_type_text": "school_type"}


@dataclass
class NcesImport:
    """The schools table built from CCD files, and notes on what was left out or missing."""

    schools: pd.DataFrame
    district: str
    notes: list[str] = field(default_factory=list)

    def csv(self) -> str:
        """schools.csv text (FORMAT.md)."""
        return self.schools.to_csv(index=False, lineterminator="\n")


def import_nces(
    directory: Path,
    leaid: str,
    *,
    geocodes: Path | None = None,
    membership: Path | None = None,
    characteristics: Path | None = None,
    all_types: bool = False,
) -> NcesImport:
    """Build one district's schools table from the CCD directory and its companion files."""
    table = district_rows(directory, leaid)
    district = table["lea_name"].iloc[0] if "lea_name" in table.columns else leaid
    notes: list[str] = []
    table = operating(table, directory, notes, all_types)
    lo, hi = table["gslo"].map(ccd_grade), table["gshi"].map(ccd_grade)
    unplaced = lo.isna() | hi.isna() | (hi < 0) | (lo > 12)
    note_left_out(notes, table, unplaced, "have an unknown grade span or none of K-12 (GSLO/GSHI)")
    table, lo, hi = table[~unplaced], lo[~unplaced].astype(int), hi[~unplaced].astype(int)
    if table.empty:
        raise at(directory, f"no school of LEAID {leaid} is left to import; see the notes above")
    lat, lon = coordinates(table, directory, geocodes)
    schools = pd.DataFrame(
        {
            "school_id": table["ncessch"],
            "name": table["sch_name"],
            "level": [level_of(a, b) for a, b in zip(lo, hi, strict=True)],
            "grade_lo": lo,
            "grade_hi": hi,
            "lat": lat.round(6),
            "lon": lon.round(6),
        }
    )
    if membership is not None:
        counts = enrollment(membership, set(schools["school_id"]))
        schools["enrollment"] = schools["school_id"].map(counts).astype("Int64")
        unknown = schools["enrollment"].isna()
        note_left_out(notes, schools, unknown, "have no usable enrollment in the membership file", "")
    schools["programs"] = program_tags(table, magnet_flags(table, characteristics))
    for column, name in PASSED_THROUGH.items():
        if column in table.columns:
            schools[name] = table[column]
    return NcesImport(schools=schools.reset_index(drop=True), district=district, notes=notes)


def district_rows(path: Path, leaid: str) -> pd.DataFrame:
    """The directory rows of one LEA, with NCESSCH and LEAID padded back to full width."""
    table = read_text_table(path)
    require_columns(table, path, ("ncessch", "sch_name", "leaid", "gslo", "gshi"))
    table["ncessch"] = pad(table["ncessch"], SCHOOL_DIGITS)
    table["leaid"] = pad(table["leaid"], DISTRICT_DIGITS)
    wanted = pad(pd.Series([leaid.strip()]), DISTRICT_DIGITS).iloc[0]
    rows = table[table["leaid"] == wanted]
    if rows.empty:
        sample = table.drop_duplicates("leaid").head(3)
        names = sample["lea_name"] if "lea_name" in sample else pd.Series("", index=sample.index)
        seen = "; ".join(f"{i} {n}".strip() for i, n in zip(sample["leaid"], names, strict=True))
        raise at(path, f"no school has LEAID '{leaid}' (the file holds e.g. {seen})", column="leaid")
    duplicated = rows["ncessch"].duplicated()
    if duplicated.any():
        row = int(duplicated.idxmax())
        raise at(path, f"NCESSCH {rows['ncessch'][row]} appears twice", row=row + 2, column="ncessch")
    return rows


def pad(ids: pd.Series, digits: int) -> pd.Series:
    """Restore leading zeros a spreadsheet dropped from an all-digit NCES id."""
    digit = ids.str.fullmatch(r"\d+")
    return ids.where(~digit, ids.str.zfill(digits))


def operating(table: pd.DataFrame, path: Path, notes: list[str], all_types: bool) -> pd.DataFrame:
    """Leave out closed, inactive and future schools, and (unless asked) non-regular ones."""
    if "sy_status_text" in table.columns:
        closed = table["sy_status_text"].str.lower().isin(CLOSED)
        note_left_out(notes, table, closed, "are closed, inactive or future (SY_STATUS_TEXT)")
        table = table[~closed]
    if not all_types and "sch_type_text" in table.columns:
        other = table["sch_type_text"].str.lower() != REGULAR
        note_left_out(notes, table, other, "are not regular schools (SCH_TYPE_TEXT; --all-types keeps them)")
        table = table[~other]
    if table.empty:
        raise at(path, "no operating school is left in this district; see the notes above")
    return table


def note_left_out(
    notes: list[str], table: pd.DataFrame, mask: pd.Series, reason: str, verb: str = "left out: "
) -> None:
    """Append one note naming (the first few of) the schools in `mask` and why."""
    if not mask.any():
        return
    ids = table["ncessch"] if "ncessch" in table.columns else table["school_id"]
    names = table["sch_name"] if "sch_name" in table.columns else table["name"]
    shown = [f"{i} {n}" for i, n in zip(ids[mask], names[mask], strict=True)]
    more = " ..." if len(shown) > 5 else ""
    notes.append(f"{verb}{len(shown)} school(s) {reason}: " + "; ".join(shown[:5]) + more)


def ccd_grade(code: str) -> float:
    """CCD grade code as a number (PK = -1, KG = 0); NaN for UG, AE, N, M and blanks."""
    text = str(code).strip().upper()
    if text.isdigit():
        text = text.zfill(2)
    return float(GRADE_CODES.get(text, np.nan))


def coordinates(table: pd.DataFrame, path: Path, geocodes: Path | None) -> tuple[pd.Series, pd.Series]:
    """Latitude and longitude from the directory's own columns, else from the geocode file.

    A school left without a site is refused at the cell holding a coordinate no school can have,
    when there is one (see `sites`): that cell is what the planner must fix.
    """
    own = coordinate_columns(table)
    if own is None:
        site = pd.DataFrame({"lat": np.nan, "lon": np.nan, "wrong": None}, index=table.index)
    else:
        site = sites(table, path, own, numbers(table, path, own[0]), numbers(table, path, own[1]))
    if site["lat"].isna().any() and geocodes is not None:
        found = read_geocodes(geocodes).reindex(table["ncessch"]).set_axis(table.index)
        better = site["lat"].isna() & found[["lat", "wrong"]].notna().any(axis=1)
        site.loc[better] = found.loc[better]
    missing = site["lat"].isna()
    wrong = site.loc[missing, "wrong"].dropna()
    if not wrong.empty:
        raise wrong.iloc[0]
    if missing.any():
        row = table.loc[missing].iloc[0]
        where = (
            f"in {path.name} or {geocodes.name}"
            if geocodes is not None
            else f"in {path.name}; pass the EDGE public school geocode file with --geocodes"
        )
        raise FeederError(
            f"NCESSCH {row['ncessch']} ({row['sch_name']}): no coordinates {where} "
            f"({int(missing.sum())} school(s) lack them)"
        )
    return site["lat"], site["lon"]


def sites(
    table: pd.DataFrame, path: Path, pair: tuple[str, str], lat: pd.Series, lon: pd.Series
) -> pd.DataFrame:
    """Each row's usable lat and lon (a site is used whole or not at all), and `wrong`: the error for
    a coordinate no school can have.

    CCD's placeholders (-999, 0 and 0, ...) only say "not geocoded", so they are just missing. A value
    out of range or in Antarctica is a typo or LAT and LON swapped: it is missing too (another file
    may give the site), but its error says where to fix it if none does.
    """
    lat_column, lon_column = pair
    swapped = f"are {lat_column} and {lon_column} swapped?"
    placeholder = (
        lat.isin(PLACEHOLDER_COORDINATES) | lon.isin(PLACEHOLDER_COORDINATES) | ((lat == 0) & (lon == 0))
    )
    problems = (
        (lat_column, lat.abs() > 90, f"is outside -90..90; {swapped}"),
        (lat_column, lat < SOUTHERNMOST_SCHOOL, f"puts the school in Antarctica; {swapped}"),
        (lon_column, lon.abs() > 180, "is outside -180..180; check the value"),
    )
    wrong = pd.Series(None, index=table.index, dtype=object)
    for column, bad, problem in problems:
        for label in table.index[bad & ~placeholder & wrong.isna()]:
            cell = table.at[label, column]
            wrong[label] = at(path, f"'{cell}' {problem}", row=int(label) + 2, column=column)
    unusable = placeholder | wrong.notna() | lat.isna() | lon.isna()
    return pd.DataFrame({"lat": lat.mask(unusable), "lon": lon.mask(unusable), "wrong": wrong})


def coordinate_columns(table: pd.DataFrame) -> tuple[str, str] | None:
    return next((pair for pair in COORDINATES if set(pair) <= set(table.columns)), None)


def read_geocodes(path: Path) -> pd.DataFrame:
    """EDGE geocodes indexed by NCESSCH: lat, lon and wrong (see `sites`), rows without either dropped.

    Of an id listed twice, the first usable row wins, else the first wrong one, so that an error
    points at a row of that school.
    """
    table = read_text_table(path)
    require_columns(table, path, ("ncessch",))
    pair = coordinate_columns(table)
    if pair is None:
        raise at(path, "no LAT/LON (or LATCOD/LONCOD) columns; is this the EDGE geocode file?")
    lat, lon = parse_numbers(table, path, pair[0]), parse_numbers(table, path, pair[1])
    found = sites(table, path, pair, lat, lon)
    found.index = pad(table["ncessch"], SCHOOL_DIGITS)
    usable = found["lat"].notna()
    found = pd.concat([found[usable], found[~usable & found["wrong"].notna()]])
    return found[~found.index.duplicated()]


def enrollment(path: Path, ids: set[str]) -> pd.Series:
    """Students per NCESSCH from the long CCD membership file (read in chunks: it is large)."""
    totals: list[pd.DataFrame] = []
    for chunk in membership_chunks(path):
        chunk["ncessch"] = pad(chunk["ncessch"], SCHOOL_DIGITS)
        chunk = chunk[chunk["ncessch"].isin(ids)]
        rank = chunk["total_indicator"].str.strip().str.lower().map(TOTALS)
        chunk = chunk.assign(rank=rank)[rank.notna()]
        counts = numbers(chunk, path, "student_count")
        totals.append(chunk.assign(count=counts.where(counts >= 0).to_numpy()))
    found = pd.concat(totals).dropna(subset=["count"]).sort_values("rank")
    return found.drop_duplicates("ncessch").set_index("ncessch")["count"]


def membership_chunks(path: Path) -> Iterator[pd.DataFrame]:
    """Chunks of the membership file's NCESSCH, STUDENT_COUNT and TOTAL_INDICATOR columns.

    Row labels are kept across chunks, so a bad cell is reported at its row in the file.
    """
    if not path.exists():
        raise FeederError(f"{path}: file not found")
    try:
        with pd.read_csv(
            path,
            dtype=str,
            keep_default_na=False,
            usecols=lambda c: c.strip().lower() in MEMBERSHIP_COLUMNS,
            chunksize=CHUNK_ROWS,
            encoding="utf-8-sig",
            encoding_errors="replace",
        ) as reader:
            for chunk in reader:
                chunk.columns = [c.strip().lower() for c in chunk.columns]
                require_columns(chunk, path, MEMBERSHIP_COLUMNS)
                yield chunk
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as error:
        raise at(path, f"not a readable CSV table ({str(error).strip()})") from None


def magnet_flags(table: pd.DataFrame, characteristics: Path | None) -> pd.Series:
    """True where MAGNET_TEXT says Yes, in the directory or the characteristics file."""
    flags = pd.Series(False, index=table.index)
    if "magnet_text" in table.columns:
        flags |= table["magnet_text"].str.lower() == "yes"
    if characteristics is not None:
        extra = read_text_table(characteristics)
        require_columns(extra, characteristics, ("ncessch", "magnet_text"))
        yes = set(pad(extra["ncessch"], SCHOOL_DIGITS)[extra["magnet_text"].str.lower() == "yes"])
        flags |= table["ncessch"].isin(yes)
    return flags


def program_tags(table: pd.DataFrame, magnet: pd.Series) -> pd.Series:
    """The `programs` column: `charter` (CHARTER_TEXT = Yes) and `magnet` tags joined by ';'."""
    charter = pd.Series(False, index=table.index)
    if "charter_text" in table.columns:
        charter = table["charter_text"].str.lower() == "yes"
    flags = pd.DataFrame({"charter": charter, "magnet": magnet})
    return flags.apply(lambda row: ";".join(tag for tag, on in row.items() if on), axis=1)


def numbers(table: pd.DataFrame, path: Path, column: str) -> pd.Series:
    """Parse a text column of a filtered table; a bad cell is reported at its row in the file."""
    values = [
        parse_cell(cell, path, int(label) + 2, column, integer=False, separators=True, example=None)
        for label, cell in table[column].items()
    ]
    return pd.Series(values, index=table.index, dtype=float)
