"""The loader: bad exports fail with one line naming file, row and column; odd valid ones load."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest

from feeder.cli import main
from feeder.district import load_district
from feeder.errors import FeederError


def schools() -> list[dict]:
    """Four schools a few km apart in Loudoun County: two elementary, a middle, a high."""
    return [
        {
            "school_id": "E1",
            "name": "Elm",
            "level": "elementary",
            "lat": "39.00",
            "lon": "-77.50",
            "enrollment": "400",
        },
        {
            "school_id": "E2",
            "name": "Oak",
            "level": "elementary",
            "lat": "39.02",
            "lon": "-77.52",
            "enrollment": "350",
        },
        {
            "school_id": "M1",
            "name": "Mid",
            "level": "middle",
            "lat": "39.01",
            "lon": "-77.48",
            "enrollment": "900",
        },
        {
            "school_id": "H1",
            "name": "High",
            "level": "high",
            "lat": "39.03",
            "lon": "-77.47",
            "enrollment": "1500",
        },
    ]


FLOWS = [("E1", "M1", "60"), ("E2", "M1", "40"), ("M1", "H1", "90")]


def with_cell(rows: list[dict], index: int, column: str, value: str) -> list[dict]:
    rows[index][column] = value
    return rows


def without_column(rows: list[dict], column: str) -> list[dict]:
    return [{k: v for k, v in row.items() if k != column} for row in rows]


def swapped(rows: list[dict], index: int) -> list[dict]:
    rows[index]["lat"], rows[index]["lon"] = rows[index]["lon"], rows[index]["lat"]
    return rows


# (case id, schools rows, flow rows, file, 1-based row incl. header, column)
BAD_INPUTS = [
    ("missing column", without_column(schools(), "lat"), FLOWS, "schools.csv", 1, "lat"),
    ("duplicate id", with_cell(schools(), 2, "school_id", "E1"), FLOWS, "schools.csv", 4, "school_id"),
    ("latitude out of range", with_cell(schools(), 1, "lat", "91.5"), FLOWS, "schools.csv", 3, "lat"),
    ("lat/lon swapped", swapped(schools(), 3), FLOWS, "schools.csv", 5, "lat"),
    (
        "non-numeric enrollment",
        with_cell(schools(), 2, "enrollment", "TBD"),
        FLOWS,
        "schools.csv",
        4,
        "enrollment",
    ),
    ("unknown level", with_cell(schools(), 1, "level", "alternative"), FLOWS, "schools.csv", 3, "level"),
    ("unknown grade", with_cell(schools(), 0, "grade_lo", "Q"), FLOWS, "schools.csv", 2, "grade_lo"),
    ("negative students", schools(), [("E1", "M1", "60"), ("E2", "M1", "-4")], "flows.csv", 3, "students"),
    ("non-numeric students", schools(), [("E1", "M1", "many")], "flows.csv", 2, "students"),
    ("high to middle", schools(), [*FLOWS, ("H1", "M1", "5")], "flows.csv", 5, "to_id"),
    ("middle to elementary", schools(), [("M1", "E2", "5"), *FLOWS], "flows.csv", 2, "to_id"),
    ("missing flow column", schools(), None, "flows.csv", 1, "students"),
]


@pytest.mark.parametrize(
    ("school_rows", "flow_rows", "file", "row", "column"),
    [case[1:] for case in BAD_INPUTS],
    ids=[case[0] for case in BAD_INPUTS],
)
def test_bad_input_names_file_row_and_column(make_district, school_rows, flow_rows, file, row, column):
    folder = make_district(school_rows, flow_rows or [])
    if flow_rows is None:
        (folder / "flows.csv").write_text("from_id,to_id\nE1,M1\n")
    with pytest.raises(FeederError) as caught:
        load_district(folder)
    message = str(caught.value)
    assert message.startswith(f"{file}, row {row}, column '{column}': "), message
    assert "\n" not in message


@pytest.mark.parametrize("file", ["schools.csv", "flows.csv"])
def test_empty_file_names_file_and_row(make_district, file):
    folder = make_district(schools(), FLOWS)
    (folder / file).write_text("")
    with pytest.raises(FeederError, match=rf"^{re.escape(file)}, row 1: the file is empty"):
        load_district(folder)


@pytest.mark.parametrize("file", ["schools.csv", "flows.csv"])
def test_header_only_names_file_and_row(make_district, file):
    folder = make_district(schools(), FLOWS)
    header = (folder / file).read_text().splitlines()[0]
    (folder / file).write_text(header + "\n")
    with pytest.raises(
        FeederError, match=rf"^{re.escape(file)}, row 2: the file has a header but no data rows"
    ):
        load_district(folder)


def test_name_of_the_current_folder(make_district, monkeypatch):
    folder = make_district(schools(), FLOWS)
    monkeypatch.chdir(folder)
    assert load_district(".").name == folder.name


def test_not_a_folder(tmp_path):
    with pytest.raises(FeederError, match="not a district folder"):
        load_district(tmp_path / "nowhere")


def test_cli_error_is_one_line_exit_2(make_district):
    folder = make_district(with_cell(schools(), 1, "lat", "91.5"), FLOWS)
    done = subprocess.run(
        [sys.executable, "-m", "feeder.cli", "graph", str(folder)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "Traceback" not in done.stderr + done.stdout
    assert lines[0].startswith("error: schools.csv, row 3, column 'lat': ")


@pytest.mark.parametrize("case", BAD_INPUTS, ids=[case[0] for case in BAD_INPUTS])
def test_cli_main_reports_every_bad_input_in_one_line(make_district, capsys, case):
    _, school_rows, flow_rows, file, row, column = case
    folder = make_district(school_rows, flow_rows or [])
    if flow_rows is None:
        (folder / "flows.csv").write_text("from_id,to_id\nE1,M1\n")
    assert main(["graph", str(folder)]) == 2
    captured = capsys.readouterr()
    assert captured.err.count("\n") == 1
    assert captured.err.startswith(f"error: {file}, row {row}, column '{column}': ")
    assert "Traceback" not in captured.err + captured.out


def test_utf8_bom_and_stray_spaces(tmp_path):
    (tmp_path / "schools.csv").write_bytes(
        "\ufeff school_id , Name ,level , lat,lon \n"
        " E1 ,  Elm School , elementary ,39.0, -77.5\n"
        "H1,High,  high,39.01,-77.49 \n".encode()
    )
    (tmp_path / "flows.csv").write_text(" from_id , to_id ,students\n E1 , H1 , 12 \n")
    district = load_district(tmp_path)
    assert district.ids == ["E1", "H1"]
    assert district.schools["name"].tolist() == ["Elm School", "High"]
    assert district.schools["level"].tolist() == ["elementary", "high"]
    assert district.flows.to_dict("records") == [{"from_id": "E1", "to_id": "H1", "students": 12.0}]


def test_trailing_blank_rows_from_spreadsheets_ignored(tmp_path):
    (tmp_path / "schools.csv").write_text(
        "school_id,name,level,lat,lon\nE1,Elm,elementary,39,-77.5\n,,,,\nH1,High,high,39.01,-77.49\n,,,,\n, ,,,\n"
    )
    (tmp_path / "flows.csv").write_text("from_id,to_id,students\nE1,H1,3\n,,\n")
    with pytest.raises(FeederError, match=r"^schools.csv, row 3, column 'school_id': school_id is empty"):
        load_district(tmp_path)
    (tmp_path / "schools.csv").write_text(
        "school_id,name,level,lat,lon\nE1,Elm,elementary,39,-77.5\nH1,High,high,39.01,-77.49\n,,,,\n, ,,,\n"
    )
    district = load_district(tmp_path)
    assert district.ids == ["E1", "H1"]
    assert len(district.flows) == 1


def test_cp1252_names(tmp_path):
    (tmp_path / "schools.csv").write_bytes(
        "school_id,name,level,lat,lon\nE1,Peñasco Elementary,elementary,36.17,-105.69\n"
        "H1,Española Valley High,high,35.99,-106.07\n".encode("cp1252")
    )
    (tmp_path / "flows.csv").write_text("from_id,to_id,students\nE1,H1,30\n")
    district = load_district(tmp_path)
    assert district.schools["name"].tolist() == ["Peñasco Elementary", "Española Valley High"]


def test_schools_without_a_name_are_shown_by_id_with_one_warning(make_district):
    rows = with_cell(with_cell(schools(), 1, "name", ""), 3, "name", "  ")
    district = load_district(make_district(rows, [("E1", "H1", "10")]))
    names = district.schools.set_index("school_id")["name"]
    ids = district.ids
    assert names[ids[1]] == ids[1] and names[ids[3]] == ids[3]
    assert names[ids[0]] == schools()[0]["name"]
    [warning] = [w for w in district.warnings if "empty name" in w]
    assert warning.startswith(f"2 schools have an empty name ({ids[1]}, {ids[3]})")


def test_leading_zeros_kept(make_district):
    rows = [dict(row, school_id=f"00{i}") for i, row in enumerate(schools(), start=1)]
    district = load_district(make_district(rows, [("001", "003", "10"), ("003", "004", "8")]))
    assert district.ids == ["001", "002", "003", "004"]
    assert set(district.flows["from_id"]) == {"001", "003"}


GRADE_SPANS = [
    ("K", "5", "elementary", 0, 5),
    ("6", "8", "middle", 6, 8),
    ("9", "12", "high", 9, 12),
    ("K", "8", "span", 0, 8),
    ("6", "12", "span", 6, 12),
    ("K", "12", "span", 0, 12),
    ("TK", "5", "elementary", -1, 5),
    ("PK", "8", "span", -1, 8),
    ("k", "2", "elementary", 0, 2),
    ("pk", "K", "elementary", -1, 0),
]


def test_level_derived_from_grades(make_district):
    rows = [
        {
            "school_id": f"S{i}",
            "name": f"School {i}",
            "grade_lo": lo,
            "grade_hi": hi,
            "lat": "39.0",
            "lon": "-77.5",
        }
        for i, (lo, hi, *_) in enumerate(GRADE_SPANS)
    ]
    district = load_district(make_district(rows, [("S0", "S1", "1")]))
    loaded = district.schools[["level", "grade_lo", "grade_hi"]].astype(object)
    assert [tuple(row) for row in loaded.itertuples(index=False)] == [span[2:] for span in GRADE_SPANS]


def test_level_column_wins_and_fills_default_grades(make_district):
    rows = with_cell(schools(), 3, "level", "HIGH")
    rows[0]["level"] = ""
    rows[0]["grade_lo"], rows[0]["grade_hi"] = "K", "4"
    district = load_district(make_district(rows, FLOWS))
    assert district.schools["level"].tolist() == ["elementary", "elementary", "middle", "high"]
    assert district.schools["grade_lo"].tolist() == [0, 0, 6, 9]
    assert district.schools["grade_hi"].tolist() == [4, 5, 8, 12]


@pytest.mark.parametrize(("file", "driver"), [("schools.geojson", "GeoJSON"), ("schools.gpkg", "GPKG")])
def test_point_files_in_another_crs(tmp_path, file, driver):
    rows = [dict(row, school_id=f"0{i}") for i, row in enumerate(schools())]
    frame = gpd.GeoDataFrame(
        [without_column([row], "lat")[0] for row in rows],
        geometry=gpd.points_from_xy([float(r["lon"]) for r in rows], [float(r["lat"]) for r in rows]),
        crs="EPSG:4326",
    ).drop(columns="lon")
    frame["enrollment"] = frame["enrollment"].astype(int)
    frame.to_crs("EPSG:3857").to_file(tmp_path / file, driver=driver)
    (tmp_path / "flows.csv").write_text("from_id,to_id,students\n00,02,60\n02,03,50\n")
    district = load_district(tmp_path)
    assert district.ids == ["00", "01", "02", "03"]
    assert district.schools.crs.to_epsg() == 4326
    assert district.schools["lat"].tolist() == pytest.approx([float(r["lat"]) for r in rows])
    assert district.schools["lon"].tolist() == pytest.approx([float(r["lon"]) for r in rows])
    assert district.schools["enrollment"].tolist() == [400, 350, 900, 1500]
    assert district.schools["level"].tolist() == ["elementary", "elementary", "middle", "high"]


def test_repeated_flows_summed(make_district):
    flows = [("E1", "M1", "20"), ("E1", "M1", "5.5"), ("M1", "H1", "30"), ("E1", "M1", "1,000")]
    district = load_district(make_district(schools(), flows))
    got = {(r.from_id, r.to_id): r.students for r in district.flows.itertuples()}
    assert got == {("E1", "M1"): 1025.5, ("M1", "H1"): 30.0}


def test_unknown_senders_dropped_and_unknown_receivers_leave_with_warnings(make_district):
    flows = [*FLOWS, ("E1", "X9", "3"), ("ZZ", "H1", "4"), ("E2", "OUT", "7")]
    district = load_district(make_district(schools(), flows))
    dropped, leaving = district.warnings
    assert dropped.startswith("flows.csv: 1 flow(s) come from schools not in") and dropped.endswith(
        "left out: ZZ"
    )
    assert (
        leaving.startswith("flows.csv: 1 flow(s) go to schools not in") and "leaving the district" in leaving
    )
    assert "X9" in leaving
    assert set(district.flows["from_id"]) == {"E1", "E2", "M1"}
    assert {("E2", "OUT", 7.0), ("E1", "OUT", 3.0)} <= set(district.flows.itertuples(index=False, name=None))


def lcps_copy(lcps_path: Path, folder: Path) -> Path:
    """A writable copy of Loudoun's folder."""
    shutil.copytree(lcps_path, folder)
    for path in folder.iterdir():
        path.chmod(0o644)
    return folder


