"""Messy real-world exports that load but mislead: each gets one warning line from `feeder check` and
from loading (audit 16: a lost minus sign, shares for counts, shared names, closed schools, a K-8
district), and California's soc_type words are read as levels."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from feeder.district import load_district
from feeder.errors import FeederError
from feeder.lint import ERROR, WARNING, Problem, lint_district
from feeder.sample import sample_path

LOUDOUN_ZIPS = ("20105", "20132", "20147", "20148", "20152", "20164", "20165", "20175", "20176")


def loudoun(lcps_path: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Loudoun's schools and flows as text, to damage one way per test."""
    read = {"dtype": str, "keep_default_na": False}
    return pd.read_csv(lcps_path / "schools.csv", **read), pd.read_csv(lcps_path / "flows.csv", **read)


def written(folder: Path, schools: pd.DataFrame, flows: pd.DataFrame) -> Path:
    folder.mkdir()
    schools.to_csv(folder / "schools.csv", index=False)
    flows.to_csv(folder / "flows.csv", index=False)
    return folder


def warnings_of(folder: Path) -> list[Problem]:
    """`feeder check`'s warnings, after making sure it found no error."""
    problems = lint_district(folder)
    assert [p.line() for p in problems if p.severity == ERROR] == []
    return [p for p in problems if p.severity == WARNING]


def zips(count: int) -> list[str]:
    return [LOUDOUN_ZIPS[i % len(LOUDOUN_ZIPS)] for i in range(count)]


@pytest.mark.parametrize(
    ("column", "cells"),
    [("zip", zips), ("State", lambda n: ["VA"] * n), ("state_name", lambda n: ["Virginia"] * n)],
)
def test_a_lost_minus_sign_in_a_us_district_is_one_warning(lcps_path, tmp_path, column, cells) -> None:
    """Loudoun at 77.5 E (in Asia) with its ZIP codes or its state: the export lost the minus sign."""
    schools, flows = loudoun(lcps_path)
    schools["lon"] = schools["lon"].str.lstrip("-")
    schools[column] = cells(len(schools))
    folder = written(tmp_path / "lcps", schools, flows)
    lost = [p for p in warnings_of(folder) if "minus sign" in p.text]
    assert [(p.file, p.row, p.column) for p in lost] == [("schools.csv", None, "lon")]
    assert f"column '{column.lower()}' places the schools in the US" in lost[0].text
    assert lost[0].text.endswith("(write -77.505257, not 77.505257)")
    assert sum("minus sign" in w for w in load_district(folder).warnings) == 1


def test_positive_longitudes_without_us_evidence_are_not_warned(lcps_path, tmp_path) -> None:
    """Without a US column the sites may be real (Kashgar is at 39 N, 76 E), and a European district's
    five-digit postcodes in a `zip` column lie east of Greenwich but west of any US site turned round."""
    schools, flows = loudoun(lcps_path)
    schools["lon"] = schools["lon"].str.lstrip("-")
    asia = written(tmp_path / "asia", schools, flows)
    schools["lon"] = (schools["lon"].astype(float) - 70).round(6).astype(str)  # 7.5 E, in Germany
    schools["zip"] = [f"{50667 + i}" for i in range(len(schools))]
    europe = written(tmp_path / "europe", schools, flows)
    for folder in (asia, europe):
        assert not any("minus sign" in p.text for p in warnings_of(folder))
        assert not any("minus sign" in w for w in load_district(folder).warnings)


def test_flows_given_as_shares_are_one_warning_not_one_per_school(lcps_path, tmp_path) -> None:
    schools, flows = loudoun(lcps_path)
    students = flows["students"].astype(float)
    flows["students"] = (students / students.groupby(flows["from_id"]).transform("sum")).round(2).astype(str)
    folder = written(tmp_path / "lcps", schools, flows)
    on_flows = [p for p in warnings_of(folder) if p.file == "flows.csv"]
    assert len(on_flows) == 1, [p.line() for p in on_flows]
    assert on_flows[0].column == "students"
    assert on_flows[0].text.startswith("flows look like shares: every school sends 1.0 in total (74 schools)")
    assert "give student counts" in on_flows[0].text
    assert [w for w in load_district(folder).warnings if "shares" in w] == [f"flows.csv: {on_flows[0].text}"]


