"""Every input either works or is refused clearly: odd district shapes through the CLI.

The districts here are built to be awkward — co-located campuses, islands, schools
without flows, only flows to OUT, regions of uneven size — and the CLI must either write
a plan that keeps every invariant or exit 2 with one line, never another exception.
"""

from __future__ import annotations

from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from synthetic import generate_district, write_district

from feeder import metrics
from feeder.cli import main
from feeder.design import design
from feeder.district import load_district
from feeder.errors import FeederError
from feeder.spec import DesignSpec

LEVEL_GRADES = {"elementary": (0, 5), "middle": (6, 8), "high": (9, 12), "span": (0, 8)}


def awkward_district(
    folder: Path,
    rng: np.random.Generator,
    n: int,
    *,
    campuses: int,
    islands: int,
    flow_share: float,
    out_only: bool,
    regions: int,
    middle_schools: bool = True,
) -> Path:
    """Write a district with the awkward features asked for; return its folder."""
    levels = rng.choice(
        ["elementary", "middle", "high"] if middle_schools else ["span", "high"],
        size=n,
        p=[0.7, 0.18, 0.12] if middle_schools else [0.8, 0.2],
    )
    centres = rng.uniform(-1, 1, size=(islands, 2)) * 0.6
    island = rng.integers(islands, size=n)
    lat = 34.0 + centres[island, 0] + rng.normal(0, 0.03, n)
    lon = -118.2 + centres[island, 1] + rng.normal(0, 0.03, n)
    for school in rng.choice(n, size=min(n, campuses), replace=False):
        lat[school], lon[school] = lat[0], lon[0]
    region = np.where(rng.random(n) < 0.8, "North", "South") if regions > 1 else np.full(n, "")
    schools = pd.DataFrame(
        {
            "school_id": [f"{i:05d}" for i in range(n)],
            "name": [f"School {i} <b>&</b>" for i in range(n)],
            "level": levels,
            "grade_lo": [LEVEL_GRADES[level][0] for level in levels],
            "grade_hi": [LEVEL_GRADES[level][1] for level in levels],
            "lat": lat.round(6),
            "lon": lon.round(6),
            "enrollment": rng.integers(0, 2000, n),
            "region": region,
        }
    )
    rank = {"elementary": 0, "span": 0, "middle": 1, "high": 2}
    rows = []
    for i in range(n):
        if rng.random() > flow_share:
            continue
        if out_only:
            rows.append((schools.school_id[i], "OUT", 10))
            continue
        higher = np.flatnonzero(
            [
                rank[level] > rank[levels[i]] and not (levels[i] == "middle" and level == "span")
                for level in levels
            ]
        )
        if len(higher):
            nearest = higher[np.argsort((lat[higher] - lat[i]) ** 2 + (lon[higher] - lon[i]) ** 2)[:2]]
            rows += [(schools.school_id[i], schools.school_id[j], int(rng.integers(1, 200))) for j in nearest]
        rows.append((schools.school_id[i], "OUT", int(rng.integers(1, 20))))
    if not rows:
        rows.append((schools.school_id[0], "OUT", 1))
    folder.mkdir(parents=True)
    schools.to_csv(folder / "schools.csv", index=False)
    pd.DataFrame(rows, columns=["from_id", "to_id", "students"]).to_csv(folder / "flows.csv", index=False)
    return folder


