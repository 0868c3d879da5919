"""`feeder check`: every problem of a district at once, each at its file, row and column."""

from __future__ import annotations

import shutil
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from synthetic import generate_boundaries, generate_district, write_district

from feeder.cli import main
from feeder.district import load_district
from feeder.errors import FeederError
from feeder.lint import ERROR, WARNING, lint_district
from feeder.sample import sample_path


def damaged_lcps(lcps_path: Path, folder: Path) -> Path:
    """Loudoun with one planted problem of each kind the linter knows (rows as a spreadsheet counts)."""
    shutil.copytree(lcps_path, folder)
    schools = pd.read_csv(folder / "schools.csv", dtype=str, keep_default_na=False)
    flows = pd.read_csv(folder / "flows.csv", dtype=str, keep_default_na=False)
    schools.loc[0, ["grade_lo", "grade_hi"]] = ["9", "12"]  # row 2: elementary with high-school grades
    schools.loc[1, "lat"] = "39,043385"  # row 3: decimal comma
    schools.loc[2, "lon"] = "-999"  # row 4: placeholder
    schools.loc[3, ["lat", "lon"]] = schools.loc[4, ["lat", "lon"]].tolist()  # row 5: same site as row 6
    schools.loc[6, "enrollment"] = "inf"  # row 8
    schools.loc[7, "lat"] = "45.5"  # row 9: far from every peer
    schools.to_csv(folder / "schools.csv", index=False)
    flows.loc[0, "students"] = "25,5"  # row 2
    flows.loc[1, "to_id"] = flows.loc[1, "from_id"]  # row 3: self-loop
    flows.loc[2, "from_id"] = "X" + flows.loc[2, "from_id"]  # row 4: unknown id
    high = schools.loc[schools["level"] == "high", "school_id"].iloc[0]
    middle = schools.loc[schools["level"] == "middle", "school_id"].iloc[0]
    extra = pd.DataFrame([[high, middle, "10"]], columns=flows.columns)  # last row: against the level order
    pd.concat([flows, extra]).to_csv(folder / "flows.csv", index=False)
    return folder


def test_every_planted_problem_is_listed_at_its_cell(tmp_path, lcps_path) -> None:
    problems = lint_district(damaged_lcps(lcps_path, tmp_path / "lcps"))
    errors = {(p.file, p.row, p.column) for p in problems if p.severity == ERROR}
    warnings = {(p.file, p.row, p.column) for p in problems if p.severity == WARNING}
    last_flow = len(pd.read_csv(tmp_path / "lcps" / "flows.csv")) + 1
    assert {
        ("schools.csv", 2, "level"),
        ("schools.csv", 3, "lat"),
        ("schools.csv", 4, "lon"),
        ("schools.csv", 8, "enrollment"),
        ("schools.csv", 9, "lat"),
        ("flows.csv", 2, "students"),
        ("flows.csv", 3, "to_id"),
        ("flows.csv", last_flow, "to_id"),
    } <= errors
    assert {("schools.csv", 6, "lat"), ("flows.csv", 4, "from_id")} <= warnings
    assert all(p.severity == ERROR for p in problems[: len(errors)]), "errors come first"


def test_lost_leading_zeros_are_named(tmp_path) -> None:
    folder = tmp_path / "sample"
    shutil.copytree(sample_path(), folder)
    flows = pd.read_csv(folder / "flows.csv", dtype=str, keep_default_na=False)
    zero_led = flows["from_id"].str.startswith("0")
    flows.loc[zero_led, "from_id"] = flows.loc[zero_led, "from_id"].str.lstrip("0")
    flows.to_csv(folder / "flows.csv", index=False)
    lines = [p.line() for p in lint_district(folder) if p.severity == WARNING and p.file == "flows.csv"]
    assert len(lines) == 1 and "leading zeros" in lines[0]  # one line for the column, not one per row
    original = pd.read_csv(sample_path() / "flows.csv", dtype=str)["from_id"]
    first = int(zero_led.to_numpy().argmax())
    assert f"{zero_led.sum()} id(s) written otherwise" in lines[0]
    assert f"e.g. '{original[first].lstrip('0')}' as '{original[first]}'" in lines[0]


def test_cli_lists_errors_and_warnings_apart_and_exits_2(tmp_path, lcps_path, capsys) -> None:
    folder = damaged_lcps(lcps_path, tmp_path / "lcps")
    assert main(["check", str(folder)]) == 2
    out = capsys.readouterr().out
    errors_at, warnings_at = out.index("errors:"), out.index("warnings:")
    assert errors_at < warnings_at
    assert "schools.csv, row 2, column 'level':" in out[errors_at:warnings_at]
    assert "flows.csv, row 4, column 'from_id':" in out[warnings_at:]
    assert main(["graph", str(folder)]) == 2
    assert "run `feeder check`" in capsys.readouterr().err


@pytest.mark.parametrize("clean", ["lcps", "sample"])
def test_clean_districts_pass(lcps_path, capsys, clean) -> None:
    folder = lcps_path if clean == "lcps" else sample_path()
    assert main(["check", str(folder)]) == 0
    assert "0 error(s)" in capsys.readouterr().out


