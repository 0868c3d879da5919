"""Red-team round 3 (issue 16): each failure class found on the current code, on Loudoun and the sample.

Every test here failed before its fix: a traceback or a three-line usage text instead of one
line, a crash (exit 1) on odd-but-real files, something written before a refusal, or a
message that blamed the wrong thing.
"""

from __future__ import annotations

import json
import shutil
import warnings
from pathlib import Path

import pandas as pd
import pytest
from synthetic import generate_boundaries, generate_district
from synthetic import write_district as write_generated

from feeder.cli import main
from feeder.design.effort import Effort
from feeder.district import load_district
from feeder.errors import FeederError, OptionError
from feeder.io.output import one_publication, write_files
from feeder.io.schools import level_word, split_grade_spans
from feeder.plan import Plan
from feeder.sample import sample_path
from feeder.spec import DesignSpec


def damaged(source: Path, folder: Path) -> Path:
    """A private, writable copy of a district folder to damage."""
    shutil.copytree(source, folder)
    for path in folder.iterdir():
        path.chmod(0o644)
    return folder


def set_cells(path: Path, column: str, values: dict[int, str]) -> None:
    """Set cells by spreadsheet row (header = 1) and write the CSV back."""
    table = pd.read_csv(path, dtype=str, keep_default_na=False)
    for row, value in values.items():
        table.loc[row - 2, column] = value
    table.to_csv(path, index=False)


def one_error_line(capsys: pytest.CaptureFixture, *args: object) -> str:
    """Run the CLI; it must exit 2 with exactly one line on stderr, an `error:` line."""
    code = main([str(a) for a in args])
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert code == 2 and len(lines) == 1 and lines[0].startswith("error: "), (code, err)
    return lines[0]


# Options: click's usage errors were three lines (Usage / Try / Error); 1e308 weights made NaN gains.


