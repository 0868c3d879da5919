"""Readable tables: portfolios.csv, summary.csv, plan.xlsx, and plans whose ids lost leading zeros."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from feeder.cli import main
from feeder.district import District, load_district
from feeder.errors import InputError
from feeder.geo import haversine_km
from feeder.io.plan_tables import summary_table
from feeder.io.workbook import plan_workbook
from feeder.plan import Plan

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"


@pytest.fixture(scope="module")
def sample() -> District:
    return load_district(SAMPLE)


def test_portfolios_csv_keeps_the_plan_first_and_reads_back(sample: District, tmp_path: Path) -> None:
    plan = Plan.current(sample)
    text = plan.to_csv()
    assert text.splitlines()[0] == "school_id,portfolio,name,level,grades,enrollment,region"
    table = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    assert table["school_id"].tolist() == sample.ids
    assert table["name"].tolist() == sample.schools["name"].tolist()
    first = sample.schools.iloc[0]
    lo = {-1: "PK", 0: "K"}.get(int(first["grade_lo"]), str(first["grade_lo"]))
    assert table["grades"].iloc[0] == f"{lo}-{int(first['grade_hi'])}"
    (tmp_path / "p.csv").write_text(text, encoding="utf-8")
    assert Plan.from_csv(sample, tmp_path / "p.csv").labels.tolist() == plan.labels.tolist()


def test_enrollment_stays_whole_when_a_school_has_none(tmp_path: Path) -> None:
    """Published lists leave some enrollments blank; the others must not turn into '863.0'."""
    folder = tmp_path / "sample"
    shutil.copytree(SAMPLE, folder)
    schools = pd.read_csv(folder / "schools.csv", dtype=str, keep_default_na=False)
    schools.loc[3, "enrollment"] = ""
    schools.to_csv(folder / "schools.csv", index=False)
    district = load_district(folder)
    table = pd.read_csv(io.StringIO(Plan.current(district).to_csv()), dtype=str, keep_default_na=False)
    assert table["enrollment"].iloc[3] == ""
    given = schools["enrollment"].drop(index=3)
    assert table["enrollment"].drop(index=3).tolist() == [str(int(float(cell))) for cell in given]


def test_workbook_round_trip_keeps_leading_zeros(sample: District, tmp_path: Path) -> None:
    assert any(school.startswith("0") for school in sample.ids), "the test needs ids with leading zeros"
    plan = Plan.current(sample)
    data = plan_workbook(plan)
    assert data == plan_workbook(plan), "the workbook must be byte-identical for the same plan"
    book = openpyxl.load_workbook(io.BytesIO(data))
    assert {"portfolios", "summary"} <= set(book.sheetnames)
    ids = [row[0] for row in book["portfolios"].iter_rows(min_row=2, values_only=True)]
    assert ids == sample.ids
    sheet = pd.read_excel(io.BytesIO(data), sheet_name="portfolios", dtype=str)
    sheet.to_csv(tmp_path / "from-excel.csv", index=False)
    assert Plan.from_csv(sample, tmp_path / "from-excel.csv").labels.tolist() == plan.labels.tolist()
    summary = pd.read_excel(io.BytesIO(data), sheet_name="summary")
    assert summary["portfolio"].astype(str).tolist() == sorted(set(plan.labels))


def test_ids_that_lost_leading_zeros_are_matched_with_a_warning(tmp_path: Path) -> None:
    folder = tmp_path / "district"
    shutil.copytree(SAMPLE, folder)
    district = load_district(folder)
    plan = Plan.current(district)
    pd.read_csv(io.StringIO(plan.to_csv())).to_csv(tmp_path / "edited.csv", index=False)  # 0262 -> 262
    edited = pd.read_csv(tmp_path / "edited.csv", dtype=str)["school_id"]
    assert (edited != pd.Series(district.ids)).any(), "the spreadsheet round trip should have dropped zeros"
    read = Plan.from_csv(district, tmp_path / "edited.csv")
    assert read.labels.tolist() == plan.labels.tolist()
    assert any("leading zeros" in warning for warning in district.warnings)


def tiny(make_district, ids: list[str]) -> District:
    """Elementary schools `ids` feeding one middle school 'M'."""
    schools = [
        {
            "school_id": school,
            "name": f"School {school}",
            "level": "elementary",
            "lat": str(39 + i / 100),
            "lon": str(-77 - i / 100),
        }
        for i, school in enumerate(ids)
    ]
    schools.append({"school_id": "M", "name": "Middle", "level": "middle", "lat": "39.05", "lon": "-77.05"})
    return load_district(make_district(schools, [(school, "M", 50) for school in ids]))


def test_an_ambiguous_id_is_refused_naming_the_candidates(make_district, tmp_path: Path) -> None:
    district = tiny(make_district, ["07", "007", "8"])
    (tmp_path / "plan.csv").write_text("school_id,portfolio\n7,A\n8,A\nM,A\n")
    with pytest.raises(InputError, match=r"plan.csv, row 2, column 'school_id'.*'07'.*'007'"):
        Plan.from_csv(district, tmp_path / "plan.csv")


def test_an_unknown_id_says_leading_zeros_are_kept(make_district, tmp_path: Path) -> None:
    district = tiny(make_district, ["07", "08"])
    (tmp_path / "plan.csv").write_text("school_id,portfolio\n07,A\n9,A\nM,A\n")
    with pytest.raises(InputError, match=r"row 3.*'9' is not a school of the district.*leading zeros"):
        Plan.from_csv(district, tmp_path / "plan.csv")


def independent_summary_checks(plan: Plan) -> None:
    """Every summary row, aggregated, gives back the scorecard; each row checked from the raw tables."""
    district, card, summary = plan.district, plan.score(), summary_table(plan)
    schools = district.schools
    assert len(summary) == card["n_portfolios"]
    assert summary["schools"].sum() == card["n_schools"]
    assert (summary[["elementary", "middle", "high", "span"]].sum(axis=1) == summary["schools"]).all()
    assert summary["schools"].min() == card["smallest"] and summary["schools"].max() == card["largest"]
    assert summary["max_km"].max() == pytest.approx(card["max_km"], abs=0.006)
    weighted = (summary["mean_km"] * summary["schools"]).sum() / summary["schools"].sum()
    assert weighted == pytest.approx(card["mean_km"], abs=0.006)
    assert (summary["k12"] == "yes").mean() == pytest.approx(card["k12_complete"])
    assert (summary["contiguous"] == "yes").mean() == pytest.approx(card["contiguous"])
    assert summary["students"].sum() == pytest.approx(schools["enrollment"].fillna(0).sum(), abs=len(summary))
    flows = district.internal_flows()
    where = dict(zip(schools["school_id"], plan.labels, strict=True))
    a, b = flows["from_id"].map(where), flows["to_id"].map(where)
    kept_total = 0.0
    for row in summary.itertuples():
        touching = flows["students"][(a == row.portfolio) | (b == row.portfolio)].sum()
        kept = flows["students"][(a == row.portfolio) & (b == row.portfolio)].sum()
        kept_total += kept
        if touching:
            assert row.flows_kept == pytest.approx(kept / touching, abs=0.0006)
        members = schools[plan.labels == row.portfolio]
        lat, lon = members["lat"].to_numpy(), members["lon"].to_numpy()
        totals = [haversine_km(la, lo, lat, lon).sum() for la, lo in zip(lat, lon, strict=True)]
        assert row.meeting_site == members["name"].iloc[int(np.argmin(totals))]
    if card["cohesion"] is not None:
        assert kept_total / flows["students"].sum() == pytest.approx(card["cohesion"])


def test_summary_rows_equal_the_scorecard(sample: District) -> None:
    independent_summary_checks(Plan.current(sample))


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(k=st.integers(2, 30), seed=st.integers(0, 10_000))
def test_summary_equals_the_scorecard_for_any_plan(sample: District, k: int, seed: int) -> None:
    labels = np.random.default_rng(seed).integers(0, k, len(sample.schools)).astype(str)
    independent_summary_checks(Plan(sample, labels))


def test_design_writes_the_readable_tables(sample: District, tmp_path: Path) -> None:
    assert main(["design", str(SAMPLE), "--out", str(tmp_path), "--seed", "1"]) == 0
    for name in ("portfolios.csv", "summary.csv", "plan.xlsx", "scorecard.json"):
        assert (tmp_path / name).exists(), name
    card = json.loads((tmp_path / "scorecard.json").read_text())
    assert card["flows_source"] == "flows.csv"
    summary = pd.read_csv(tmp_path / "summary.csv")
    assert len(summary) == card["n_portfolios"]
    assert not (tmp_path / "summary.csv").read_text().startswith("#")


def test_grades_read_as_schools_write_them() -> None:
    from feeder.io.plan_tables import grades_served

    grades = pd.DataFrame(
        {
            "grade_lo": pd.array([0, -1, 9, 0, None], dtype="Int64"),
            "grade_hi": pd.array([0, 5, 12, 8, None], dtype="Int64"),
        }
    )
    assert grades_served(grades) == ["K", "PK-5", "9-12", "K-8", ""]


def test_geojson_names_each_schools_meeting_site(sample: District) -> None:
    """The meeting site is readable in portfolios.geojson: its id, its name, and the km to it."""
    plan = Plan.current(sample)
    features = json.loads(plan.to_geojson())["features"]
    names = dict(zip(sample.schools["school_id"], sample.schools["name"], strict=True))
    coordinates = zip(sample.schools["lat"], sample.schools["lon"], strict=True)
    sites = dict(zip(sample.schools["school_id"], coordinates, strict=True))
    for feature in features:
        site = feature["properties"]["meeting_site"]
        assert feature["properties"]["meeting_site_name"] == names[site]
        school = sites[feature["properties"]["school_id"]]
        expected = haversine_km(school[0], school[1], sites[site][0], sites[site][1])
        assert feature["properties"]["km_to_meeting_site"] == pytest.approx(float(expected), abs=1e-3)


def test_a_cell_longer_than_csv_and_excel_limits_reads_and_shares(make_district, tmp_path: Path) -> None:
    """A GIS export's geometry (WKT) or a pasted note beyond the csv module's 131,072-character cell
    limit reads, is kept whole in the CSVs, and is cut to Excel's 32,767 characters in plan.xlsx."""
    shape = "POLYGON ((" + ", ".join(f"-77.{i:06d} 39.{i:06d}" for i in range(8_000)) + "))"
    assert len(shape) > 131_072
    schools = [
        {"school_id": s, "name": f"School {s}", "level": "elementary", "lat": f"39.0{i}", "lon": f"-77.0{i}"}
        for i, s in enumerate(["A", "B"])
    ]
    schools.append(
        {
            "school_id": "M",
            "name": "Middle " + "x" * 40_000,
            "level": "middle",
            "lat": "39.05",
            "lon": "-77.05",
        }
    )
    for school in schools:
        school["zone_wkt"] = shape
    district = load_district(make_district(schools, [("A", "M", 40), ("B", "M", 30)]))
    assert district.schools["zone_wkt"].str.len().tolist() == [len(shape)] * 3
    plan = Plan(district, np.array(["P", "P", "P"], dtype=object))
    book = openpyxl.load_workbook(io.BytesIO(plan_workbook(plan)))
    cells = [
        cell.value for row in book["portfolios"].iter_rows() for cell in row if isinstance(cell.value, str)
    ]
    assert max(len(text) for text in cells) == 32_767
    assert any(text.startswith("Middle xxx") and text.endswith("…") for text in cells)