def test_schools_sharing_a_name_are_one_warning_naming_their_ids(lcps_path, tmp_path) -> None:
    """Three high schools all 'Central Hs' (one written 'CENTRAL  HS'): summary lists 'Central Hs;
    Central Hs', so the planner is told which ids share the name."""
    schools, flows = loudoun(lcps_path)
    schools["name"] = schools["name"].mask(schools["school_id"].isin(["BWH", "RRH"]), "Central Hs")
    schools.loc[schools["school_id"] == "JCH", "name"] = "CENTRAL  HS"
    schools.loc[schools["school_id"] == "CTY", "name"] = "Moorefield Station Es"
    folder = written(tmp_path / "lcps", schools, flows)
    shared = [p for p in warnings_of(folder) if p.column == "name"]
    assert len(shared) == 1
    assert "'Moorefield Station Es' (MSE, CTY); 'Central Hs' (BWH, RRH, JCH)" in shared[0].text
    assert "add the campus or level to the name" in shared[0].text
    assert [w for w in load_district(folder).warnings if "names shared" in w] == [
        f"schools.csv: column 'name': {shared[0].text}"
    ]


def test_a_row_given_twice_is_its_duplicate_id_not_also_a_shared_name(lcps_path, tmp_path) -> None:
    schools, flows = loudoun(lcps_path)
    folder = written(tmp_path / "lcps", pd.concat([schools, schools.iloc[[4]]]), flows)
    problems = lint_district(folder)
    assert [(p.row, p.column) for p in problems if p.severity == ERROR] == [(len(schools) + 2, "school_id")]
    assert not any(p.column == "name" for p in problems)


@pytest.mark.parametrize("header", ["status", "School Status", "StatusType"])
def test_schools_a_status_column_calls_closed_are_named(lcps_path, tmp_path, header) -> None:
    schools, flows = loudoun(lcps_path)
    schools[header] = "Active"
    schools.loc[schools["school_id"] == "HUT", header] = "Closed"
    schools.loc[schools["school_id"] == "LIN", header] = "merged"
    folder = written(tmp_path / "lcps", schools, flows)
    closed = [p for p in warnings_of(folder) if "not open" in p.text]
    assert len(closed) == 1 and closed[0].column == "_".join(header.lower().split())
    assert "HUT (Hutchison Farm Es, Closed), LIN (Lincoln Es, merged)" in closed[0].text
    assert "remove their rows and flows" in closed[0].text
    assert sum("not open" in w for w in load_district(folder).warnings) == 1


def test_a_school_of_enrollment_0_that_sends_students_is_named(lcps_path, tmp_path) -> None:
    schools, flows = loudoun(lcps_path)
    schools.loc[schools["school_id"] == "LIN", "enrollment"] = "0"
    folder = written(tmp_path / "lcps", schools, flows)
    empty = [p for p in warnings_of(folder) if "enrollment 0" in p.text]
    assert [(p.file, p.column) for p in empty] == [("flows.csv", "students")]
    assert "(LIN sends 14.5)" in empty[0].text
    assert [w for w in load_district(folder).warnings if "enrollment 0" in w] == [
        f"flows.csv: {empty[0].text}"
    ]


@pytest.mark.parametrize("grades", [True, False])
def test_a_district_without_grade_12_is_told_k12_complete_cannot_be_met(lcps_path, tmp_path, grades) -> None:
    """Loudoun without its high schools, grade 8 leaving to OUT; with grades given, or levels alone."""
    schools, flows = loudoun(lcps_path)
    high = set(schools.loc[schools["level"] == "high", "school_id"])
    schools = schools[~schools["school_id"].isin(high)]
    schools = schools if grades else schools.drop(columns=["grade_lo", "grade_hi"])
    flows["to_id"] = flows["to_id"].mask(flows["to_id"].isin(high), "OUT")
    folder = written(tmp_path / "k8", schools, flows)
    top = [p for p in warnings_of(folder) if "grade 12" in p.text]
    assert len(top) == 1 and top[0].column == "grade_hi"
    assert top[0].text.startswith("no school teaches grade 12 (the highest grade is 8)")
    assert "'K-12 complete'" in top[0].text
    assert sum("grade 12" in w for w in load_district(folder).warnings) == 1


def soc_type_schools(lausd_path: Path) -> pd.DataFrame:
    """LAUSD's list as the state's directory gives it: its soc_type words as the level, no grades."""
    schools = pd.read_csv(lausd_path / "schools.csv", dtype=str, keep_default_na=False)
    return schools.assign(level=schools["soc_type"]).drop(columns=["grades", "grade_lo", "grade_hi"])


def test_soc_type_words_are_read_as_levels(lausd_path, tmp_path) -> None:
    """The 657 LAUSD schools of a type that names a level load, each at its type's level."""
    schools = soc_type_schools(lausd_path)
    plain = schools[~schools["level"].isin(AMBIGUOUS_SOC_TYPES)]
    folder = tmp_path / "lausd"
    folder.mkdir()
    plain.to_csv(folder / "schools.csv", index=False)
    district = load_district(folder)
    assert district.schools["level"].tolist() == plain["soc_type"].map(SOC_TYPE_LEVELS).tolist()
    assert any("'High Schools (Public)' read as high (81 schools)" in w for w in district.warnings)