@pytest.mark.parametrize(
    ("flag", "value", "expected"),
    [
        ("--min-size", "nan", "--min-size 'nan': Input should be a valid integer"),
        ("--time-limit", "inf", "--time-limit 'inf': inf is not a finite number"),
        ("--balance", "1e308", "--balance '1e308': 1e+308 is beyond any sensible setting"),
        ("--max-enrollment", "1e308", "--max-enrollment '1e308': 1e+308 is beyond any sensible setting"),
    ],
)
def test_bad_option_values_are_one_line_naming_flag_and_value(
    capsys, tmp_path, lcps_path, flag, value, expected
) -> None:
    line = one_error_line(capsys, "design", lcps_path, "--out", tmp_path / "out", flag, value)
    assert expected in line and "Usage" not in line
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("command", "flag", "value", "expected"),
    [
        ("infer", "--out", "flows.csv", "--out flows.csv: looks like a file name, but --out names"),
        ("design", "--out", "plan/portfolios.csv", "(e.g. --out plan)"),
        ("run", "--maps", "maps/index.html", "--maps maps/index.html: looks like a file name"),
        ("design", "--out", "notes.txt", "--out notes.txt: is a file; --out names the folder"),
    ],
)
def test_an_output_folder_named_like_a_file_is_refused_before_any_work(
    capsys, tmp_path, monkeypatch, command, flag, value, expected
) -> None:
    """`infer --out flows.csv` wrote flows.csv/flows.csv, a folder the next command refused to read."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "notes.txt").write_text("the planner's own file\n")
    line = one_error_line(capsys, command, sample_path(), flag, value)
    assert expected in line
    assert sorted(path.name for path in tmp_path.iterdir()) == ["notes.txt"]
    assert (tmp_path / "notes.txt").read_text() == "the planner's own file\n"


def test_an_effort_without_end_is_refused() -> None:
    """--effort 1000000 ran the search for days (the red team's run was killed after 200 s)."""
    assert Effort.parse("max").level == 16
    with pytest.raises(OptionError, match=r"--effort 1000000 is above max \(16\); use --effort max or less"):
        Effort.parse("1000000")


def test_library_warnings_never_reach_the_terminal(capsys, tmp_path, lcps_path) -> None:
    """An unclosed ring made pyogrio print a RuntimeWarning and a source line above the error."""
    folder = damaged(lcps_path, tmp_path / "lcps")
    (folder / "flows.csv").unlink()
    (folder / "boundaries.geojson").write_text(
        '{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"school_id":"ALD"},'
        '"geometry":{"type":"Polygon","coordinates":[[[-77.5,39.0],[-77.4,39.0],[-77.4,39.1]]]}}]}'
    )
    with warnings.catch_warnings(record=True) as shown:
        warnings.simplefilter("always")  # as a terminal would show them
        assert one_error_line(capsys, "graph", folder).startswith("error: boundaries.geojson: ")
    assert [str(warning.message) for warning in shown] == []


# Outputs: a refusal at publication time had already created the folders of the set.


def test_a_refused_publication_creates_no_folder(tmp_path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "alternatives.csv").write_text("the planner's own notes\n")
    with pytest.raises(FeederError, match="not written by feeder"), one_publication():
        write_files(out / "default", {"portfolios.csv": "school_id,portfolio\n"})
        write_files(tmp_path / "maps", {"index.html": "<p>"})
        write_files(out, {"alternatives.csv": "name\n"})
    assert sorted(p.name for p in out.iterdir()) == ["alternatives.csv"]
    assert not (tmp_path / "maps").exists()


# Inferred flows: all-unknown or zero-student assignments and a header-only enrollment.csv crashed (exit 1).


@pytest.mark.parametrize(
    ("file", "text", "expected"),
    [
        (
            "assignments.csv",
            "unit_id,students,elementary_id,middle_id,high_id\nU1,10,ZZZ,YYY,XXX\n",
            "no flows could be inferred from assignments.csv",
        ),
        (
            "assignments.csv",
            "unit_id,students,elementary_id,middle_id,high_id\nU1,0,ALD,WMS,LCH\n",
            "no flows could be inferred from assignments.csv",
        ),
        (
            "assignments.csv",
            "unit_id,students,elementary_id,middle_id,high_id\nU1,1e300,ALD,WMS,LCH\n",
            "assignments.csv, row 2, column 'students': '1e300' is above 100000",
        ),
        (
            "enrollment.csv",
            "student_id,year,school_id,grade\n",
            "enrollment.csv, row 2: the file has a header",
        ),
    ],
)
def test_inferred_flows_refuse_unusable_sources_in_one_line(
    capsys, tmp_path, lcps_path, file, text, expected
) -> None:
    folder = damaged(lcps_path, tmp_path / "lcps")
    (folder / "flows.csv").unlink()
    (folder / file).write_text(text)
    assert expected in one_error_line(capsys, "infer", folder, "--out", tmp_path / "out")
    assert not (tmp_path / "out").exists()


# Files as real tools write them: UTF-16 (Excel "Unicode Text"), Excel's `sep=` line, an unclosed quote.


def test_utf16_files_are_read_as_text(tmp_path, lcps_path) -> None:
    folder = damaged(lcps_path, tmp_path / "lcps")
    for name in ("schools.csv", "flows.csv"):
        path = folder / name
        path.write_bytes(path.read_text(encoding="utf-8").encode("utf-16"))
    district, original = load_district(folder), load_district(lcps_path)
    assert district.ids == original.ids
    assert district.flows["students"].sum() == pytest.approx(original.flows["students"].sum())


def test_utf16_tab_separated_text_is_refused_as_tabs(tmp_path, lcps_path) -> None:
    folder = damaged(lcps_path, tmp_path / "lcps")
    path = folder / "schools.csv"
    path.write_bytes(path.read_text(encoding="utf-8").replace(",", "\t").encode("utf-16"))
    with pytest.raises(FeederError, match=r"schools.csv, row 1: columns are separated by tabs"):
        load_district(folder)


def test_excel_separator_line_is_understood(tmp_path, lcps_path) -> None:
    folder = damaged(lcps_path, tmp_path / "lcps")
    flows = folder / "flows.csv"
    flows.write_text("sep=,\n" + flows.read_text())
    assert load_district(folder).flows["students"].sum() == pytest.approx(13623.21)
    flows.write_text("sep=;\n" + (lcps_path / "flows.csv").read_text().replace(",", ";"))
    with pytest.raises(
        FeederError, match=r"flows.csv, row 1: the first line 'sep=;' says columns are separated"
    ):
        load_district(folder)


def test_a_quote_that_never_closes_is_named_at_its_row(tmp_path, lcps_path) -> None:
    """It swallowed the rest of the file, and the error blamed an empty lat two rows earlier."""
    folder = damaged(lcps_path, tmp_path / "lcps")
    schools = folder / "schools.csv"
    lines = schools.read_text().splitlines(keepends=True)
    lines[4] = lines[4].replace(",", ',"', 1)
    schools.write_text("".join(lines))
    with pytest.raises(
        FeederError, match=r"schools.csv, row 5: the cell starting '\".*' opens a quote that never"
    ):
        load_district(folder)


# Messages: a flow between two elementary schools was said to go "from a higher level to a lower one".


def test_a_flow_that_stays_at_one_level_is_not_called_downward(tmp_path, lcps_path) -> None:
    folder = damaged(lcps_path, tmp_path / "lcps")
    with (folder / "flows.csv").open("a") as flows:
        flows.write("ALD,MSE,10\n")
    with pytest.raises(FeederError) as refused:
        load_district(folder)
    message = str(refused.value)
    assert message.startswith("flows.csv, row 102, column 'to_id': flow from elementary school 'ALD' (K-5)")
    assert "does not go up a level" in message and "higher level to a lower" not in message


def test_a_span_school_without_a_lowest_grade_loads(tmp_path, lcps_path) -> None:
    """grade_hi without grade_lo made the direction check compare <NA> and crash (exit 1)."""
    folder = damaged(lcps_path, tmp_path / "lcps")
    set_cells(folder / "schools.csv", "level", {2: "span"})
    set_cells(folder / "schools.csv", "grade_lo", {2: ""})
    set_cells(folder / "schools.csv", "grade_hi", {2: "8"})
    set_cells(folder / "flows.csv", "from_id", {2: "MSE"})
    district = load_district(folder)
    assert ("MSE", "WMS") in set(zip(district.flows["from_id"], district.flows["to_id"], strict=True))


# Ids: a spreadsheet stripped the leading zeros of flows.csv, and 121 of the sample's flows were dropped.


@pytest.mark.parametrize("stripped", ["flows.csv", "schools.csv"])
def test_ids_that_lost_leading_zeros_are_matched_with_a_warning(tmp_path, stripped) -> None:
    folder = damaged(sample_path(), tmp_path / "sample")
    columns = ("from_id", "to_id") if stripped == "flows.csv" else ("school_id",)
    table = pd.read_csv(folder / stripped, dtype=str, keep_default_na=False)
    for column in columns:
        table[column] = table[column].str.lstrip("0")
    table.to_csv(folder / stripped, index=False)
    district, original = load_district(folder), load_district(sample_path())
    assert district.flows["students"].sum() == pytest.approx(original.flows["students"].sum())
    assert any("leading zeros" in warning for warning in district.warnings)


# Warnings: compare and explain never showed the district's warnings; bound and design showed them
# before reading --plan / --lock, so the warnings those files add were swallowed.


@pytest.mark.parametrize("command", ["compare", "explain", "explain --json", "run"])
def test_every_command_shows_the_districts_warnings(capsys, tmp_path, lcps_path, command) -> None:
    """Once each: `run` printed every warning twice (after the graph summary and after the scorecard)."""
    folder = damaged(lcps_path, tmp_path / "lcps")
    with (folder / "flows.csv").open("a") as flows:
        flows.write("ALDX,WMS,12\n")
    plan = tmp_path / "plan.csv"
    plan.write_text(
        "school_id,portfolio\n" + "".join(f"{school},P\n" for school in load_district(lcps_path).ids)
    )
    args = {
        "compare": ["compare", folder, plan, plan, "--out", tmp_path / "out"],
        "explain": ["explain", folder, "ALD", "--plan", plan],
        "explain --json": ["explain", folder, "ALD", "--plan", plan, "--json"],
        "run": ["run", folder, "--out", tmp_path / "out", "--maps", tmp_path / "maps"],
    }[command]
    assert main([str(a) for a in args]) == 0
    shown = capsys.readouterr()
    assert (shown.out + shown.err).count(
        "warning: flows.csv: 1 flow(s) come from schools not in the schools"
    ) == 1


def test_locks_that_lost_leading_zeros_are_matched_and_the_warning_shown(capsys, tmp_path) -> None:
    locks = tmp_path / "locks.csv"
    locks.write_text("school_id,portfolio\n102913,Harbor\n102921,Harbor\n")
    args = ["design", sample_path(), "--out", tmp_path / "out", "--effort", "quick", "--lock", locks]
    assert main([str(a) for a in args]) == 0
    assert "locks.csv: 2 school id(s) had lost their leading zeros" in capsys.readouterr().err
    plan = pd.read_csv(tmp_path / "out" / "portfolios.csv", dtype=str).set_index("school_id")["portfolio"]
    assert plan["0102913"] == plan["0102921"] == "Harbor"


@pytest.mark.parametrize("written", ["102913", " 0102913 "])
def test_explain_finds_a_school_id_as_a_spreadsheet_left_it(capsys, written) -> None:
    assert main(["explain", str(sample_path()), written, "--json"]) == 0
    assert '"school_id": "0102913"' in capsys.readouterr().out


def test_the_web_app_refuses_weights_that_overflow_the_objective() -> None:
    """`feeder serve` checks its JSON: {"balance": 1e308} made the search's gains NaN; a page can
    no longer set the weight at all (the server's spec holds), and says how to restart instead."""
    from feeder.serve.requests import parse_design_request

    with pytest.raises(OptionError, match=r"'balance' 1e\+308 differs from this server's spec \(0.0\)"):
        parse_design_request({"balance": 1e308}, load_district(sample_path()), spec=DesignSpec())


def test_the_web_app_matches_lock_ids_that_lost_their_leading_zeros_as_a_locks_file_does() -> None:
    from feeder.serve.requests import parse_design_request

    sample = load_district(sample_path())
    request = parse_design_request({"locks": {"102913": "A", "0102921": "A"}}, sample, spec=DesignSpec())
    assert request.spec.locks == (("0102913", "A"), ("0102921", "A"))
    with pytest.raises(OptionError, match="'0102913' is locked twice, to different portfolios"):
        parse_design_request({"locks": {"102913": "A", "0102913": "B"}}, sample, spec=DesignSpec())


# Messages: a plan or lock file's error said to run `feeder check` (which reads neither), and a
# workbook passed as --plan was said to have "a .csv name".


def test_only_district_files_send_the_planner_to_feeder_check(capsys, tmp_path, lcps_path) -> None:
    plan = tmp_path / "plan.csv"
    ids = load_district(lcps_path).ids
    plan.write_text("school_id,portfolio\n" + "".join(f"{school},P\n" for school in [*ids, ids[0]]))
    line = one_error_line(capsys, "score", lcps_path, "--plan", plan)
    assert line.startswith("error: plan.csv, row 92, column 'school_id'") and "feeder check" not in line
    assert "feeder check" not in one_error_line(capsys, "score", lcps_path)  # no portfolio column: no file
    workbook = tmp_path / "plan.xlsx"
    pd.DataFrame({"school_id": ids, "portfolio": "P"}).to_excel(workbook, index=False)
    line = one_error_line(capsys, "score", lcps_path, "--plan", workbook)
    assert line == (
        "error: plan.xlsx: this is an Excel workbook where a CSV table is expected; open it and save it as "
        "'CSV UTF-8'"
    )


def test_a_geojson_plan_is_named_for_what_it_is(capsys, tmp_path) -> None:
    """portfolios.geojson sits beside portfolios.csv: given as a plan, it read as a CSV whose header
    was its first keys ('column "level": "elementary" appears twice')."""
    plan = Plan.current(load_district(sample_path()))
    (tmp_path / "portfolios.geojson").write_text(plan.to_geojson())
    line = one_error_line(capsys, "score", sample_path(), "--plan", tmp_path / "portfolios.geojson")
    assert line == (
        "error: portfolios.geojson: this is a GeoJSON file where a CSV table is expected; give its CSV table "
        "instead (for a plan: portfolios.csv)"
    )


# Messy exports (issue: messy published data): ids a spreadsheet respelled, flows that match no school,
# notes above or below the table, headers as people type them.


@pytest.mark.parametrize(
    ("respell", "schools_ids"),
    [
        (lambda school: f"{school}.0", "numbers"),  # a float column: 1000 became 1000.0
        (str.lower, "letters"),  # retyped in lower case
    ],
)
def test_flow_ids_a_spreadsheet_respelled_are_matched(tmp_path, lcps_path, respell, schools_ids) -> None:
    """Every flow was left out with a warning, and design went on to a plan built on no flows (exit 0)."""
    folder = damaged(lcps_path, tmp_path / "lcps")
    schools = pd.read_csv(folder / "schools.csv", dtype=str, keep_default_na=False)
    flows = pd.read_csv(folder / "flows.csv", dtype=str, keep_default_na=False)
    numbers = {school: str(5100 + index) for index, school in enumerate(schools["school_id"])}
    rename = numbers.get if schools_ids == "numbers" else str
    schools["school_id"] = schools["school_id"].map(rename)
    schools.to_csv(folder / "schools.csv", index=False)
    for column in ("from_id", "to_id"):
        flows[column] = flows[column].map(lambda school: respell(rename(school)))
    pd.concat([flows, pd.DataFrame([[flows["from_id"][0], "out", "3"]], columns=flows.columns)]).to_csv(
        folder / "flows.csv", index=False
    )
    district, original = load_district(folder), load_district(lcps_path)
    assert len(district.flows) == len(original.flows) + 1
    assert district.flows["students"].sum() == pytest.approx(original.flows["students"].sum() + 3)
    assert "OUT" in set(district.flows["to_id"])
    assert any("were matched to its ids" in warning for warning in district.warnings)


def test_flows_that_name_no_school_of_the_district_are_refused(capsys, tmp_path, lcps_path) -> None:
    """State ids in flows.csv, local codes in schools.csv: all flows were dropped and design exited 0."""
    folder = damaged(lcps_path, tmp_path / "lcps")
    flows = pd.read_csv(folder / "flows.csv", dtype=str, keep_default_na=False)
    for column in ("from_id", "to_id"):
        flows[column] = "VA-053-" + flows[column]
    flows.to_csv(folder / "flows.csv", index=False)
    line = one_error_line(capsys, "design", folder, "--out", tmp_path / "out")
    assert line.startswith(
        "error: flows.csv, row 2, column 'from_id': none of the 100 flows names a school of schools.csv "
        "('VA-053-ALD' is no school_id there, e.g. 'MSE')"
    )
    assert not (tmp_path / "out").exists()
    assert main(["check", str(folder)]) == 2
    assert "none of the 100 flows names a school of schools.csv" in capsys.readouterr().out


def test_flows_whose_unknown_schools_carry_most_students_are_refused(capsys, tmp_path, lcps_path) -> None:
    """Two id schemes mixed in flows.csv: 71 of the 100 flows (63 % of the students) were left out with a
    warning, check said the data can be used, and design exited 0 on the students left."""
    folder = damaged(lcps_path, tmp_path / "lcps")
    flows = pd.read_csv(folder / "flows.csv", dtype=str, keep_default_na=False)
    flows.loc[:70, "from_id"] = "VA-053-" + flows.loc[:70, "from_id"]
    flows.to_csv(folder / "flows.csv", index=False)
    expected = (
        "flows.csv, row 2, column 'from_id': 71 of the 100 flows, carrying 63% of the students, come from "
        "schools not in schools.csv ('VA-053-ALD' is no school_id there, e.g. 'MSE'); write from_id and to_id with the "
        "ids of schools.csv (to_id OUT for students who leave the district)"
    )
    assert one_error_line(capsys, "design", folder, "--out", tmp_path / "out").startswith(
        f"error: {expected}"
    )
    assert not (tmp_path / "out").exists()
    assert main(["check", str(folder)]) == 2
    assert f"  {expected}\n" in capsys.readouterr().out


def test_zones_whose_ids_lost_their_leading_zeros_are_matched(tmp_path) -> None:
    """Attendance zones from a GIS export store school_id as a number (224 for '0224'): 11 of 92
    schools had no zone, so no inferred flows, and the plan was designed without them."""
    schools, flows = generate_district(92, seed=21)
    folder = write_generated(tmp_path / "zones", schools, flows, generate_boundaries(schools))
    (folder / "flows.csv").unlink()
    zones = json.loads((folder / "boundaries.geojson").read_text())
    for zone in zones["features"]:
        zone["properties"]["school_id"] = int(zone["properties"]["school_id"])
    shutil.copytree(folder, tmp_path / "numbers")
    (tmp_path / "numbers" / "boundaries.geojson").write_text(json.dumps(zones))
    as_written, as_numbers = load_district(folder), load_district(tmp_path / "numbers")
    assert sum(school.startswith("0") for school in as_written.ids) > 0
    assert as_numbers.flows.equals(as_written.flows)
    assert any("were written differently" in note for note in as_numbers.warnings)


def test_most_students_leaving_for_schools_named_by_their_own_ids_is_no_refusal(capsys, tmp_path, lcps_path):
    """A city whose cohorts mostly leave for charters its flows name by the charters' own ids: those
    flows only leave the district (as to_id OUT would), so the file is read with a warning."""
    folder = damaged(lcps_path, tmp_path / "lcps")
    flows = pd.read_csv(folder / "flows.csv", dtype=str, keep_default_na=False)
    charters = flows.assign(to_id="CHARTER-" + flows["from_id"], students=flows["students"].astype(float) * 3)
    pd.concat([flows, charters]).to_csv(folder / "flows.csv", index=False)
    district = load_district(folder)
    assert any(
        "100 flow(s) go to schools not in the schools table and count as leaving" in note
        for note in district.warnings
    )
    assert len(district.internal_flows()) == 100
    assert main(["check", str(folder)]) == 0
    assert "the data can be used" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("schools_ids", "flows_ids", "shown"),
    [(str, "{:.2E}".format, "5.50E+05"), ("{:.2E}".format, str, "5.14E+05")],
    ids=["flows.csv", "schools.csv"],
)
def test_ids_in_scientific_notation_are_named_as_such(
    capsys, tmp_path, lcps_path, schools_ids, flows_ids, shown
) -> None:
    """'5.14E+05' (Excel's view of 514000) was only 'no school_id there', which hid what went wrong."""
    folder = damaged(lcps_path, tmp_path / "lcps")
    schools = pd.read_csv(folder / "schools.csv", dtype=str, keep_default_na=False)
    flows = pd.read_csv(folder / "flows.csv", dtype=str, keep_default_na=False)
    numbers = {school: 514_000 + 1_000 * index for index, school in enumerate(schools["school_id"])}
    schools["school_id"] = schools["school_id"].map(lambda school: schools_ids(numbers[school]))
    for column in ("from_id", "to_id"):
        flows[column] = flows[column].map(lambda school: flows_ids(numbers[school]))
    schools.to_csv(folder / "schools.csv", index=False)
    flows.to_csv(folder / "flows.csv", index=False)
    note = f"'{shown}' is a number a spreadsheet wrote in scientific notation, which drops digits"
    assert note in one_error_line(capsys, "design", folder, "--out", tmp_path / "out")
    assert main(["check", str(folder)]) == 2
    assert note in " ".join(capsys.readouterr().out.split())