def by_pair(flows: pd.DataFrame) -> pd.Series:
    return flows.set_index(["from_id", "to_id"])["students"].sort_index()


def test_flows_of_several_school_years_are_averaged_and_check_says_so(lcps_path, tmp_path, capsys):
    """Three years of Loudoun's flows, summed, would triple every count (40,870 students for 13,623)."""
    folder = lcps_copy(lcps_path, tmp_path / "years")
    truth = load_district(lcps_path).flows
    years = [truth.assign(year=str(year)) for year in (2021, 2022, 2023)]
    years[2] = years[2].iloc[1:]  # the first pair has no students in 2023
    pd.concat(years)[["year", "from_id", "to_id", "students"]].to_csv(folder / "flows.csv", index=False)
    district = load_district(folder)
    expected = truth.assign(students=truth["students"] * [2 / 3, *[1.0] * (len(truth) - 1)])
    assert by_pair(district.flows).to_numpy() == pytest.approx(by_pair(expected).to_numpy())
    assert district.flows["students"].sum() == pytest.approx(
        truth["students"].sum() - truth["students"].iloc[0] / 3
    )
    note = "flows are averaged over the 3 school years of column 'year' (2021, 2022, 2023)"
    assert [w for w in district.warnings if note in w] == [
        f"flows.csv: {note}: students per year, a pair missing in a year counting 0 there"
    ]
    assert main(["check", str(folder)]) == 0
    out = capsys.readouterr().out
    assert note in out and "one grade of its enrollment" not in out


