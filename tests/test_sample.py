"""The bundled sample district and the synthetic generator behind it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest

from feeder import District, load_district

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample"
SCRIPT = ROOT / "scripts" / "make_sample.py"
FILES = ("boundaries.geojson", "flows.csv", "schools.csv")
ENTRY_GROUP = {0: "ES", 6: "MS", 9: "HS"}


@pytest.fixture(scope="module")
def sample() -> District:
    return load_district(SAMPLE)


def main_receiver(district: District) -> pd.Series:
    """Each sending school's largest flow to a district school."""
    flows = district.internal_flows().sort_values("students", kind="stable")
    return flows.groupby("from_id")["to_id"].last()


def entry_group(schools: pd.DataFrame) -> pd.Series:
    return schools["grade_lo"].astype(int).clip(lower=0).map(ENTRY_GROUP)


def test_committed_sample_is_what_the_script_generates(tmp_path: Path) -> None:
    subprocess.run([sys.executable, str(SCRIPT), "--out", str(tmp_path)], check=True, capture_output=True)
    assert sorted(p.name for p in SAMPLE.iterdir()) == sorted(FILES)
    for name in FILES:
        assert (tmp_path / name).read_bytes() == (SAMPLE / name).read_bytes(), name


def test_sample_loads_cleanly_with_two_local_districts(sample: District) -> None:
    schools = sample.schools
    assert sample.warnings == []
    assert sample.flows_source == "flows.csv"
    assert 250 <= len(schools) <= 300
    assert set(schools["region"]) == {"South", "East"}
    levels = pd.crosstab(schools["region"], schools["level"])
    assert list(levels.columns) == ["elementary", "high", "middle", "span"]
    assert (levels > 0).all().all()
    assert (schools["level"] == "elementary").mean() > 0.6
    assert schools["school_id"].str.fullmatch(r"\d{4}").all()
    assert schools["school_id"].str.startswith("0").any()
    assert schools.duplicated(["lat", "lon"]).any(), "some schools share a campus"
    assert schools[["enrollment", "capacity", "need_index"]].notna().all().all()
    assert (schools["principal"] != "").all()


def test_sample_schools_lie_in_their_local_district(sample: District) -> None:
    schools = sample.schools
    south, east = schools[schools["region"] == "South"], schools[schools["region"] == "East"]
    assert south["lat"].between(33.70, 33.97).all() and south["lon"].between(-118.34, -118.20).all()
    assert east["lat"].between(33.92, 34.10).all() and east["lon"].between(-118.25, -118.14).all()


def test_current_portfolios_hold_one_level_of_one_region_and_12_to_24_schools(sample: District) -> None:
    schools = sample.schools.assign(group=entry_group(sample.schools))
    for portfolio, members in schools.groupby("portfolio"):
        assert 12 <= len(members) <= 24, portfolio
        assert members["group"].nunique() == 1 and members["region"].nunique() == 1, portfolio
        region, group = members["region"].iloc[0], members["group"].iloc[0]
        assert portfolio.startswith(f"{region}-{group}-"), portfolio


def test_every_high_school_has_a_feeder_pattern(sample: District) -> None:
    schools = sample.schools.set_index("school_id")
    receiver = main_receiver(sample)
    fed = set(receiver[schools.loc[receiver.index, "grade_hi"] == 8])
    highs = set(schools.index[schools["level"] == "high"])
    assert highs <= fed, f"high schools that are no middle school's main receiver: {highs - fed}"


def test_k12_complete_portfolios_are_possible_in_each_region(sample: District) -> None:
    for region, members in sample.schools.groupby("region"):
        needed = -(-len(members) // 24)  # the fewest portfolios of at most 24 schools
        for grade in (3, 7, 10):
            serving = (members["grade_lo"] <= grade) & (members["grade_hi"] >= grade)
            assert serving.sum() >= needed, (region, grade)


def test_students_rarely_cross_local_districts(sample: District) -> None:
    flows = sample.internal_flows()
    region = sample.schools.set_index("school_id")["region"]
    same = flows["from_id"].map(region) == flows["to_id"].map(region)
    assert flows.loc[same, "students"].sum() >= 0.95 * flows["students"].sum()
    leaving = sample.flows.loc[sample.flows["to_id"] == "OUT", "students"].sum()
    assert 0.05 <= leaving / sample.flows["students"].sum() <= 0.15


def test_sample_programs_continue_along_some_feeder_chains_and_break_on_others(sample: District) -> None:
    schools = sample.schools.set_index("school_id")
    tags = schools["programs"].str.split(";")
    elementary = schools["level"] == "elementary"
    spanish = tags.map(lambda t: "dual_language:spanish" in t)
    assert 0.12 <= spanish[elementary].mean() <= 0.28
    receiver = main_receiver(sample)
    continued = spanish[receiver[spanish[elementary & spanish].index]].to_numpy()
    assert continued.any() and not continued.all()
    every = set(tags.explode())
    assert {"dual_language:korean", "dual_language:mandarin", "ib"} <= every
    assert any(t.startswith("magnet:") for t in every)
    pathways = tags.map(lambda t: any(tag.startswith("linked_learning:") for tag in t))
    assert pathways.any() and (schools.loc[pathways, "grade_hi"] == 12).all()


def test_sample_attendance_zones_agree_with_flows(sample: District) -> None:
    zones = gpd.read_file(SAMPLE / "boundaries.geojson")
    assert zones.crs.to_epsg() == 4326
    assert zones["school_id"].is_unique and set(zones["school_id"]) == set(sample.ids)
    assert zones.is_valid.all() and set(zones["level"]) == {"elementary", "middle", "high"}
    receiver = main_receiver(sample)
    schools = sample.schools
    senders = schools[schools["grade_hi"] == 5][["school_id", "geometry"]]
    inside = gpd.sjoin(senders, zones[zones["level"] == "middle"], predicate="within")
    agree = inside["school_id_left"].map(receiver) == inside["school_id_right"]
    assert agree.sum() >= 0.9 * len(senders)