@pytest.mark.parametrize("file", ["schools.csv", "flows.csv"])
def test_check_refuses_a_header_without_rows_as_the_loader_does(capsys, tmp_path, lcps_path, file) -> None:
    """check said "0 error(s) ... the data can be used" and every other command refused the folder."""
    folder = damaged(lcps_path, tmp_path / "lcps")
    path = folder / file
    path.write_text(path.read_text().splitlines()[0] + "\n")
    fix = "delete it to infer the flows: see feeder infer" if file == "flows.csv" else "export it again"
    expected = f"{file}, row 2: the file has a header but no data rows ("
    line = one_error_line(capsys, "graph", folder)
    assert line.startswith(f"error: {expected}") and fix in line
    assert main(["check", str(folder)]) == 2
    listed = [row for row in capsys.readouterr().out.splitlines() if row.startswith(f"  {expected}")]
    assert len(listed) == 1 and fix in listed[0]


@pytest.mark.parametrize(
    ("file", "above", "below", "expected"),
    [
        (
            "schools.csv",
            "",
            "Source: Loudoun County Public Schools 2020-21\n",
            "schools.csv, row 92: 'Source: Loudoun County Public Schools 2020-21' is a note or total below "
            "the data",
        ),
        (
            "flows.csv",
            "",
            "Total,,13623.21\n",
            "flows.csv, row 102: 'Total' is a note or total below the data",
        ),
        (
            "schools.csv",
            "LCPS school list 2020-21\n",
            "",
            "schools.csv, row 1: the header holds only 'LCPS school list 2020-21' but row 2 has 11 cells (a "
            "title above the column names?)",
        ),
    ],
)
def test_notes_around_the_table_are_named_as_notes(tmp_path, lcps_path, file, above, below, expected) -> None:
    """A source line under schools.csv was reported as 'lat is empty', a title above it as extra cells."""
    folder = damaged(lcps_path, tmp_path / "lcps")
    path = folder / file
    path.write_text(above + path.read_text() + below)
    with pytest.raises(FeederError) as refused:
        load_district(folder)
    assert str(refused.value).startswith(expected)