HOSTILE = st.one_of(
    st.text(max_size=10),
    st.sampled_from(
        ["25,5", "1,234", "inf", "-inf", "nan", "1e400", "-999", "=cmd()", "[/x]", "\x1b[2J", ";", '"']
    ),
    # cells read otherwise than written (level words, suppressed numbers, flows of 0)
    st.sampled_from(["ES", "Junior High", "K-8", "*", "N/A", "<10", "0", "-", "-3"]),
)


def two_schools() -> list[dict[str, str]]:
    """An elementary school and the middle school it feeds: the smallest district every check reads."""
    return [
        {"school_id": "E1", "name": "E", "level": "elementary", "grade_lo": "K", "grade_hi": "5", "lat": "39.0",
         "lon": "-77.5", "enrollment": "500"},
        {"school_id": "M1", "name": "M", "level": "middle", "grade_lo": "6", "grade_hi": "8", "lat": "39.1",
         "lon": "-77.4", "enrollment": "700"},
    ]  # fmt: skip


@given(cell=HOSTILE, column=st.sampled_from(["school_id", "lat", "lon", "enrollment", "grade_hi", "level"]),
       flow_cell=HOSTILE)  # fmt: skip
@settings(max_examples=60, deadline=None)
def test_the_linter_reports_hostile_cells_and_never_crashes(make_district, cell, column, flow_cell) -> None:
    schools = two_schools()
    schools[0][column] = cell
    folder = make_district(schools, [("E1", "M1", flow_cell)])
    problems = lint_district(folder)
    for problem in problems:
        assert "\n" not in problem.line()
    try:
        load_district(folder)
    except FeederError as error:
        assert any(p.severity == ERROR for p in problems), f"load refused ({error}) but check found no error"
    else:
        assert not any(p.severity == ERROR for p in problems), (
            f"load accepted what check calls an error: {problems}"
        )


# Sites and flow sources the loader warns of: `check` said "the data can be used" on LAUSD's list
# without its two wrong geocodes, or that every flow would be guessed from the sites.


@pytest.mark.parametrize("seed", range(2))
def test_a_wrong_geocode_is_named_at_its_row(tmp_path, seed) -> None:
    schools, flows = generate_district(320, seed, n_regions=2)
    moved = int(np.random.default_rng(seed).integers(1, len(schools)))
    schools.loc[moved, "lat"] = schools["lat"].max() + 0.6  # 65 km north of its region
    schools.loc[0, "lat"] = np.nan  # a blank site above it: rows still count every line
    folder = write_district(tmp_path, schools, flows)
    far = [p for p in lint_district(folder) if "far outside" in p.text]
    assert [(p.severity, p.file, p.row, p.column) for p in far] == [
        (WARNING, "schools.csv", moved + 2, "lat")
    ]
    assert f"'{schools.loc[moved, 'school_id']}' ({schools.loc[moved, 'name']}) is " in far[0].text
    nameless = write_district(tmp_path / "nameless", schools.drop(columns=["name"]), flows)
    far = [p for p in lint_district(nameless) if "far outside" in p.text]  # the check crashed (KeyError)
    assert [p.row for p in far] == [moved + 2] and f"'{schools.loc[moved, 'school_id']}' is " in far[0].text


def test_without_flows_check_says_where_they_will_come_from(tmp_path) -> None:
    schools, flows = generate_district(60, seed=1)
    folder = write_district(tmp_path / "zones", schools, flows, generate_boundaries(schools))
    (folder / "flows.csv").unlink()
    notes = [p.line() for p in lint_district(folder) if p.file == "flows.csv"]
    assert notes == [
        "flows.csv: not in the folder: flows will be inferred from boundaries.geojson (see feeder infer)"
    ]
    (folder / "boundaries.geojson").unlink()
    notes = [p for p in lint_district(folder) if p.file == "flows.csv"]
    assert (
        len(notes) == 1 and notes[0].severity == WARNING and "rough nearest-school estimate" in notes[0].text
    )
    write_district(tmp_path / "observed", schools, flows)
    assert [p for p in lint_district(tmp_path / "observed") if p.file == "flows.csv"] == []


# `check` said "the data can be used" where every other command refused the data (black-box fuzz):
# files it does not read cell by cell, and a district whose flows cannot be inferred.


def sample_copy(folder: Path) -> Path:
    shutil.copytree(sample_path(), folder)
    return folder


def spatial_schools_with_a_polygon(folder: Path) -> str:
    schools = pd.read_csv(folder / "schools.csv", dtype=str, keep_default_na=False)
    sites = gpd.points_from_xy(schools["lon"].astype(float), schools["lat"].astype(float))
    frame = gpd.GeoDataFrame(schools.drop(columns=["lat", "lon"]), geometry=sites, crs=4326)
    frame.loc[1, "geometry"] = frame.loc[1, "geometry"].buffer(0.001)  # a building footprint
    frame.to_file(folder / "schools.geojson", driver="GeoJSON")
    (folder / "schools.csv").unlink()
    return "schools.geojson, row 3, column 'geometry': school sites must be points"


