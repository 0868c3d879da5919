"""Suggestions for broken continuations: where the program already is, and what opening it would serve.

For each broken row the nearest other school that offers the program and could take the
students (same level as the current receiver, or serving the grade after the sender's
last) is given with its great-circle distance from the *sending* school, where the
students are. A program opening at the current receiver would serve every broken student
of that program arriving there, from all its feeders.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from feeder.alignment.rules import Family, Rules
from feeder.alignment.tags import Programs
from feeder.district import District
from feeder.geo import haversine_km


def suggestions(
    district: District, rules: Rules, programs: dict[str, Programs], breaks: pd.DataFrame
) -> list[dict[str, Any]]:
    """One suggestion per broken continuation among `breaks` (already largest first)."""
    broken = breaks[breaks["status"] == "broken"]
    serves = broken.groupby(["to_id", "family", "value_from"])["students"].sum()
    schools = pd.DataFrame(district.schools.drop(columns="geometry"))
    position = {school: i for i, school in enumerate(schools["school_id"])}
    offers: dict[tuple[str, str], np.ndarray] = {}
    result = []
    for row in broken.itertuples(index=False):
        family = rules[row.family]
        key = (row.family, row.value_from)
        if key not in offers:
            offers[key] = offering(schools, programs, family, row.value_from)
        sender, receiver = position[row.from_id], position[row.to_id]
        result.append(
            {
                "from_id": row.from_id,
                "from_name": schools["name"].iat[sender],
                "to_id": row.to_id,
                "to_name": schools["name"].iat[receiver],
                "family": row.family,
                "value": row.value_from,
                "program": family.describe(row.value_from),
                "students": float(row.students),
                "receiver_has": row.value_to,
                "nearest": nearest_offering(schools, offers[key], sender, receiver),
                "opening_at_receiver_serves": float(serves[(row.to_id, row.family, row.value_from)]),
            }
        )
    return result


def offering(schools: pd.DataFrame, programs: dict[str, Programs], family: Family, value: str) -> np.ndarray:
    """Which schools (in table order) offer what a student of `family:value` continues into."""
    return np.array(
        [
            family.continues(value, programs[school].get(family.name, frozenset()))
            for school in schools["school_id"]
        ],
        dtype=bool,
    )


def nearest_offering(
    schools: pd.DataFrame, offers: np.ndarray, sender: int, receiver: int
) -> dict[str, Any] | None:
    """The closest school (to the sender) that offers the program and could receive its students."""
    level = schools["level"].to_numpy()
    candidates = offers & (
        (level == level[receiver]) | serves_grade(schools, schools["grade_hi"].iat[sender])
    )
    candidates[[sender, receiver]] = False
    if not candidates.any():
        return None
    lat, lon = schools["lat"].to_numpy(), schools["lon"].to_numpy()
    km = np.where(candidates, haversine_km(lat[sender], lon[sender], lat, lon), np.inf)
    best = int(np.argmin(km))
    return {
        "school_id": schools["school_id"].iat[best],
        "name": schools["name"].iat[best],
        "level": level[best],
        "km": float(km[best]),
    }


def serves_grade(schools: pd.DataFrame, last_grade: Any) -> np.ndarray:
    """Schools serving the grade after `last_grade` (none when the sender's grades are unknown)."""
    if pd.isna(last_grade):
        return np.zeros(len(schools), dtype=bool)
    grade = int(last_grade) + 1
    serving = (schools["grade_lo"] <= grade) & (schools["grade_hi"] >= grade)
    return serving.fillna(False).to_numpy(dtype=bool)