def test_headers_as_exports_write_them_are_read(tmp_path, lcps_path) -> None:
    """`School ID`, `Grade Lo`, `Latitude`, `From ID` were refused as missing required columns."""
    folder = damaged(lcps_path, tmp_path / "lcps")
    schools = pd.read_csv(folder / "schools.csv", dtype=str, keep_default_na=False)
    schools.columns = [
        {"lat": "Latitude", "lon": "Longitude"}.get(column, column.replace("_", " ").title())
        for column in schools.columns
    ]
    schools.to_csv(folder / "schools.csv", index=False)
    flows = pd.read_csv(folder / "flows.csv", dtype=str, keep_default_na=False)
    flows.columns = ["From ID", "To  ID", "Students"]
    flows.to_csv(folder / "flows.csv", index=False)
    district, original = load_district(folder), load_district(lcps_path)
    assert district.ids == original.ids
    assert district.schools["lat"].tolist() == original.schools["lat"].tolist()
    assert district.schools["grade_lo"].tolist() == original.schools["grade_lo"].tolist()
    assert district.flows["students"].sum() == pytest.approx(original.flows["students"].sum())


# Published exports whose meaning is plain (issue: messy published data): level words, a grades column,
# suppressed numbers, flows of 0. Each is read with one warning line and designs the clean plan; what stays
# ambiguous is refused in one line, by `feeder design` and `feeder check` alike.


