"""schools.csv from NCES CCD files (feeder/nces.py), on tiny fixtures in the real layouts."""

from __future__ import annotations

import gc
import math
import re
import warnings
from pathlib import Path

import pandas as pd
import pytest

from feeder.cli import main
from feeder.district import load_district
from feeder.errors import FeederError
from feeder.infer import ROUGH_SOURCE
from feeder.io.nces import ccd_grade, import_nces

FIXTURES = Path(__file__).parent / "fixtures" / "nces"
DIRECTORY = FIXTURES / "directory.csv"
GEOCODES = FIXTURES / "geocodes.csv"
MEMBERSHIP = FIXTURES / "membership.csv"
CHARACTERISTICS = FIXTURES / "characteristics.csv"
LEAID = "5199999"


def full_import(**options: object) -> pd.DataFrame:
    imported = import_nces(
        DIRECTORY, LEAID, geocodes=GEOCODES, membership=MEMBERSHIP, characteristics=CHARACTERISTICS, **options
    )
    return imported.schools.set_index("school_id")


@pytest.mark.parametrize(
    ("code", "grade"),
    [("PK", -1), ("KG", 0), ("01", 1), ("1", 1), ("08", 8), ("12", 12), ("13", 13), (" kg ", 0)],
)
def test_ccd_grade_codes(code: str, grade: int) -> None:
    assert ccd_grade(code) == grade


@pytest.mark.parametrize("code", ["UG", "AE", "N", "M", "", "-1"])
def test_ungraded_and_missing_grade_codes_are_unknown(code: str) -> None:
    assert math.isnan(ccd_grade(code))


def test_directory_becomes_a_schools_table() -> None:
    schools = full_import()
    assert list(schools.index) == [f"5199999000{n:02d}" for n in range(1, 8)]
    assert schools.loc["519999900001", ["name", "level", "grade_lo", "grade_hi"]].tolist() == [
        "Alder Elementary",
        "elementary",
        -1,
        5,
    ]
    assert schools.loc["519999900007", "level"] == "span"  # K-8
    assert schools.loc["519999900001", "lat"] == pytest.approx(38.9012)
    assert schools.loc["519999900001", "lon"] == pytest.approx(-77.5201)


def test_enrollment_prefers_the_total_without_adult_education() -> None:
    enrollment = full_import()["enrollment"]
    assert enrollment["519999900002"] == 540  # derived total, not the 545 unit total
    assert enrollment["519999900003"] == 480  # derived total blank: falls back to the unit total


def test_charter_and_magnet_become_program_tags() -> None:
    programs = full_import()["programs"]
    assert programs["519999900007"] == "charter;magnet"
    assert programs["519999900004"] == "magnet"
    assert programs["519999900001"] == ""
    without = import_nces(DIRECTORY, LEAID, geocodes=GEOCODES).schools.set_index("school_id")
    assert without.loc["519999900007", "programs"] == "charter"


def test_closed_non_regular_and_pre_k_only_schools_are_left_out_with_notes() -> None:
    imported = import_nces(DIRECTORY, LEAID, geocodes=GEOCODES)
    notes = " | ".join(imported.notes)
    assert "519999900008 Hazel Elementary" in notes and "closed" in notes
    assert "519999900009 Ivy Technical Center" in notes and "--all-types" in notes
    assert "519999900010 Juniper Preschool Center" in notes
    assert "519999900003" in set(imported.schools["school_id"])  # "New" schools are operating
    assert "519999900009" in set(full_import(all_types=True).index)


def test_leading_zeros_are_kept_and_restored() -> None:
    imported = import_nces(DIRECTORY, "199999", geocodes=GEOCODES)
    assert imported.schools["school_id"].tolist() == ["019999900001", "019999900002"]
    assert imported.district == "Leading Zero City Schools"