def assert_plan_keeps_invariants(district_folder: Path, out: Path, min_size: int, max_size: int) -> None:
    district = load_district(district_folder)
    plan = pd.read_csv(out / "portfolios.csv", dtype=str)
    assert plan["school_id"].tolist() == district.ids, "every school exactly once, in district order"
    sizes = plan["portfolio"].value_counts()
    assert sizes.between(min_size, max_size).all()
    labels = plan["portfolio"].to_numpy(dtype=object)
    assert metrics.contiguous(district, labels) == 1.0


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    n=st.integers(12, 400),
    seed=st.integers(0, 2**16),
    campuses=st.integers(0, 30),
    islands=st.integers(1, 3),
    flow_share=st.sampled_from([0.0, 0.3, 1.0]),
    out_only=st.booleans(),
    regions=st.integers(1, 2),
    within_region=st.booleans(),
    middle_schools=st.booleans(),
)
def test_cli_designs_a_valid_plan_or_refuses_in_one_line(
    tmp_path_factory,
    capsys,
    n,
    seed,
    campuses,
    islands,
    flow_share,
    out_only,
    regions,
    within_region,
    middle_schools,
):
    root = tmp_path_factory.mktemp("awkward")
    folder = awkward_district(
        root / "district",
        np.random.default_rng(seed),
        n,
        campuses=campuses,
        islands=islands,
        flow_share=flow_share,
        out_only=out_only,
        regions=regions,
        middle_schools=middle_schools,
    )
    args = ["design", str(folder), "--out", str(root / "out")] + (
        ["--within-region"] if within_region else []
    )
    code = main(args)
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    assert "internal error" not in captured.err, captured.err
    if code == 0:
        assert_plan_keeps_invariants(folder, root / "out", 12, 24)
    else:
        assert code == 2
        assert len(captured.err.strip().splitlines()) == 1, captured.err
        assert not (root / "out").exists(), "a refused run wrote nothing"