def test_flows_of_one_school_year_are_read_as_given(lcps_path, tmp_path):
    folder = lcps_copy(lcps_path, tmp_path / "one-year")
    truth = load_district(lcps_path).flows
    truth.assign(school_year="2023-24").to_csv(folder / "flows.csv", index=False)
    district = load_district(folder)
    assert by_pair(district.flows).equals(by_pair(truth)) and district.warnings == []


def test_flows_to_schools_outside_the_district_count_as_leaving(lcps_path, tmp_path, capsys):
    """A charter or private school named by its own id takes students out of the district: leakage."""
    folder = lcps_copy(lcps_path, tmp_path / "charters")
    with (folder / "flows.csv").open("a") as flows:
        flows.write("CTY,PRIV9,300\nMSE,CHARTER1,40\n")
    district = load_district(folder)
    leaving = district.flows[district.flows["to_id"] == "OUT"]
    assert dict(zip(leaving["from_id"], leaving["students"], strict=True)) == {"CTY": 300.0, "MSE": 40.0}
    assert [w for w in district.warnings if "CHARTER1, PRIV9" in w and "leaving the district" in w]
    assert main(["graph", str(folder), "--json"]) == 0
    leakage = json.loads(capsys.readouterr().out)["leakage"]
    assert leakage["students"] == 340 and leakage["schools"] == {"CTY": 300, "MSE": 40}
    assert main(["check", str(folder)]) == 0
    out = capsys.readouterr().out
    assert out.count("the flow counts as leaving the district") == 2 and "left out" not in out