def only_high_schools(folder: Path) -> str:
    schools = pd.read_csv(folder / "schools.csv", dtype=str, keep_default_na=False)
    schools[schools["level"] == "high"].to_csv(folder / "schools.csv", index=False)
    (folder / "flows.csv").unlink()
    return "no school teaches the grade after another school's highest grade"


def assignments_of_another_district(folder: Path) -> str:
    (folder / "flows.csv").unlink()
    (folder / "assignments.csv").write_text("unit_id,elementary_id,middle_id,high_id\nU1,E9,M9,H9\n")
    return "no flows could be inferred from assignments.csv: no unit with students above 0 names a school"


@pytest.mark.parametrize(
    "damage", [spatial_schools_with_a_polygon, only_high_schools, assignments_of_another_district]
)
def test_check_refuses_what_loading_refuses(tmp_path, capsys, damage) -> None:
    folder = sample_copy(tmp_path / "sample")
    expected = damage(folder)
    assert main(["check", str(folder)]) == 2
    out = capsys.readouterr().out
    assert "1 error:" in out and expected in out and "can be used" not in out
    assert main(["graph", str(folder)]) == 2
    assert expected in capsys.readouterr().err


def test_malformed_program_tags_are_errors_at_each_row_as_align_refuses_them(tmp_path, capsys) -> None:
    folder = sample_copy(tmp_path / "sample")
    schools = pd.read_csv(folder / "schools.csv", dtype=str, keep_default_na=False)
    schools.loc[4, "programs"] = "magnet:"
    schools.loc[9, "programs"] = "dual_language:spanish; a:b:c"
    schools.to_csv(folder / "schools.csv", index=False)
    errors = [(p.row, p.column, p.text) for p in lint_district(folder) if p.severity == ERROR]
    assert [(row, column) for row, column, _ in errors] == [(6, "programs"), (11, "programs")]
    assert "tag 'magnet:' has an empty value" in errors[0][2] and "more than one ':'" in errors[1][2]
    assert main(["align", str(folder), "--out", str(tmp_path / "out")]) == 2
    assert "row 6, column 'programs'" in capsys.readouterr().err


def test_a_school_without_a_portfolio_is_a_warning_at_its_row(tmp_path, capsys) -> None:
    """Design still runs; scoring, mapping and reporting today's plan refuse it."""
    folder = sample_copy(tmp_path / "sample")
    schools = pd.read_csv(folder / "schools.csv", dtype=str, keep_default_na=False)
    schools.loc[7, "portfolio"] = ""
    schools.to_csv(folder / "schools.csv", index=False)
    blank = [p for p in lint_district(folder) if p.column == "portfolio"]
    assert [(p.severity, p.row) for p in blank] == [(WARNING, 9)]
    assert f"'{schools.loc[7, 'school_id']}' has no portfolio while others have one" in blank[0].text
    assert main(["score", str(folder)]) == 2
    assert "row 9, column 'portfolio'" in capsys.readouterr().err
    schools["portfolio"] = ""  # no plan today at all: nothing to warn of
    schools.to_csv(folder / "schools.csv", index=False)
    assert [p for p in lint_district(folder) if p.column == "portfolio"] == []


def test_a_flow_count_out_of_range_is_one_error_not_also_a_300_digit_total(make_district) -> None:
    problems = lint_district(make_district(two_schools(), [("E1", "M1", "1e308")]))
    assert [(p.severity, p.row, p.column) for p in problems if p.file == "flows.csv"] == [
        (ERROR, 2, "students")
    ]


def test_many_shared_campuses_are_one_warning(lausd_path) -> None:
    """LAUSD's 26 schools at an earlier row's site (15 campuses) are one line, not 26."""
    shared = [
        p for p in lint_district(lausd_path) if "site of an earlier row" in p.text or "same site as" in p.text
    ]
    assert len(shared) == 1 and shared[0].severity == WARNING
    assert shared[0].text.startswith("26 rows share the site of an earlier row, on 15 sites")
    assert "rows 58, 66 as row 54; 68, 77 as row 67" in shared[0].text and shared[0].row == 58


def test_projected_coordinates_in_lat_lon_are_named_as_such(lcps_path, tmp_path, capsys) -> None:
    """A GIS export in state-plane feet: 'outside -90..90 (swapped?)' pointed the wrong way."""
    schools = pd.read_csv(lcps_path / "schools.csv", dtype=str)
    feet = gpd.GeoSeries(
        gpd.points_from_xy(schools["lon"].astype(float), schools["lat"].astype(float)), crs=4326
    )
    feet = feet.to_crs("EPSG:2283")
    schools["lat"], schools["lon"] = feet.y.round(1).astype(str), feet.x.round(1).astype(str)
    schools.to_csv(tmp_path / "schools.csv", index=False)
    shutil.copy(lcps_path / "flows.csv", tmp_path / "flows.csv")
    first = next(p for p in lint_district(tmp_path) if p.severity == ERROR)
    assert (first.row, first.column) == (2, "lat") and "looks like a projected coordinate" in first.text
    assert main(["graph", str(tmp_path)]) == 2
    assert "looks like a projected coordinate (metres or feet), not degrees" in capsys.readouterr().err