@pytest.fixture(scope="module")
def clean_design(lcps_path, tmp_path_factory) -> tuple[float, dict[str, str]]:
    """Loudoun's clean design: cohesion and plan."""
    return designed(lcps_path, tmp_path_factory.mktemp("clean") / "out")


def designed(folder: Path, out: Path) -> tuple[float, dict[str, str]]:
    assert main(["design", str(folder), "--out", str(out)]) == 0
    card = json.loads((out / "scorecard.json").read_text())
    plan = pd.read_csv(out / "portfolios.csv", dtype=str)
    return card["cohesion"], dict(zip(plan["school_id"], plan["portfolio"], strict=True))


def level_words(schools: pd.DataFrame, flows: pd.DataFrame) -> None:
    schools["level"] = schools["level"].map(
        {"elementary": "Elementary School", "middle": "Junior High", "high": "HS"}
    )
    schools.loc[[1, 2], "level"] = ["ES", " elem "]


def grades_column(schools: pd.DataFrame, flows: pd.DataFrame) -> None:
    span = {("0", "5"): "KG-05", ("6", "8"): "6\u20138", ("9", "12"): "9 to 12", ("0", "0"): "K-K"}
    schools["Grades"] = [
        span[pair] for pair in zip(schools.pop("grade_lo"), schools.pop("grade_hi"), strict=True)
    ]
    del schools["level"]