def test_imported_folder_loads_and_infers_rough_flows(tmp_path: Path) -> None:
    imported = import_nces(DIRECTORY, LEAID, geocodes=GEOCODES, membership=MEMBERSHIP)
    (tmp_path / "schools.csv").write_text(imported.csv())
    district = load_district(tmp_path)
    assert district.ids == imported.schools["school_id"].tolist()
    assert district.flows_source == ROUGH_SOURCE
    assert set(district.flows["to_id"]) <= {"519999900004", "519999900005", "519999900006"}
    assert ("519999900007", "519999900006") in set(
        zip(district.flows["from_id"], district.flows["to_id"], strict=True)
    )


@pytest.mark.parametrize(("lat", "lon"), [("-999", "-999"), ("0", "0"), ("38.9", "-999.0")])
def test_placeholder_coordinates_are_missing_not_sites(tmp_path: Path, lat: str, lon: str) -> None:
    """CCD writes -999 (or 0, 0) for an unknown site; it must never reach schools.csv."""
    geocodes = pd.read_csv(GEOCODES, dtype=str)
    geocodes.loc[geocodes["NCESSCH"] == "519999900005", ["LAT", "LON"]] = [lat, lon]
    geocodes.to_csv(tmp_path / "geocodes.csv", index=False)
    with pytest.raises(FeederError, match=r"^NCESSCH 519999900005 \(Elm Middle\): no coordinates"):
        import_nces(DIRECTORY, LEAID, geocodes=tmp_path / "geocodes.csv")


def test_missing_coordinates_name_the_school(tmp_path: Path) -> None:
    geocodes = pd.read_csv(GEOCODES, dtype=str)
    geocodes[geocodes["NCESSCH"] != "519999900005"].to_csv(tmp_path / "geocodes.csv", index=False)
    with pytest.raises(
        FeederError,
        match=r"^NCESSCH 519999900005 \(Elm Middle\): no coordinates in directory\.csv or geocodes\.csv",
    ):
        import_nces(DIRECTORY, LEAID, geocodes=tmp_path / "geocodes.csv")


@pytest.mark.parametrize(
    ("lat", "lon", "column", "problem"),
    [
        ("95.2", "-77.480000", "lat", "'95.2' is outside -90..90; are lat and lon swapped?"),
        (
            "-77.480000",
            "38.958000",
            "lat",
            "'-77.480000' puts the school in Antarctica; are lat and lon swapped?",
        ),
        ("38.958000", "-277.48", "lon", "'-277.48' is outside -180..180; check the value"),
    ],
)
def test_impossible_geocode_names_its_row_column_and_value(
    tmp_path: Path, lat: str, lon: str, column: str, problem: str
) -> None:
    """A typo or a swap is the planner's to fix, so it must point at the cell, not read as "no coordinates"."""
    geocodes = pd.read_csv(GEOCODES, dtype=str, keep_default_na=False)
    geocodes.loc[geocodes["NCESSCH"] == "519999900005", ["LAT", "LON"]] = [lat, lon]
    geocodes.to_csv(tmp_path / "geocodes.csv", index=False)
    with pytest.raises(
        FeederError, match=rf"^geocodes\.csv, row 6, column '{column}': {re.escape(problem)}$"
    ):
        import_nces(DIRECTORY, LEAID, geocodes=tmp_path / "geocodes.csv")


def test_swapped_geocode_columns_are_one_line_at_the_first_school_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    geocodes = pd.read_csv(GEOCODES, dtype=str, keep_default_na=False)
    geocodes.rename(columns={"LAT": "LON", "LON": "LAT"}).to_csv(tmp_path / "geocodes.csv", index=False)
    argv = ["import-nces", str(DIRECTORY), "--district", LEAID, "--geocodes", str(tmp_path / "geocodes.csv")]
    assert main([*argv, "--out", str(tmp_path / "out")]) == 2
    assert capsys.readouterr().err == (
        "error: geocodes.csv, row 2, column 'lat': '-77.520100' puts the school in Antarctica; "
        "are lat and lon swapped?\n"
    )
    assert not (tmp_path / "out" / "schools.csv").exists()