def graded(spans: list[str]) -> list[dict]:
    """schools() with a `grades` column in place of their levels."""
    rows = schools()
    for row, span in zip(rows, spans, strict=True):
        del row["level"]
        row["grades"] = span
    return rows


def test_single_grades_of_state_directories_are_spans_of_one_grade(make_district, capsys):
    """CDE lists kindergarten centres as `K` and grade-12 programs as `12`; pre-K centres are elementary."""
    rows = graded(["K-5", "K", "6-8", "9-12"])
    for school_id, span, lat in (("T1", "TK", "39.04"), ("P1", "PK", "39.05"), ("G1", "KG", "39.06")):
        rows.append({"school_id": school_id, "name": span, "lat": lat, "lon": "-77.49", "grades": span})
    rows.append({"school_id": "S1", "name": "Twelve", "lat": "39.07", "lon": "-77.46", "grades": "12"})
    folder = make_district(rows, FLOWS)
    got = load_district(folder).schools.set_index("school_id")
    assert got.loc[["E2", "T1", "P1", "G1", "S1"], "grade_lo"].tolist() == [0, -1, -1, 0, 12]
    assert got.loc[["E2", "T1", "P1", "G1", "S1"], "grade_hi"].tolist() == [0, -1, -1, 0, 12]
    assert got.loc[["E2", "T1", "P1", "G1", "S1"], "level"].tolist() == ["elementary"] * 4 + ["high"]
    assert main(["check", str(folder)]) == 0
    assert "not a grade span" not in capsys.readouterr().out