def grade_span_with_level(schools: pd.DataFrame, flows: pd.DataFrame) -> None:
    schools["Grade Span"] = schools.pop("grade_lo").replace({"0": "K"}) + "-" + schools.pop("grade_hi")
    schools.loc[0, "Grade Span"] = "PK-5"  # Moorefield Station: a pre-K class, still an elementary school


def suppressed_numbers(schools: pd.DataFrame, flows: pd.DataFrame) -> None:
    schools.loc[[3, 10, 20, 30], "enrollment"] = ["*", "N/A", "<10", "DS"]
    schools.loc[[5, 6], "capacity"] = ["--", "suppressed"]


def zero_flows(schools: pd.DataFrame, flows: pd.DataFrame) -> None:
    flows.loc[len(flows)] = ["ALD", "MMS", "0"]
    flows.loc[len(flows)] = ["BRM", "LVH", "0.0"]


@pytest.mark.parametrize(
    ("damage", "expected"),
    [
        (
            level_words,
            [
                "schools.csv: level 'Elementary School' read as elementary (55 schools); 'ES' read as "
                "elementary (1 school); 'elem' read as elementary (1 school); 'HS' read as high (16 schools); "
                "'Junior High' read as middle (17 schools)"
            ],
        ),
        (
            grades_column,
            [
                "schools.csv: column 'grades' read as grade_lo and grade_hi for 90 schools (e.g. 'KG-05' as K to 5)"
            ],
        ),
        (
            grade_span_with_level,
            [
                "schools.csv: column 'grade_span' read as grade_lo and grade_hi for 90 schools (e.g. 'PK-5' as PK to 5)"
            ],
        ),
        (
            suppressed_numbers,
            [
                "schools.csv: enrollment '*' read as missing (1 school); 'N/A' read as missing (1 school); '<10' "
                "read as missing (1 school); 'DS' read as missing (1 school)",
                "schools.csv: capacity '--' read as missing (1 school); 'suppressed' read as missing (1 school)",
                "schools.csv: 4 of 90 schools have no enrollment (BUF, SRM, BRM, ASH); their students count as 0 "
                "in portfolio totals, enrollment balance and --max-enrollment (give their enrollment)",
            ],
        ),
        (zero_flows, ["flows.csv: 2 flow(s) of 0 students left out (a 0 moves no one)"]),
    ],
    ids=lambda case: getattr(case, "__name__", ""),
)
def test_plain_exports_design_the_clean_plan_with_one_warning(
    capsys, tmp_path, lcps_path, clean_design, damage, expected
) -> None:
    """Each was refused (exit 2) though its meaning is plain; check called it an error too."""
    folder = damaged(lcps_path, tmp_path / "lcps")
    schools = pd.read_csv(folder / "schools.csv", dtype=str, keep_default_na=False)
    flows = pd.read_csv(folder / "flows.csv", dtype=str, keep_default_na=False)
    damage(schools, flows)
    schools.to_csv(folder / "schools.csv", index=False)
    flows.to_csv(folder / "flows.csv", index=False)
    capsys.readouterr()
    assert designed(folder, tmp_path / "out") == clean_design
    printed = " ".join(capsys.readouterr().err.split())
    for line in expected:
        assert printed.count(f"warning: {line}") == 1, printed
    assert printed.count("warning:") == len(expected)
    assert main(["check", str(folder)]) == 0
    listed = capsys.readouterr().out
    assert f"0 error(s), {len(expected)} warning(s)" in listed
    for line in expected:  # check says the same (its lines name the column before the colon)
        said = line[line.index(" read as ") :] if " read as " in line else line.split(": ", 1)[1]
        assert said in " ".join(listed.split())


