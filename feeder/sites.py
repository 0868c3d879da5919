"""Sites far outside their cluster of peers: likely wrong geocodes, reported as warnings at load.

The loader refuses sites hundreds of km off (swapped or mistyped coordinates); a geocoder's
wrong guess is subtler: a real address matched to a same-named street in the next city
(LAUSD's list puts Twentieth Street Elementary in Pasadena, 20 km off). Such a school is
still in the district's area but far from every school of its own ZIP code or region.

A school is an outlier of its group (same `zip`, or same `region`, with at least MIN_PEERS
other schools, or the whole district: a site tens of km beyond every other) when the nearest other school of the group is both

- more than SPACINGS times the district's typical spacing away (the median distance from a
  school to its nearest neighbour), so a sparse rural district is judged by its own scale, and
- more than EXTENTS times the group's extent away (how far the group's other schools lie from
  their median site), so a wide ZIP or region may hold far-apart schools, or more than
  ISOLATION times as far as the loneliest other school of the group is from its own nearest
  (a Loudoun school moved 55 km south, 42 km from any other, was within twice the county's
  extent; no other Loudoun school is over 13 km from its nearest).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

PEER_COLUMNS = ("zip", "region")
MIN_PEERS = 3
SPACINGS = 20.0
EXTENTS = 2.0
ISOLATION = 3.0
KM_PER_DEGREE_LAT = 110.574
KM_PER_DEGREE_LON = 111.320  # at the equator; times cos(latitude)

# A lost minus sign moves a US district to Asia (Loudoun's 77.5 W to 77.5 E): the US lies west of
# 64 W but for Guam and the Northern Marianas (ZIP 969xx, GU, MP: east, and left out here).
US_EAST = 64.0
ZIP_COLUMNS = ("zip", "zip_code", "zipcode", "lzip", "mzip")
US_ZIP = r"(?!969)\d{5}(-\d{4})?"
STATE_COLUMNS = ("state", "st", "stabr", "state_code", "lstate", "mstate", "state_name", "statename")
# fmt: off
US_STATES = frozenset({
    "al", "ak", "az", "ar", "ca", "co", "ct", "de", "dc", "fl", "ga", "hi", "id", "il", "in", "ia",
    "ks", "ky", "la", "me", "md", "ma", "mi", "mn", "ms", "mo", "mt", "ne", "nv", "nh", "nj", "nm",
    "ny", "nc", "nd", "oh", "ok", "or", "pa", "ri", "sc", "sd", "tn", "tx", "ut", "vt", "va", "wa",
    "wv", "wi", "wy", "pr", "vi", "as",
    "alabama", "alaska", "arizona", "arkansas", "california", "colorado", "connecticut", "delaware",
    "district of columbia", "florida", "georgia", "hawaii", "idaho", "illinois", "indiana", "iowa",
    "kansas", "kentucky", "louisiana", "maine", "maryland", "massachusetts", "michigan",
    "minnesota", "mississippi", "missouri", "montana", "nebraska", "nevada", "new hampshire",
    "new jersey", "new mexico", "new york", "north carolina", "north dakota", "ohio", "oklahoma",
    "oregon", "pennsylvania", "rhode island", "south carolina", "south dakota", "tennessee",
    "texas", "utah", "vermont", "virginia", "washington", "west virginia", "wisconsin", "wyoming",
    "puerto rico",
})
# fmt: on
US_SHARE = 0.9  # of a column's filled cells: a few foreign or mistyped ones do not hide the evidence


def outlying_sites(schools: pd.DataFrame) -> list[str]:
    """One warning per school far outside its ZIP's or region's cluster, or the district's, naming the school."""
    return [warning for _, warning in outlying_schools(schools)]