def test_impossible_site_in_a_merged_directory_names_its_row_in_the_file(tmp_path: Path) -> None:
    """The directory is filtered to one district; the row must still be the one in the file."""
    directory = pd.read_csv(DIRECTORY, dtype=str, keep_default_na=False)
    sites = pd.read_csv(GEOCODES, dtype=str, keep_default_na=False).set_index("NCESSCH")
    directory["LATCOD"] = directory["NCESSCH"].map(sites["LAT"])
    directory["LONCOD"] = directory["NCESSCH"].map(sites["LON"])
    spruce = directory["NCESSCH"] == "019999900002"
    directory.loc[spruce, ["LATCOD", "LONCOD"]] = ["-86.300000", "32.380000"]
    directory.to_csv(tmp_path / "directory.csv", index=False)
    with pytest.raises(
        FeederError,
        match=r"^directory\.csv, row 14, column 'latcod': '-86\.300000' puts the school in Antarctica; "
        r"are latcod and loncod swapped\?$",
    ):
        import_nces(tmp_path / "directory.csv", "199999")


def test_directory_without_coordinates_asks_for_geocodes() -> None:
    with pytest.raises(FeederError, match="pass the EDGE public school geocode file with --geocodes"):
        import_nces(DIRECTORY, LEAID)


def test_unknown_district_lists_what_the_file_holds() -> None:
    with pytest.raises(
        FeederError,
        match=r"^directory\.csv, column 'leaid': no school has LEAID '5100002' \(the file holds e\.g\. 5199999 Fictional County",
    ):
        import_nces(DIRECTORY, "5100002", geocodes=GEOCODES)


def test_bad_membership_count_names_its_row(tmp_path: Path) -> None:
    """It also closes the file it stopped reading (an open file left to the garbage collector warns)."""
    membership = pd.read_csv(MEMBERSHIP, dtype=str, keep_default_na=False)
    row = membership.index[
        (membership["NCESSCH"] == "519999900004") & (membership["TOTAL_INDICATOR"] == "Education Unit Total")
    ][0]
    membership.loc[row, "STUDENT_COUNT"] = "lots"
    membership.to_csv(tmp_path / "membership.csv", index=False)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResourceWarning)
        with pytest.raises(
            FeederError,
            match=rf"^membership\.csv, row {row + 2}, column 'student_count': 'lots' is not a number \(write digits",
        ):
            import_nces(DIRECTORY, LEAID, geocodes=GEOCODES, membership=tmp_path / "membership.csv")
        gc.collect()
    assert not [warning for warning in caught if issubclass(warning.category, ResourceWarning)]


def test_import_command_writes_schools_csv(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = [
        "import-nces",
        str(DIRECTORY),
        "--district",
        LEAID,
        "--geocodes",
        str(GEOCODES),
        "--out",
        str(tmp_path),
    ]
    assert main([*argv, "--membership", str(MEMBERSHIP)]) == 0
    printed = capsys.readouterr().out
    assert "wrote" in printed and "7 schools of Fictional County Public Schools" in printed
    assert "note: left out: 1 school(s) are closed" in printed
    written = pd.read_csv(tmp_path / "schools.csv", dtype={"school_id": str})
    assert written["school_id"].str.len().eq(12).all()
    assert main(argv) == 2
    assert "already exists; pass --force" in capsys.readouterr().err


def test_import_command_bad_input_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "directory.csv"
    bad.write_text("NCESSCH,SCH_NAME\n519999900001,Alder Elementary\n")
    assert main(["import-nces", str(bad), "--district", LEAID, "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert (
        err
        == "error: directory.csv, row 1, column 'leaid': missing required column 'leaid' (found: ncessch, sch_name)\n"
    )
    assert not (tmp_path / "out" / "schools.csv").exists()