def test_a_refused_design_prints_its_one_line_without_the_data_warnings(tmp_path, capsys):
    """Twelve schools in two regions with an outlying school: the outlier warning used to come
    before the refusal (region North has 11 schools), two lines instead of one."""
    folder = awkward_district(
        tmp_path / "district",
        np.random.default_rng(0),
        12,
        campuses=6,
        islands=2,
        flow_share=0.0,
        out_only=False,
        regions=2,
    )
    assert load_district(folder).warnings, "the district has a warning to hold back"
    code = main(["design", str(folder), "--out", str(tmp_path / "out"), "--within-region"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and err[0].startswith("error: region North has 11 schools"), err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("name", "options"),
    [
        ("twelve schools", {"n": 12, "campuses": 0, "islands": 1}),
        ("one campus", {"n": 30, "campuses": 30, "islands": 1}),
        ("island district", {"n": 80, "campuses": 3, "islands": 2}),
        ("no middle schools", {"n": 90, "campuses": 0, "islands": 1, "middle_schools": False}),
        ("no flows at all but OUT", {"n": 40, "campuses": 0, "islands": 1, "out_only": True}),
    ],
)
def test_awkward_shapes_get_valid_plans(tmp_path: Path, capsys, name: str, options: dict) -> None:
    options = {"flow_share": 1.0, "out_only": False, "regions": 1} | options
    folder = awkward_district(tmp_path / "district", np.random.default_rng(7), **options)
    district = load_district(folder)
    plan = design(district)
    sizes = np.array(list(plan.sizes().values()))
    assert ((sizes >= 12) & (sizes <= 24)).all(), name
    assert sorted(plan.assignment.index) == sorted(district.ids)
    assert plan.score()["contiguous"] == 1.0
    # every flow to OUT: designed on geography alone, which only the missing cohesion used to hint at
    note = "every flow leaves the district (to_id OUT), so cohesion cannot be measured"
    assert any(note in warning for warning in district.warnings) == options["out_only"], name
    assert main(["check", str(folder)]) == 0
    assert (note in " ".join(capsys.readouterr().out.split())) == options["out_only"], name


def test_no_middle_schools_still_k12_complete(tmp_path: Path) -> None:
    folder = awkward_district(
        tmp_path / "d",
        np.random.default_rng(3),
        96,
        campuses=0,
        islands=1,
        flow_share=1.0,
        out_only=False,
        regions=1,
        middle_schools=False,
    )
    district = load_district(folder)
    assert set(district.schools["level"]) == {"span", "high"}
    assert design(district).score()["k12_complete"] == 1.0


def test_uneven_region_too_small_is_refused_with_a_fix(tmp_path: Path) -> None:
    schools, flows = generate_district(60, seed=1, n_regions=1)
    southernmost = schools["lat"].rank(method="first") <= 11
    schools["region"] = np.where(southernmost, "Tiny", "Big")
    district = load_district(write_district(tmp_path / "d", schools, flows))
    with pytest.raises(FeederError, match=r"region Tiny has 11 schools.*--min-size 11"):
        design(district, spec=DesignSpec(within_region=True))


def test_a_region_of_one_school_is_named_in_the_singular(tmp_path: Path) -> None:
    schools, flows = generate_district(60, seed=1, n_regions=1)
    schools["region"] = np.where(schools["lat"] == schools["lat"].min(), "Lonely", "Big")
    district = load_district(write_district(tmp_path / "d", schools, flows))
    with pytest.raises(FeederError, match=r"^region Lonely has 1 school, which cannot form"):
        design(district, spec=DesignSpec(within_region=True))


def test_python_dash_m_feeder_is_the_command_line(lcps_path: Path) -> None:
    """`python -m feeder` said "No module named feeder.__main__"."""
    run = subprocess.run(
        [sys.executable, "-m", "feeder", "check", str(lcps_path)], capture_output=True, text=True, check=False
    )
    assert run.returncode == 0 and "the data can be used" in run.stdout, run.stderr


@pytest.mark.slow
@pytest.mark.parametrize("n", [2_000, 5_000])
def test_large_generated_districts_keep_every_invariant(tmp_path: Path, n: int) -> None:
    folder = write_district(tmp_path / "d", *generate_district(n, seed=5))
    assert main(["design", str(folder), "--out", str(tmp_path / "out")]) == 0
    assert_plan_keeps_invariants(folder, tmp_path / "out", 12, 24)


# --- Hostile and odd-but-real inputs (issue 16): each class on Loudoun's real data ---------------------------

import os  # noqa: E402
import shutil  # noqa: E402
import signal  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

from feeder.io.output import MANIFEST  # noqa: E402
from feeder.io.tables import read_text_table  # noqa: E402

REPO = Path(__file__).resolve().parents[1]


def lcps_copy(lcps_path: Path, folder: Path) -> Path:
    """A private copy of Loudoun to damage."""
    shutil.copytree(lcps_path, folder)
    return folder


def edit_cell(path: Path, row: int, column: str, value: str) -> None:
    """Set one cell (row as a spreadsheet counts it: header = 1) and write the file back as CSV."""
    table = pd.read_csv(path, dtype=str, keep_default_na=False)
    table.loc[row - 2, column] = value
    table.to_csv(path, index=False)


def cli(capsys: pytest.CaptureFixture, *args: str) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def refused(capsys: pytest.CaptureFixture, *args: str) -> str:
    """Run the CLI, expect exit 2 with exactly one error line, return that line."""
    code, out, err = cli(capsys, *args)
    assert code == 2, (code, out, err)
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    return lines[0]


@pytest.mark.parametrize(
    ("file", "column", "cell", "expected"),
    [
        ("flows.csv", "students", "25,5", "'25,5' has a decimal comma; write 25.5"),
        ("schools.csv", "lat", "38,999455", "'38,999455' has a decimal comma; write 38.999455"),
        ("schools.csv", "enrollment", "inf", "'inf' is not a whole number"),
        ("flows.csv", "students", "-inf", "'-inf' is not a number"),
        ("flows.csv", "students", "nan", "'nan' is not a number"),
        ("flows.csv", "students", "1e400", "'1e400' is too large"),
        ("schools.csv", "enrollment", "1e308", "'1e308' is above 100000"),
        ("flows.csv", "students", "1e300", "'1e300' is above 100000"),
        ("schools.csv", "lat", "-999", "'-999' is a placeholder"),
        ("schools.csv", "enrollment", "863.5", "'863.5' is not a whole number"),
    ],
)
def test_numbers_are_finite_plausible_and_never_misread(
    tmp_path, capsys, lcps_path, file, column, cell, expected
) -> None:
    folder = lcps_copy(lcps_path, tmp_path / "lcps")
    edit_cell(folder / file, 5, column, cell)
    line = refused(capsys, "design", folder, "--out", tmp_path / "out")
    assert f"{file}, row 5, column '{column}': {expected}" in line
    assert "feeder check" in line
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_thousands_separators_are_read_where_unambiguous(tmp_path, lcps_path) -> None:
    folder = lcps_copy(lcps_path, tmp_path / "lcps")
    edit_cell(folder / "schools.csv", 2, "enrollment", "1,234")
    edit_cell(folder / "flows.csv", 2, "students", "1,025.5")
    district = load_district(folder)
    assert district.schools["enrollment"].iloc[0] == 1234
    assert district.flows["students"].sum() == pytest.approx(
        load_district(lcps_path).flows["students"].sum() + 1000
    )


def test_a_decimal_comma_column_is_refused_even_at_a_thousands_looking_cell(tmp_path, lcps_path) -> None:
    folder = lcps_copy(lcps_path, tmp_path / "lcps")
    edit_cell(folder / "flows.csv", 3, "students", "1,250")
    edit_cell(folder / "flows.csv", 9, "students", "70,5")
    with pytest.raises(
        FeederError, match=r"row 3, column 'students': '1,250' has a decimal comma; other cells"
    ):
        load_district(folder)


@given(
    cell=st.one_of(
        st.text(max_size=12),
        st.sampled_from(["inf", "-Infinity", "NaN", "1e999", "1_000", "0x1F", "1 234", "1'234", "٣", "²"]),
        st.from_regex(r"[+-]?\d{1,4}([.,]\d{1,4}){0,2}([eE][+-]?\d{1,4})?", fullmatch=True),
    ),
    column=st.sampled_from(
        ["lat", "lon", "enrollment", "capacity", "need_index", "grade_lo", "name", "students"]
    ),
)
@settings(max_examples=100, deadline=None)
def test_hostile_cells_are_read_correctly_or_refused_in_one_line(make_district, cell, column) -> None:
    """Any cell in any column: a finite, plausible district or one FeederError naming the cell's column."""
    schools = [
        {"school_id": "E1", "name": "E1", "level": "elementary", "lat": "39.0", "lon": "-77.5", "enrollment": "500",
         "capacity": "600", "need_index": "0.3", "grade_lo": "0"},
        {"school_id": "M1", "name": "M1", "level": "middle", "lat": "39.1", "lon": "-77.4", "enrollment": "700",
         "capacity": "800", "need_index": "0.4", "grade_lo": "6"},
    ]  # fmt: skip
    flows = [["E1", "M1", "80"]]
    if column == "students":
        flows[0][2] = cell
    else:
        schools[0][column] = cell
    folder = make_district(schools, flows)
    try:
        district = load_district(folder)
    except FeederError as error:
        assert "\n" not in str(error) and str(error).startswith(("schools.csv, row", "flows.csv, row"))
        return
    numbers = district.schools[["enrollment", "capacity", "need_index"]].to_numpy(dtype=float)
    assert not np.isinf(numbers).any() and np.isfinite(district.schools[["lat", "lon"]].to_numpy()).all()
    assert np.isfinite(district.flows["students"]).all() and (district.flows["students"] > 0).all()
    assert not (district.schools["enrollment"] > 100_000).any()
    assert not any(ch in district.schools["name"].iloc[0] for ch in "\x1b\x07\x9b")


def test_level_contradicting_grades_is_reported_at_the_schools_own_row(tmp_path, capsys, lcps_path) -> None:
    """Fairfax's case: an elementary school given its pyramid high school's grades."""
    folder = lcps_copy(lcps_path, tmp_path / "lcps")
    edit_cell(folder / "schools.csv", 2, "grade_lo", "9")
    edit_cell(folder / "schools.csv", 2, "grade_hi", "12")
    line = refused(capsys, "graph", folder)
    assert "schools.csv, row 2, column 'level': school 'MSE' is 'elementary' but serves grades 9-12" in line


def test_a_self_loop_is_worded_as_one(tmp_path, capsys, lcps_path) -> None:
    folder = lcps_copy(lcps_path, tmp_path / "lcps")
    edit_cell(folder / "flows.csv", 4, "to_id", pd.read_csv(folder / "flows.csv").from_id[2])
    line = refused(capsys, "score", folder, "--plan", folder / "flows.csv")
    assert "flows.csv, row 4, column 'to_id'" in line and "to itself" in line
    assert "higher level" not in line


def test_a_cycle_through_a_span_school_without_grades_is_refused(make_district) -> None:
    schools = [
        {"school_id": "S1", "name": "S", "level": "span", "lat": "39.0", "lon": "-77.5"},
        {"school_id": "S2", "name": "T", "level": "span", "lat": "39.1", "lon": "-77.4"},
        {"school_id": "H1", "name": "H", "level": "high", "lat": "39.2", "lon": "-77.3"},
    ]
    folder = make_district(schools, [("S1", "S2", "10"), ("S2", "S1", "5"), ("S2", "H1", "40")])
    with pytest.raises(FeederError, match=r"flows\.csv, row 3, column 'to_id': flows go round in a cycle"):
        load_district(folder)


def test_a_workbook_saved_as_csv_is_named_as_such(tmp_path, capsys, lcps_path) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    folder = lcps_copy(lcps_path, tmp_path / "lcps")
    book = openpyxl.Workbook()
    for row in pd.read_csv(folder / "flows.csv").itertuples(index=False):
        book.active.append(list(row))
    book.save(folder / "flows.csv")
    assert "flows.csv: this is an Excel workbook with a .csv name" in refused(capsys, "graph", folder)


def test_semicolon_separated_and_trailing_comma_files(tmp_path, capsys, lcps_path) -> None:
    folder = lcps_copy(lcps_path, tmp_path / "lcps")
    text = (folder / "schools.csv").read_text()
    (folder / "schools.csv").write_text(text.replace(",", ";"))
    assert "schools.csv, row 1: columns are separated by semicolons" in refused(capsys, "graph", folder)
    (folder / "schools.csv").write_text("".join(line + ",\n" for line in text.splitlines()))
    trailing = load_district(folder)
    assert trailing.schools[["lat", "lon"]].equals(load_district(lcps_path).schools[["lat", "lon"]])


def test_lat_and_upper_case_lat_together_is_refused(tmp_path, capsys, lcps_path) -> None:
    folder = lcps_copy(lcps_path, tmp_path / "lcps")
    table = pd.read_csv(folder / "schools.csv", dtype=str)
    table["LAT"] = table["lat"]
    table.to_csv(folder / "schools.csv", index=False)
    assert "column 'lat' appears twice" in refused(capsys, "graph", folder)


def test_crashes_are_now_refusals(tmp_path, capsys, lcps_path) -> None:
    """--plan naming a folder, a rules file nested thousands deep: exit 2, one line."""
    assert "is a folder" in refused(capsys, "score", lcps_path, "--plan", tmp_path)
    rules = tmp_path / "deep.toml"
    rules.write_text("[families.x]\nvalue = " + "[" * 5000 + "]" * 5000 + "\n")
    line = refused(capsys, "align", lcps_path, "--out", tmp_path / "out", "--rules", rules)
    assert "deep.toml" in line or "nested too deeply" in line


def test_swapped_lat_lon_file_is_refused(tmp_path, capsys, lcps_path) -> None:
    folder = lcps_copy(lcps_path, tmp_path / "lcps")
    table = pd.read_csv(folder / "schools.csv", dtype=str)
    table["lat"], table["lon"] = table["lon"].copy(), table["lat"].copy()
    table.to_csv(folder / "schools.csv", index=False)
    assert "puts the school in Antarctica; are lat and lon swapped?" in refused(capsys, "graph", folder)


def test_bad_options_are_refused(tmp_path, capsys, lcps_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert "--out is empty" in refused(capsys, "design", lcps_path, "--out", "")
    assert "--out is empty" in refused(capsys, "design", lcps_path, "--out=")
    assert list(tmp_path.iterdir()) == [], "nothing written into the current folder"
    code, _, err = cli(capsys, "design", lcps_path, "--out", "o", "--align-weight", "nan")
    assert code == 2 and "not a finite number" in err
    code, _, err = cli(capsys, "bound", lcps_path, "--time-limit", "inf")
    assert code == 2 and "not a finite number" in err


def test_design_and_bound_show_the_districts_warnings(tmp_path, capsys, lcps_path) -> None:
    folder = lcps_copy(lcps_path, tmp_path / "lcps")
    flows = pd.read_csv(folder / "flows.csv", dtype=str)
    flows.loc[::3, "from_id"] = flows.loc[::3, "from_id"] + "x"  # 29 % of the students: a warning
    flows.to_csv(folder / "flows.csv", index=False)
    for args in (["design", folder, "--out", tmp_path / "out"], ["bound", folder, "--time-limit", "5"]):
        code, _, err = cli(capsys, *args)
        assert (
            code == 0 and "warning: flows.csv: 34 flow(s) come from schools not in the schools table" in err
        ), err
    card = (tmp_path / "out" / "scorecard.json").read_text()
    assert '"flows_source": "flows.csv"' in card


def test_input_text_is_never_markup_or_a_terminal_escape(tmp_path, capsys, lcps_path) -> None:
    folder = lcps_copy(lcps_path, tmp_path / "lcps")
    edit_cell(folder / "schools.csv", 2, "name", "Moorefield [/x] [bold]Es\x1b[2J\x1b]0;pwned\x07")
    flows = pd.read_csv(folder / "flows.csv", dtype=str)
    flows.loc[0, "to_id"] = "[/y]"
    flows.to_csv(folder / "flows.csv", index=False)
    for args in (["graph", folder], ["score", folder, "--plan", tmp_path / "plan.csv"]):
        if args[0] == "score":
            district = load_district(folder)
            pd.DataFrame({"school_id": district.ids, "portfolio": "[/p]"}).to_csv(
                tmp_path / "plan.csv", index=False
            )
        code, out, err = cli(capsys, *args)
        assert code == 0, err
        assert "\x1b" not in out + err and "\x07" not in out + err
    code, out, err = cli(capsys, "graph", folder)
    assert "[/y]" in out + err


def test_csv_outputs_defuse_formulas_and_ids_round_trip(tmp_path, capsys) -> None:
    from feeder.sample import sample_path

    folder = tmp_path / "sample"
    shutil.copytree(sample_path(), folder)
    schools = pd.read_csv(folder / "schools.csv", dtype=str, keep_default_na=False)
    flows = pd.read_csv(folder / "flows.csv", dtype=str, keep_default_na=False)
    old = schools["school_id"].iloc[0]
    schools.loc[0, "school_id"] = "=HYPERLINK(1)"
    flows = flows.replace({old: "=HYPERLINK(1)"})
    schools.to_csv(folder / "schools.csv", index=False)
    flows.to_csv(folder / "flows.csv", index=False)
    code, _, err = cli(capsys, "design", folder, "--out", tmp_path / "out")
    assert code == 0, err
    written = (tmp_path / "out" / "portfolios.csv").read_text()
    assert "\n'=HYPERLINK(1)," in written and "\n=" not in written
    code, _, err = cli(capsys, "score", folder, "--plan", tmp_path / "out" / "portfolios.csv", "--json")
    assert code == 0, err


def test_foreign_files_are_never_replaced_by_any_command(tmp_path, capsys, lcps_path, monkeypatch) -> None:
    folder = lcps_copy(lcps_path, tmp_path / "lcps")
    (folder / "portfolios.csv").write_text("hand-drawn\n")
    line = refused(capsys, "design", folder, "--out", folder)
    assert "portfolios.csv: this file was not written by feeder" in line
    assert (folder / "portfolios.csv").read_text() == "hand-drawn\n"
    monkeypatch.chdir(tmp_path)
    (tmp_path / "maps").mkdir()
    (tmp_path / "maps" / "index.html").write_text("my page")
    line = refused(capsys, "run", folder)
    assert "index.html: this file was not written by feeder" in line
    assert (tmp_path / "maps" / "index.html").read_text() == "my page"
    assert not (tmp_path / "feeder-output" / "scorecard.json").exists(), "tables written without their maps"
    code, _, _ = cli(capsys, "design", folder, "--out", tmp_path / "mine")
    assert code == 0 and (tmp_path / "mine" / MANIFEST).exists()
    code, _, _ = cli(capsys, "design", folder, "--out", tmp_path / "mine", "--seed", "3")
    assert code == 0, "feeder's own files are replaced freely"


def test_concurrent_runs_into_one_folder_are_serialized(tmp_path, lcps_path) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    runs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "feeder.cli",
                "design",
                str(lcps_path),
                "--out",
                "out",
                "--seed",
                str(seed),
            ],
            cwd=tmp_path,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for seed in (1, 2)
    ]
    assert all(run.wait() == 0 for run in runs), [run.stderr.read() for run in runs]
    card = (tmp_path / "out" / "scorecard.json").read_text()
    plan = read_text_table(tmp_path / "out" / "portfolios.csv")
    seed = int(card.split('"seed": ')[1].split(",")[0].split("\n")[0])
    assert len(plan) == 90 and seed in (1, 2)
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        MANIFEST, "plan.xlsx", "portfolios.csv", "portfolios.geojson", "run.json", "scorecard.json", "summary.csv"
    ]  # fmt: skip