@pytest.mark.parametrize(
    ("cell", "level"),
    [
        *[(word, "elementary") for word in ("Elementary School", "Elementary", "Elem", "ES", "Primary")],
        *[
            (word, "middle")
            for word in ("Middle School", "Middle", "MS", "Junior High", "JHS", "Intermediate")
        ],
        *[(word, "high") for word in ("High School", "High", "HS", "Senior High", "SHS")],
        *[(word, "span") for word in ("K-8", "K-12", "6-12", "Span", "Combined")],
        ("elementary  school", "elementary"),
        ("junior high", "middle"),
        ("K \u2013 8", "span"),
        *[(word, "") for word in ("Alternative", "Academy", "Elementary/Middle", "Center", "K-5")],
    ],
)
def test_level_words_published_lists_use(cell, level) -> None:
    assert level_word(cell) == level


def test_grade_spans_as_districts_write_them() -> None:
    cells = pd.Series(
        ["K-5", "TK-8", "PK-5", "6-8", "9-12", "K\u20135", "KG-05", "K to 5", "k-8", "K5", "8-6", ""]
    )
    lo, hi = split_grade_spans(cells)
    assert lo.tolist()[:9] == [0, -1, -1, 6, 9, 0, 0, 0, 0]
    assert hi.tolist()[:9] == [5, 8, 5, 8, 12, 5, 5, 5, 8]
    assert lo[9:].isna().all() and hi[9:].isna().all()


@pytest.mark.parametrize(
    ("file", "column", "row", "cell", "expected"),
    [
        (
            "schools.csv",
            "level",
            5,
            "Alternative",
            "unknown level 'Alternative' (use elementary, middle, high, span)",
        ),
        ("schools.csv", "level", 5, "Elementary/Middle", "unknown level 'Elementary/Middle'"),
        ("schools.csv", "enrollment", 4, "~500", "'~500' is not a whole number"),
        (
            "schools.csv",
            "grades",
            3,
            "K5",
            "'K5' is not a grade span (write the lowest and highest grade, e.g. K-5",
        ),
        ("schools.csv", "grades", 3, "5-K", "'5-K' is not a grade span"),
        ("flows.csv", "students", 5, "-12", "'-12' students"),
    ],
)
def test_ambiguous_cells_are_still_refused_by_design_and_check(
    capsys, tmp_path, lcps_path, file, column, row, cell, expected
) -> None:
    folder = damaged(lcps_path, tmp_path / "lcps")
    if column == "grades":
        schools = pd.read_csv(folder / "schools.csv", dtype=str, keep_default_na=False)
        grades_column(schools, pd.DataFrame())
        schools.to_csv(folder / "schools.csv", index=False)
    set_cells(folder / file, "Grades" if column == "grades" else column, {row: cell})
    where = f"{file}, row {row}, column '{column}'"
    assert one_error_line(capsys, "design", folder, "--out", tmp_path / "out").startswith(
        f"error: {where}: {expected}"
    )
    assert main(["check", str(folder)]) == 2
    assert f"{where}: " in capsys.readouterr().out


def test_flows_of_only_zeros_are_refused(capsys, tmp_path, lcps_path) -> None:
    """Left out one by one they would leave a design on no flows at all."""
    folder = damaged(lcps_path, tmp_path / "lcps")
    (folder / "flows.csv").write_text("from_id,to_id,students\nALD,WMS,0\nALG,RBM,0\n")
    line = one_error_line(capsys, "design", folder, "--out", tmp_path / "out")
    assert line.startswith("error: flows.csv, row 2, column 'students': every flow carries 0 students")
    assert main(["check", str(folder)]) == 2
    assert "flows.csv, row 2, column 'students': every flow carries 0 students" in capsys.readouterr().out


def test_check_sums_up_respelled_ids_per_column(capsys, tmp_path, lcps_path) -> None:
    """200 warnings, one per cell, buried what else check had to say."""
    folder = damaged(lcps_path, tmp_path / "lcps")
    schools = pd.read_csv(folder / "schools.csv", dtype=str, keep_default_na=False)
    flows = pd.read_csv(folder / "flows.csv", dtype=str, keep_default_na=False)
    numbers = {school: f"0{5100 + index}" for index, school in enumerate(schools["school_id"])}
    schools["school_id"] = schools["school_id"].map(numbers)
    schools.to_csv(folder / "schools.csv", index=False)
    for column in ("from_id", "to_id"):
        flows[column] = flows[column].map(lambda school: f"{numbers[school].lstrip('0')}.0")
    flows.to_csv(folder / "flows.csv", index=False)
    assert main(["check", str(folder)]) == 0
    out = capsys.readouterr().out
    lines = [line.strip() for line in out.splitlines() if line.strip().startswith("flows.csv")]
    first = flows.iloc[0]
    assert [line.split(":", 1)[0] for line in lines] == [
        "flows.csv, column 'from_id'",
        "flows.csv, column 'to_id'",
    ]
    assert "100 id(s) written otherwise than in schools.csv" in lines[0]
    assert f"e.g. '{first['from_id']}' as '0{first['from_id'][:-2]}', '" in lines[0]
    assert "2 warning(s)" in out