@pytest.mark.parametrize("span", ["UG", "PK-UG", "KG,01,02,03,04,05"])
def test_a_refused_grade_span_is_one_error_not_also_a_missing_level(make_district, capsys, span):
    folder = make_district(graded([span, "K-5", "6-8", "9-12"]), FLOWS)
    assert main(["check", str(folder)]) == 2
    errors = [line for line in capsys.readouterr().out.splitlines() if "row 2," in line]
    assert errors == [
        f"  schools.csv, row 2, column 'grades': '{span}' is not a grade span (write the "
        "lowest and highest grade, e.g. K-5)"
    ]
    with pytest.raises(FeederError, match=f"row 2, column 'grades': '{span}' is not a grade span"):
        load_district(folder)


def test_grades_are_read_where_grade_lo_and_grade_hi_are_blank(make_district, capsys):
    """Special-education and alternative programs often have no grade_lo/grade_hi but a `grades` span."""
    rows = schools()
    for row, (lo, hi) in zip(rows, [("0", "5"), ("0", "5"), ("6", "8"), ("", "")], strict=True):
        row.update(level="", grade_lo=lo, grade_hi=hi, grades="")
    rows[3]["grades"] = "PK-12"
    folder = make_district(rows, FLOWS)
    high = load_district(folder).schools.set_index("school_id").loc["H1"]
    assert (high["grade_lo"], high["grade_hi"], high["level"]) == (-1, 12, "span")
    assert main(["check", str(folder)]) == 0
    assert "read as grade_lo and grade_hi for 1 school (e.g. 'PK-12' as PK to 12)" in capsys.readouterr().out