@pytest.mark.parametrize("delay", [0.3, 0.8, 1.0, 1.2, 1.5])  # while importing, loading, designing
def test_ctrl_c_anywhere_is_one_line_and_exit_130(tmp_path, lcps_path, delay) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    process = subprocess.Popen(
        [sys.executable, "-m", "feeder.cli", "run", str(lcps_path), "--out", "t", "--maps", "m"],
        cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        preexec_fn=default_ctrl_c,
    )  # fmt: skip
    time.sleep(delay)
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=60)
    if process.returncode == 0:
        return  # finished before the signal: nothing to check
    if "<frozen site>" in err and "feeder" not in err:
        return  # a machine so loaded that Python itself was still starting: no feeder code had run
    assert process.returncode == 130, err
    assert len(err.strip().splitlines()) == 1 and err.startswith("interrupted"), err
    assert "Traceback" not in err


def test_ctrl_c_during_a_parallel_design_is_one_line_and_exit_130(tmp_path) -> None:
    """Mid-search with restarts in worker processes: the parent stops them and says so once."""
    from feeder.sample import sample_path

    env = {**os.environ, "PYTHONPATH": str(REPO)}
    command = [sys.executable, "-m", "feeder.cli", "design", str(sample_path()), "--out", "out"]
    process = subprocess.Popen(
        [*command, "--effort", "max", "--jobs", "2"], cwd=tmp_path, env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, preexec_fn=default_ctrl_c,
    )  # fmt: skip
    time.sleep(4.0)
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    assert err.strip() == "interrupted: outputs already on disk are complete; nothing half-written"
    assert not (tmp_path / "out").exists()