@pytest.mark.parametrize(
    ("file", "text", "expected"),
    [
        (
            "schools.csv",
            lambda text: "LCPS school list 2020-21\n" + text,
            "schools.csv, row 1: the header holds only",
        ),
        (
            "flows.csv",
            lambda text: text.replace(",", ";"),
            "flows.csv, row 1: columns are separated by semicolons",
        ),
        (
            "flows.csv",
            lambda text: text + "Total,,13623.21\n",
            "flows.csv, row 102: 'Total' is a note or total",
        ),
    ],
)
def test_check_names_the_row_of_a_file_level_error(capsys, tmp_path, lcps_path, file, text, expected) -> None:
    """design said 'schools.csv, row 1: ...'; check dropped the row."""
    folder = damaged(lcps_path, tmp_path / "lcps")
    (folder / file).write_text(text((folder / file).read_text()))
    assert one_error_line(capsys, "design", folder, "--out", tmp_path / "out").startswith(
        f"error: {expected}"
    )
    assert main(["check", str(folder)]) == 2
    assert f"  {expected}" in capsys.readouterr().out


def test_an_id_of_thousands_of_characters_prints_by_its_ends(capsys, make_district) -> None:
    """rich takes minutes to wrap a 100,000-character word (`feeder graph` hung on such an id); the
    terminal shows a run that long by its ends, and files keep it whole."""
    long_id = "Z" * 3_000
    schools = [
        {"school_id": "E1", "name": "One Es", "level": "elementary", "lat": "39.00", "lon": "-77.00"},
        {"school_id": "M1", "name": "One Ms", "level": "middle", "lat": "39.02", "lon": "-77.01"},
        {"school_id": "H1", "name": "One Hs", "level": "high", "lat": "39.04", "lon": "-77.00"},
        {"school_id": long_id, "name": "Far Es", "level": "elementary", "lat": "39.03", "lon": "-77.03"},
    ]
    folder = make_district(schools, [("E1", "M1", 90), ("M1", "H1", 80)])
    assert main(["graph", str(folder)]) == 0
    out = capsys.readouterr().out
    assert "…" in out and 0 < out.count("Z") < len(long_id)
    assert load_district(folder).ids[-1] == long_id


@pytest.mark.parametrize(
    "text", ["a plain line, with a path /tmp/x/schools.csv", "x" * 400, "é" * 50 + " " + "y" * 300]
)
def test_text_without_long_runs_prints_as_it_is(text: str) -> None:
    from feeder.terminal import printable

    assert printable(text) == text
    assert printable("w" * 401) == "w" * 300 + "…" + "w" * 50


def test_a_name_longer_than_the_file_system_allows_is_one_line(capsys, make_district, tmp_path) -> None:
    folder = make_district(
        [
            {"school_id": "E1", "name": "One Es", "level": "elementary", "lat": "39.00", "lon": "-77.00"},
            {"school_id": "H1", "name": "One Hs", "level": "high", "lat": "39.04", "lon": "-77.00"},
        ],
        [("E1", "H1", 90)],
    )
    too_long = "x" * 300
    for argv in (
        ["graph", str(tmp_path / too_long)],
        ["score", str(folder), "--plan", str(tmp_path / f"{too_long}.csv")],
    ):
        assert main(argv) == 2, argv
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "longer than the file system allows" in err, err
    out = tmp_path / "out" / too_long
    assert (
        main(
            [
                "design",
                str(folder),
                "--out",
                str(out),
                "--min-size",
                "1",
                "--max-size",
                "2",
                "--effort",
                "quick",
            ]
        )
        == 2
    )
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and ("too long" in err or "longer than the file system" in err), err
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_run_names_its_own_way_out_of_nesting_regions(capsys, make_district, tmp_path) -> None:
    """`run` nests portfolios in regions by default: a school without a region points to --across-regions."""
    rows = [
        {
            "school_id": "E1",
            "name": "One Es",
            "level": "elementary",
            "lat": "39.00",
            "lon": "-77.00",
            "region": "N",
        },
        {
            "school_id": "E2",
            "name": "Two Es",
            "level": "elementary",
            "lat": "39.01",
            "lon": "-77.02",
            "region": "",
        },
        {
            "school_id": "H1",
            "name": "One Hs",
            "level": "high",
            "lat": "39.04",
            "lon": "-77.00",
            "region": "N",
        },
    ]
    folder = make_district(rows, [("E1", "H1", 90), ("E2", "H1", 40)])
    argv = ["run", str(folder), "--out", str(tmp_path / "t"), "--maps", str(tmp_path / "m")]
    assert main([*argv, "--min-size", "1", "--max-size", "3"]) == 2
    err = capsys.readouterr().err
    assert "school 'E2' has no region" in err and "--across-regions" in err, err


@pytest.mark.parametrize("target", ["missing.csv", "flows.csv"], ids=["dangling", "loop"])
def test_a_broken_link_for_flows_is_refused_not_replaced_by_estimates(
    capsys, make_district, tmp_path, target
):
    """Read as absent, a flows.csv link to nothing let every command estimate flows from the sites."""
    folder = make_district(
        [
            {"school_id": "E1", "name": "One Es", "level": "elementary", "lat": "39.00", "lon": "-77.00"},
            {"school_id": "H1", "name": "One Hs", "level": "high", "lat": "39.04", "lon": "-77.00"},
        ],
        None,
    )
    (folder / "flows.csv").symlink_to(folder / target)
    out = tmp_path / "out"
    for argv in (["check", str(folder)], ["design", str(folder), "--out", str(out), "--min-size", "1"]):
        assert main(argv) == 2, argv
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "flows.csv: a link that leads to no readable file" in err, err
    assert not out.exists()