def test_schools_without_enrollment_are_named_as_counting_0_in_totals(make_district, capsys):
    rows = schools()
    rows[0]["enrollment"], rows[2]["enrollment"] = "", "*"
    folder = make_district(rows, FLOWS)
    note = (
        "2 of 4 schools have no enrollment (E1, M1); their students count as 0 in portfolio totals, "
        "enrollment balance and --max-enrollment (give their enrollment)"
    )
    assert f"schools.csv: {note}" in load_district(folder).warnings
    assert main(["check", str(folder)]) == 0
    assert note in capsys.readouterr().out


def test_rows_below_feeders_comment_line_are_counted_as_a_spreadsheet_shows_them(make_district, capsys):
    """flows.csv written by feeder infer starts with a `#` line: errors must still name the file's row."""
    folder = make_district(schools(), [("E1", "M1", "60"), ("E2", "M1", "4,5"), ("M1", "H1", "90")])
    text = (folder / "flows.csv").read_text()
    (folder / "flows.csv").write_text(
        "# feeder: flows from boundaries (an estimate by feeder infer)\n" + text
    )
    with pytest.raises(FeederError, match=r"flows.csv, row 4, column 'students': '4,5' has a decimal comma"):
        load_district(folder)
    assert main(["check", str(folder)]) == 2
    assert "flows.csv, row 4, column 'students': '4,5' has a decimal comma" in capsys.readouterr().out
    (folder / "flows.csv").write_text(
        "# feeder: flows from boundaries (an estimate by feeder infer)\n" + text.replace("4,5", "45")
    )
    district = load_district(folder)
    assert district.flows_source == "boundaries" and len(district.flows) == 3


def test_lcps_loads(lcps_path):
    district = load_district(lcps_path)
    assert len(district.schools) == 90
    assert district.schools["level"].value_counts().to_dict() == {"elementary": 57, "middle": 17, "high": 16}
    assert district.warnings == []
    assert district.flows["students"].gt(0).all()


def test_k8_sending_to_a_middle_school_is_a_valid_flow(make_district):
    rows = schools()
    rows[0].update(level="span", grade_lo="K", grade_hi="8")
    district = load_district(make_district(rows, [("E1", "M1", "20"), ("M1", "H1", "90")]))
    assert district.flows.set_index(["from_id", "to_id"]).loc[("E1", "M1"), "students"] == 20


def test_middle_school_sending_to_a_k8_is_refused(make_district):
    rows = schools()
    rows[0].update(level="span", grade_lo="K", grade_hi="8")
    with pytest.raises(FeederError, match=r"flows.csv, row 2, column 'to_id'.*does not go up a level"):
        load_district(make_district(rows, [("M1", "E1", "20")]))


def test_statewide_district_spread_over_hundreds_of_km_loads(make_district):
    """Sites spread evenly over ~600 km (a Hawaii-sized district) are not mistaken for typos."""
    rows = [
        {
            "school_id": f"S{i}",
            "name": f"S{i}",
            "level": "elementary",
            "lat": f"{19.5 + i * 0.5:.2f}",
            "lon": "-155.5",
        }
        for i in range(12)
    ]
    rows[-1]["level"] = "middle"
    assert len(load_district(make_district(rows, [("S0", "S11", "30")])).schools) == 12


@pytest.mark.parametrize(
    ("file", "column", "cell", "fix"),
    [
        (
            "flows.csv",
            "students",
            "<10",
            "a suppressed count: give an estimate such as 5, or leave the row out",
        ),
        ("schools.csv", "need_index", "85%", "write the share as 0.85, or the number 85 without '%'"),
    ],
)
def test_a_cell_as_state_exports_write_it_says_what_to_write(lcps_path, tmp_path, file, column, cell, fix):
    """'write digits with '.' as the decimal mark' told a planner nothing about '<10' or '85%'."""
    for name in ("schools.csv", "flows.csv"):
        table = pd.read_csv(lcps_path / name, dtype=str, keep_default_na=False)
        if name == file:
            if column not in table.columns:
                table[column] = ""
            table.loc[0, column] = cell
        table.to_csv(tmp_path / name, index=False)
    with pytest.raises(FeederError) as error:
        load_district(tmp_path)
    assert str(error.value) == f"{file}, row 2, column '{column}': '{cell}' is not a number ({fix})"
