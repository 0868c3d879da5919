"""Red-team round 3 (issue 16): each failure class found on the current code, on Loudoun and the sample.

Every test here failed before its fix: a traceback or a three-line usage text instead of one
line, a crash (exit 1) on odd-but-real files, something written before a refusal, or a
message that blamed the wrong thing.
"""

from __future__ import annotations

import shutil
import warnings
from pathlib import Path

import pandas as pd
import pytest

from feeder.cli import main
from feeder.design.effort import Effort
from feeder.district import load_district
from feeder.errors import FeederError, OptionError
from feeder.io.output import one_publication, write_files
from feeder.sample import sample_path


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


@pytest.mark.parametrize("command", ["compare", "explain", "explain --json"])
def test_every_command_shows_the_districts_warnings(capsys, tmp_path, lcps_path, command) -> None:
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
    }[command]
    assert main([str(a) for a in args]) == 0
    assert "warning: flows.csv: 1 flow(s) name schools not in the schools table" in capsys.readouterr().err


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
    """`feeder serve` checks its JSON like the CLI: {"balance": 1e308} made the search's gains NaN."""
    from feeder.serve.requests import parse_design_request

    with pytest.raises(OptionError, match=r"--balance 1e\+308 is beyond any sensible setting"):
        parse_design_request({"balance": 1e308}, load_district(sample_path()))


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