SOC_TYPE_LEVELS = {
    "Elementary Schools (Public)": "elementary",
    "Intermediate/Middle Schools (Public)": "middle",
    "High Schools (Public)": "high",
    "Continuation High Schools": "high",
    "K-12 Schools (Public)": "span",
}
AMBIGUOUS_SOC_TYPES = (
    "Alternative Schools of Choice",
    "District Community Day Schools",
    "Opportunity Schools",
    "Special Education Schools (Public)",
)


def test_soc_type_words_of_no_level_are_one_error(lausd_path, tmp_path) -> None:
    """68 LAUSD schools of types that fit no level (an alternative school may teach K-12 or 9-12):
    one error listing the words and their rows, not 725 (or 68) lines."""
    folder = tmp_path / "lausd"
    folder.mkdir()
    soc_type_schools(lausd_path).to_csv(folder / "schools.csv", index=False)
    errors = [p for p in lint_district(folder) if p.severity == ERROR]
    assert [(p.row, p.column) for p in errors] == [(2, "level")]
    assert errors[0].text.startswith(
        "68 rows have a level feeder cannot read: 'District Community Day Schools'"
    )
    assert all(f"'{word}'" in errors[0].text for word in AMBIGUOUS_SOC_TYPES)
    assert "give their grade_lo and grade_hi" in errors[0].text
    with pytest.raises(FeederError, match="unknown level 'District Community Day Schools'"):
        load_district(folder)


def test_a_few_unknown_levels_stay_errors_at_their_rows(lcps_path, tmp_path) -> None:
    schools, flows = loudoun(lcps_path)
    schools.loc[[3, 7], "level"] = "elemntary"
    errors = [p for p in lint_district(written(tmp_path / "lcps", schools, flows)) if p.severity == ERROR]
    assert [(p.row, p.column, p.text) for p in errors] == [
        (row, "level", "unknown level 'elemntary' (use elementary, middle, high, span)") for row in (5, 9)
    ]


@pytest.mark.parametrize(("clean", "count"), [("lcps", 0), ("sample", 1)])
def test_real_districts_get_none_of_these_warnings(lcps_path, clean, count) -> None:
    """Loudoun has no warning, the sample only its shared campuses: none of the checks above fires."""
    folder = lcps_path if clean == "lcps" else sample_path()
    checked = warnings_of(folder)
    assert len(checked) == count
    texts = [p.text for p in checked] + load_district(folder).warnings
    for phrase in ("minus sign", "shares", "names shared", "not open", "enrollment 0", "grade 12"):
        assert not any(phrase in text for text in texts), phrase


@pytest.mark.parametrize("kept", ["schools", "flows"])
def test_a_workbook_kept_instead_of_the_csv_is_named_with_the_fix(lcps_path, tmp_path, kept) -> None:
    """A planner who kept flows.xlsx got flows estimated from the sites with a note that flows.csv was
    missing; a schools.xlsx was 'no schools.csv in this folder'."""
    schools, flows = loudoun(lcps_path)
    folder = written(tmp_path / "lcps", schools, flows)
    (folder / f"{kept}.csv").unlink()
    (schools if kept == "schools" else flows).to_excel(folder / f"{kept}.xlsx", index=False)
    said = f"{kept}.xlsx: a workbook, and feeder reads {kept}.csv: open it and save it as 'CSV UTF-8' named {kept}.csv"
    with pytest.raises(FeederError) as refused:
        load_district(folder)
    assert str(refused.value) == said
    if kept == "flows":
        assert [p.line() for p in lint_district(folder) if p.severity == ERROR] == [said]
    else:
        with pytest.raises(FeederError, match=r"a workbook, and feeder reads schools\.csv"):
            lint_district(folder)


def test_a_span_school_without_grades_is_drawn_and_reported(lcps_path, tmp_path) -> None:
    """METRICS: a span school without grades serves no grade. check called such a district usable
    and design scored it, but map, report and run stopped on an internal error (pandas' NA)."""
    from feeder.cli import main

    schools, flows = loudoun(lcps_path)
    schools.loc[schools["school_id"] == "SMM", ["level", "grade_lo", "grade_hi"]] = ["span", "", ""]
    folder = written(tmp_path / "lcps", schools, flows)
    assert [p.line() for p in lint_district(folder) if p.severity == ERROR] == []
    plan = tmp_path / "plan.csv"
    plan.write_text(
        "school_id,portfolio\n"
        + "".join(f"{s},{p}\n" for s, p in zip(schools["school_id"], schools["pyramid"], strict=True))
    )
    assert main(["map", str(folder), "--plan", str(plan), "--out", str(tmp_path / "maps")]) == 0
    assert main(["report", str(folder), "--plan", str(plan), "--out", str(tmp_path / "report")]) == 0
    assert "Span" in (tmp_path / "maps" / "index.html").read_text(encoding="utf-8")
