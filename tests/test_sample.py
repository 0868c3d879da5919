"""The bundled sample district: real LAUSD South and East schools, estimated flows."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from make_sample import EAST_ZIPS, SOUTH_ZIPS, default_lausd
from synthetic import entry_groups

from feeder import District, load_district

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample"
SCRIPT = ROOT / "scripts" / "make_sample.py"
FILES = ("README.md", "flows.csv", "provenance.txt", "schools.csv")


@pytest.fixture(scope="module")
def sample() -> District:
    return load_district(SAMPLE)


def main_receiver(district: District) -> pd.Series:
    """Each sending school's largest flow to a district school."""
    flows = district.internal_flows().sort_values("students", kind="stable")
    return flows.groupby("from_id")["to_id"].last()


def entry_group(schools: pd.DataFrame) -> pd.Series:
    return pd.Series(entry_groups(schools["grade_lo"].astype(int).to_numpy()), index=schools.index)


def test_committed_sample_is_what_the_builder_writes(tmp_path: Path) -> None:
    if default_lausd() is None:
        pytest.skip("the LAUSD school list (shared/data/lausd) is not beside the repository")
    for out in (tmp_path / "a", tmp_path / "b"):
        subprocess.run([sys.executable, str(SCRIPT), "--out", str(out)], check=True, capture_output=True)
    assert sorted(p.name for p in SAMPLE.iterdir()) == sorted(FILES)
    for name in FILES:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
        assert (tmp_path / "a" / name).read_bytes() == (SAMPLE / name).read_bytes(), name


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
    assert schools["school_id"].str.fullmatch(r"\d{7}").all()
    assert schools["school_id"].str.startswith("0").any()
    assert schools[["enrollment", "capacity", "need_index"]].notna().all().all()
    assert (schools["principal"] != "").all()
    assert set(schools["ed_ops"]) == {"Traditional", "Alternative School of Choice"}


def test_sample_says_what_is_real_and_what_is_estimated(sample: District) -> None:
    assert sample.provenance.startswith("Real (California Department of Education)")
    assert "Estimated: region" in sample.provenance and "flows" in sample.provenance
    readme = (SAMPLE / "README.md").read_text()
    assert "## What is real" in readme and "## What is estimated" in readme
    estimated = sample.schools["estimated"] != ""
    assert 0 < estimated.sum() <= 11, "only schools opened after 2014-15 lack enrollment"


def test_sample_keeps_the_real_schools_and_their_zip_region(sample: District) -> None:
    if default_lausd() is None:
        pytest.skip("the LAUSD school list (shared/data/lausd) is not beside the repository")
    source = pd.read_csv(default_lausd() / "schools.csv", dtype=str, keep_default_na=False)
    real = source.set_index("school_id").loc[sample.ids]
    schools = sample.schools.set_index("school_id")
    assert (schools["name"] == real["name"]).all()
    assert np.allclose(schools["lat"], real["lat"].astype(float))
    assert np.allclose(schools["lon"], real["lon"].astype(float))
    assert (schools["grade_hi"].astype(int) == real["grade_hi"].astype(int)).all()
    has_magnet_tag = schools["programs"].str.contains("magnet:")
    assert (has_magnet_tag == (real["magnet"] == "Y")).all(), "magnet tags are the real flags"
    south = schools["zip"].isin(SOUTH_ZIPS)
    assert (schools["region"] == np.where(south, "South", "East")).all()
    assert schools["zip"].isin(SOUTH_ZIPS + EAST_ZIPS).all()


def test_current_portfolios_hold_one_level_of_one_region_and_12_to_24_schools(sample: District) -> None:
    schools = sample.schools.assign(group=entry_group(sample.schools))
    for portfolio, members in schools.groupby("portfolio"):
        assert 12 <= len(members) <= 24, portfolio
        assert members["group"].nunique() == 1 and members["region"].nunique() == 1, portfolio
        region, group = members["region"].iloc[0], members["group"].iloc[0]
        assert portfolio.startswith(f"{region}-{group}-"), portfolio


def test_most_high_schools_have_a_feeder_pattern(sample: District) -> None:
    """Real LA high schools include small schools sharing one campus (learning complexes) and
    magnets, which a nearest-school choice model cannot tell apart: measured, 27 of 46 are some
    school's main receiver and 39 receive students."""
    schools = sample.schools.set_index("school_id")
    receiver = main_receiver(sample)
    fed = set(receiver[schools.loc[receiver.index, "grade_hi"] == 8])
    highs = set(schools.index[schools["level"] == "high"])
    assert len(highs & fed) >= 0.5 * len(highs)
    assert len(highs & set(sample.internal_flows()["to_id"])) >= 0.8 * len(highs)


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