def outlying_schools(schools: pd.DataFrame) -> list[tuple[int, str]]:
    """(position in `schools`, warning) of each school far outside its ZIP's, region's or district's cluster."""
    if len(schools) < MIN_PEERS + 1:
        return []
    xy = plane_km(schools["lat"].to_numpy(dtype=float), schools["lon"].to_numpy(dtype=float))
    spacing = float(np.median(cKDTree(xy).query(xy, k=2)[0][:, 1]))
    warnings: list[tuple[int, str]] = []
    flagged: set[int] = set()
    groups = [
        (f"from the nearest other school of its {column} {value}, far outside that group's cluster", members)
        for column, value, members in peer_groups(schools)
    ]
    district = (
        "from the nearest other school, far beyond the district's other sites",
        np.arange(len(schools)),
    )
    for where, members in [*groups, district]:
        for position, distance in outliers(xy[members], spacing):
            school = int(members[position])
            if school in flagged:
                continue
            flagged.add(school)
            row = schools.iloc[school]
            name = str(row.get("name", "")).strip()  # `feeder check` reads tables that may lack it
            warnings.append(
                (
                    school,
                    f"school '{row['school_id']}'{f' ({name})' if name else ''} is {distance:.0f} km {where}: "
                    "check its lat/lon (a geocoder's wrong match?)",
                )
            )
    return warnings


def peer_groups(schools: pd.DataFrame) -> list[tuple[str, str, np.ndarray]]:
    """(column, value, positions) of the schools sharing each ZIP code and each region."""
    found = []
    for column in (column for column in PEER_COLUMNS if column in schools.columns):
        values = schools[column].astype(str).str.strip()
        found += [
            (column, value, members)
            for value, members in values[values != ""].groupby(values).indices.items()
        ]
    return found


def outliers(xy: np.ndarray, spacing: float) -> list[tuple[int, float]]:
    """(position, km to the nearest other member) of each member far outside the group."""
    if len(xy) < MIN_PEERS + 1:
        return []
    nearest = cKDTree(xy).query(xy, k=2)[0][:, 1]
    found = []
    for i in np.flatnonzero(nearest > SPACINGS * spacing):
        others = np.delete(xy, i, axis=0)
        extent = np.max(np.hypot(*(others - np.median(others, axis=0)).T))
        loneliest = float(cKDTree(others).query(others, k=2)[0][:, 1].max())
        if nearest[i] > EXTENTS * extent or nearest[i] > ISOLATION * loneliest:
            found.append((int(i), float(nearest[i])))
    return found


def plane_km(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """(n, 2) km east and north of the median site: exact enough within one district."""
    lat0 = float(np.median(lat))
    x = (lon - np.median(lon)) * KM_PER_DEGREE_LON * np.cos(np.radians(lat0))
    return np.column_stack([x, (lat - lat0) * KM_PER_DEGREE_LAT])


def lost_minus_sign(schools: pd.DataFrame) -> str | None:
    """A warning when every lon is east of Greenwich, in Asia, while a column says the schools are in
    the US: an export lost the minus sign (distances, hence plans, are unchanged; maps and reports
    are not). None without such evidence, so a district in Asia or Europe is never warned."""
    lon = schools["lon"].astype(float)
    if lon.empty or not lon.between(US_EAST, 180.0).all():
        return None
    column = us_column(schools)
    if column is None:
        return None
    example = str(float(lon.iloc[0]))
    return (
        f"every lon is positive (east of Greenwich, in Asia) but column '{column}' places the schools in "
        f"the US, whose longitudes are negative: a lost minus sign? (write -{example}, not {example})"
    )


def us_column(schools: pd.DataFrame) -> str | None:
    """The first column of US ZIP codes, or of US state codes or names, in most of its filled cells."""
    for column in (c for c in schools.columns if c in ZIP_COLUMNS or c in STATE_COLUMNS):
        cells = schools[column].astype(str).str.strip()
        cells = cells[cells != ""]
        us = cells.str.fullmatch(US_ZIP) if column in ZIP_COLUMNS else cells.str.casefold().isin(US_STATES)
        if len(cells) and us.mean() >= US_SHARE:
            return str(column)
    return None
