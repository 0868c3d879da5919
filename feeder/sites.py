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