SWALLOWING_LIBRARY = """
import os, signal, sys
try:
    os.kill(os.getpid(), signal.SIGINT)
    sum(range(100_000))  # Python runs the handler between these steps
except KeyboardInterrupt:
    pass  # as a C extension's initialisation may
if {reload}:  # the interrupt vanishes and the real library loads
    sys.path.remove({fake!r})
    del sys.modules["folium"]
    import folium
else:  # the half-made module fails later as "ImportError: initialization failed" would
    raise ImportError("initialization failed")
"""


@pytest.mark.parametrize("reload", [False, True], ids=["turned into ImportError", "swallowed"])
def test_ctrl_c_that_a_library_import_swallows_still_stops_the_command(tmp_path, reload) -> None:
    from feeder.sample import sample_path

    fake = tmp_path / "libs"
    (fake / "folium").mkdir(parents=True)
    (fake / "folium" / "__init__.py").write_text(SWALLOWING_LIBRARY.format(reload=reload, fake=str(fake)))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(fake), str(REPO)])}
    command = [sys.executable, "-m", "feeder.cli", "run", str(sample_path()), "--out", "t", "--maps", "m"]
    done = subprocess.run(
        command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120, preexec_fn=default_ctrl_c
    )
    interrupted = "interrupted: outputs already on disk are complete; nothing half-written\n"
    assert (done.returncode, done.stderr) == (130, interrupted)
    assert not (tmp_path / "t").exists() and not (tmp_path / "m").exists()


