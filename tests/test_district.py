"""The loader: bad exports fail with one line naming file, row and column; odd valid ones load."""

from __future__ import annotations

import re
import subprocess
import sys

import geopandas as gpd
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


def test_unknown_ids_dropped_with_warning(make_district):
    flows = [*FLOWS, ("E1", "X9", "3"), ("ZZ", "H1", "4"), ("E2", "OUT", "7")]
    district = load_district(make_district(schools(), flows))
    assert len(district.warnings) == 1
    warning = district.warnings[0]
    assert warning.startswith("flows.csv: 2 flow(s)")
    assert "X9" in warning and "ZZ" in warning
    assert set(district.flows["from_id"]) == {"E1", "E2", "M1"}
    assert ("E2", "OUT", 7.0) in set(district.flows.itertuples(index=False, name=None))


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