def test_ctrl_c_while_a_notebook_imports_feeder_stays_the_notebooks(tmp_path) -> None:
    """Where someone else owns Ctrl-C (a notebook's handler), an interrupted import (of the
    libraries behind a public name, on its first use) raises KeyboardInterrupt to them instead
    of ending their process."""
    fake = tmp_path / "libs"
    (fake / "folium").mkdir(parents=True)
    (fake / "folium" / "__init__.py").write_text(
        "import os, signal\nos.kill(os.getpid(), signal.SIGINT)\nsum(range(10**5))\n"
    )
    script = (
        "import signal\n"
        "def notebook(signum, frame):\n    raise KeyboardInterrupt\n"
        "signal.signal(signal.SIGINT, notebook)\n"
        "import feeder\n"
        "try:\n    feeder.render_maps\nexcept KeyboardInterrupt:\n    print('the notebook has it')\n"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(fake), str(REPO)])}
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stdout) == (0, "the notebook has it\n"), done.stderr


def test_a_program_importing_feeder_keeps_pythons_own_ctrl_c() -> None:
    script = "import signal, feeder; feeder.design; print(signal.getsignal(signal.SIGINT) is signal.default_int_handler)"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60)
    assert done.stdout == "True\n", done.stderr


def default_ctrl_c() -> None:
    """In the child: Ctrl-C's default action, even when the tests run where SIGINT is ignored
    (a background job), so the command under test gets its KeyboardInterrupt."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


# --- Structurally odd but legitimate districts (issue: other counties' data) -------------------------------


def campus_of(lcps_path: Path, folder: Path, *, apart: float) -> Path:
    """Loudoun with Stone Hill Middle and Rock Ridge High moved onto Moorefield Station Es's site, `apart`
    degrees from it (a shapefile in another CRS, reprojected, leaves one campus's schools 1e-9 apart)."""
    folder = lcps_copy(lcps_path, folder)
    table = pd.read_csv(folder / "schools.csv", dtype=str, keep_default_na=False).set_index("school_id")
    lat, lon = float(table.at["MSE", "lat"]), float(table.at["MSE", "lon"])
    for step, school in enumerate(("SHM", "RRH"), start=1):
        table.loc[school, ["lat", "lon"]] = [repr(lat + step * apart), repr(lon - step * apart)]
    table.reset_index().to_csv(folder / "schools.csv", index=False)
    return folder


def test_a_campus_whose_sites_differ_by_a_billionth_of_a_degree_is_one_campus(tmp_path, capsys, lcps_path):
    """qhull cannot tell sites 1e-9 degrees apart and left one out of the triangulation: that school had no
    Delaunay neighbour, and design refused Loudoun ("could not cut 90 schools of the district into
    contiguous portfolios of 12-24")."""
    district = load_district(campus_of(lcps_path, tmp_path / "near", apart=1e-9))
    graph = nx.Graph(district.adjacency.tolist())
    assert sorted(graph) == list(range(len(district.ids))) and nx.is_connected(graph)
    campus = [district.ids.index(school) for school in ("MSE", "SHM", "RRH")]
    assert all(graph.has_edge(a, b) for a in campus for b in campus if a != b), "one campus: neighbours"
    code, _, err = cli(capsys, "design", district.path, "--out", tmp_path / "out", "--effort", "quick")
    assert code == 0, err
    assert_plan_keeps_invariants(district.path, tmp_path / "out", 12, 24)
