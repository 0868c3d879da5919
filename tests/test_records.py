"""Flows from student enrollment records: the rule, its noise, and a round trip on Loudoun's flows."""

from __future__ import annotations

import shutil
from collections.abc import Iterable
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from feeder import load_district
from feeder.cli import main
from feeder.errors import InputError
from feeder.infer import RECORDS_SOURCE
from feeder.infer.records import (
    ARRIVED,
    GRADUATED,
    LATERAL,
    LEFT_EARLY,
    NOT_FOR_PUBLICATION,
    REPEATED,
    SECOND_ROW,
    SKIPPED,
    STAYED,
    UNGRADED_NEXT,
    UNGRADED_ROW,
    flows_from_records,
)

# school_id: (grade_lo, grade_hi); ids are text, some with leading zeros.
SCHOOLS = {
    "0101": (0, 5),
    "0102": (-1, 5),
    "K8": (0, 8),
    "M1": (6, 8),
    "M2": (6, 8),
    "S612": (6, 12),
    "H1": (9, 12),
    "H2": (9, 12),
}
Step = tuple[int, str, int]  # year, school_id, grade


def schools_table() -> pd.DataFrame:
    rows = [
        {
            "school_id": sid,
            "name": f"School {sid}",
            "grade_lo": lo,
            "grade_hi": hi,
            "lat": 34.0 + i / 100,
            "lon": -118.2,
        }
        for i, (sid, (lo, hi)) in enumerate(SCHOOLS.items())
    ]
    return pd.DataFrame(rows)


def write_records(folder: Path, journeys: Iterable[tuple[int, list[Step]]]) -> Path:
    """enrollment.csv from (copies, steps): `copies` students who each follow `steps`."""
    rows, student = [], 0
    for copies, steps in journeys:
        for _ in range(copies):
            student += 1
            grades = {-1: "-1", 0: "0"} if student % 2 else {-1: "TK", 0: "K"}  # both spellings
            rows += [(f"S{student:06d}", year, sid, grades.get(g, str(g))) for year, sid, g in steps]
    folder.mkdir(parents=True, exist_ok=True)
    schools_table().to_csv(folder / "schools.csv", index=False)
    pd.DataFrame(rows, columns=["student_id", "year", "school_id", "grade"]).to_csv(
        folder / "enrollment.csv", index=False
    )
    return folder


# Two year pairs, 2021-22 and 2022-23, with every kind of noise; the noise sits in 2022-23.
NOISY = [
    (4, [(2021, "0101", 5), (2022, "M1", 6), (2023, "M1", 7)]),  # a flow, then up within
    (2, [(2021, "0101", 5), (2022, "M2", 6), (2023, "M2", 7)]),
    (2, [(2021, "0101", 5)]),  # left at the top grade: OUT
    (3, [(2021, "0101", 4), (2022, "0101", 5), (2023, "M1", 6)]),  # up within, then a flow
    (1, [(2021, "0101", 5), (2022, "0101", 5), (2023, "M2", 6)]),  # repeated, then a flow
    (2, [(2022, "0101", 5), (2023, "M1", 6)]),
    (1, [(2022, "0101", 5), (2023, "CHARTER9", 6)]),  # a school outside the table: OUT too
    (1, [(2022, "0101", 3), (2023, "0102", 4)]),  # lateral move
    (1, [(2022, "0102", 5), (2023, "M1", 7)]),  # skipped a grade
    (1, [(2022, "0102", 2)]),  # left before the exit grade
    (3, [(2022, "M1", 6), (2023, "M1", 7)]),  # arrivals in 2022, then up within
    (1, [(2022, "0102", -1), (2023, "0102", 0)]),  # TK -> K within one school
    (2, [(2022, "K8", 8), (2023, "H1", 9)]),  # span school at its top grade
    (1, [(2022, "K8", 5), (2023, "M1", 6)]),  # span school at its transition grade
    (5, [(2022, "K8", 5), (2023, "K8", 6)]),  # staying in the span school is no flow
    (1, [(2022, "K8", 5)]),  # gone from a K-8 after grade 5: not its exit, no OUT
    (1, [(2022, "K8", 6), (2023, "S612", 7)]),  # lateral between span schools
    (2, [(2022, "S612", 8), (2023, "H2", 9)]),  # 6-12 leaving at 8
    (6, [(2022, "M2", 8), (2023, "H1", 9)]),
    (1, [(2022, "M2", 8)]),  # OUT
    (1, [(2022, "M1", 8), (2023, "S612", 9)]),  # a middle school's leaver entering a 6-12 at 9
    (1, [(2022, "H1", 9), (2023, "H2", 10)]),  # lateral between high schools
    (1, [(2022, "M2", 7), (2023, "M1", 7)]),  # repeated at another school
    (2, [(2022, "H1", 12)]),  # graduated, not OUT
]
ARRIVALS_2022 = 34  # students of 2022 without a 2021 record (every journey starting in 2022)


def expected_noisy() -> dict[tuple[str, str], float]:
    counts = {
        ("0101", "M1"): 4 + 2 + 3,
        ("0101", "M2"): 2 + 1,
        ("0101", "OUT"): 2 + 1,
        ("K8", "H1"): 2,
        ("K8", "M1"): 1,
        ("S612", "H2"): 2,
        ("M2", "H1"): 6,
        ("M2", "OUT"): 1,
        ("M1", "S612"): 1,
    }
    return {pair: n / 2 for pair, n in counts.items()}


def as_dict(flows: pd.DataFrame) -> dict[tuple[str, str], float]:
    return {(f, t): s for f, t, s in zip(flows["from_id"], flows["to_id"], flows["students"], strict=True)}


def test_records_give_flows_by_the_rule_through_every_kind_of_noise(tmp_path: Path) -> None:
    folder = write_records(tmp_path, NOISY)
    warnings: list[str] = []
    flows, report = flows_from_records(
        folder / "enrollment.csv", schools_table().astype({"school_id": str}), warnings
    )
    assert as_dict(flows) == pytest.approx(expected_noisy())
    assert report.year_pairs == ((2021, 2022), (2022, 2023))
    assert report.students_used == 28
    assert report.ignored[STAYED] == 4 + 2 + 3 + 3 + 1 + 5
    assert report.ignored[REPEATED] == 1 + 1
    assert report.ignored[SKIPPED] == 1
    assert report.ignored[LATERAL] == 1 + 1 + 1
    assert report.ignored[LEFT_EARLY] == 1 + 1
    assert report.ignored[GRADUATED] == 2
    assert report.ignored[ARRIVED] == ARRIVALS_2022
    assert report.records == len(pd.read_csv(folder / "enrollment.csv"))
    assert report.outside_records == 1
    assert any("CHARTER9" in w for w in warnings)


def test_loader_prefers_records_to_zones_and_sites_but_not_to_flows_csv(tmp_path: Path) -> None:
    folder = write_records(tmp_path / "d", NOISY)
    district = load_district(folder)
    assert district.flows_source == RECORDS_SOURCE == "enrollment records"
    assert as_dict(district.flows) == pytest.approx(expected_noisy())
    pd.DataFrame({"from_id": ["0101"], "to_id": ["M1"], "students": [9]}).to_csv(
        folder / "flows.csv", index=False
    )
    assert load_district(folder).flows_source == "flows.csv"


def test_infer_command_reports_records_pairs_students_and_reasons(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = write_records(tmp_path / "d", NOISY)
    assert main(["infer", str(folder), "--out", str(tmp_path / "out")]) == 0
    printed = capsys.readouterr().out
    assert "source: enrollment records (enrollment.csv)" in printed
    assert f"records: {len(pd.read_csv(folder / 'enrollment.csv'))}" in printed
    assert "year pairs: 2 (2021-2022, 2022-2023)" in printed
    assert "students used: 28" in printed
    assert "ignored: 18 moved up within one school" in printed
    assert f"ignored: {ARRIVALS_2022} new arrival" in printed
    assert "ignored: 2 graduated" in printed
    assert NOT_FOR_PUBLICATION in " ".join(printed.split())
    written = pd.read_csv(tmp_path / "out" / "flows.csv", dtype={"from_id": str}, comment="#")
    assert as_dict(written) == pytest.approx(expected_noisy())


PAIRS = 4  # year pairs 2021-22 ... 2024-25


def lcps_records(schools: pd.DataFrame, flows: pd.DataFrame) -> list[tuple[int, list[Step]]]:
    """Records whose PAIRS year pairs average to the given flows (to within 1 / (2 * PAIRS) students,
    as students are whole), plus students who are no flow: moving up within a school, arriving."""
    top = schools.set_index("school_id")["grade_hi"].astype(int)
    lo = schools.set_index("school_id")["grade_lo"].astype(int).clip(lower=0)
    journeys: list[tuple[int, list[Step]]] = []
    for sender, receiver, students in zip(flows["from_id"], flows["to_id"], flows["students"], strict=True):
        total = round(PAIRS * students)
        g = int(top[sender])
        for pair in range(PAIRS):
            year = 2021 + pair
            steps = [(year, sender, g)] + ([(year + 1, receiver, g + 1)] if receiver != "OUT" else [])
            journeys.append((total // PAIRS + (pair < total % PAIRS), steps))
    for sid in schools["school_id"]:
        g = int(lo[sid])
        journeys.append((7, [(2021, sid, g), (2022, sid, g + 1)]))  # moving up within, then leaving early
        journeys.append((2, [(2024, sid, g + 1), (2025, sid, g + 2)]))  # arrivals
    return journeys


def test_round_trip_recovers_loudouns_flows_from_generated_records(lcps_path: Path, tmp_path: Path) -> None:
    schools = pd.read_csv(lcps_path / "schools.csv", dtype={"school_id": str})
    truth = pd.read_csv(lcps_path / "flows.csv", dtype={"from_id": str, "to_id": str})
    shutil.copy(lcps_path / "schools.csv", tmp_path / "schools.csv")
    rows, student = [], 0
    for copies, steps in lcps_records(schools, truth):
        for _ in range(copies):
            student += 1
            rows += [(f"{student:07d}", year, sid, g) for year, sid, g in steps]
    pd.DataFrame(rows, columns=["student_id", "year", "school_id", "grade"]).to_csv(
        tmp_path / "enrollment.csv", index=False
    )
    district = load_district(tmp_path)
    assert district.flows_source == "enrollment records"
    assert district.warnings == []
    recovered, expected = as_dict(district.flows), as_dict(truth)
    assert recovered.keys() == expected.keys()
    assert recovered == pytest.approx(expected, abs=1 / (2 * PAIRS))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    journeys=st.lists(
        st.lists(st.tuples(st.sampled_from(sorted(SCHOOLS)), st.integers(-1, 12)), min_size=1, max_size=3),
        min_size=1,
        max_size=40,
    )
)
def test_every_first_year_record_is_a_flow_or_has_one_reason(tmp_path: Path, journeys: list) -> None:
    steps = [(1, [(2020 + i, sid, g) for i, (sid, g) in enumerate(path)]) for path in journeys]
    folder = write_records(tmp_path / "h", [*steps, (1, [(2020, "0101", 0), (2021, "0101", 1)])])
    flows, report = flows_from_records(folder / "enrollment.csv", schools_table(), [])
    records = pd.read_csv(folder / "enrollment.csv")
    first_years = {y for y, _ in report.year_pairs}
    senders = int(records["year"].isin(first_years).sum())
    classified = report.students_used + sum(n for reason, n in report.ignored.items() if reason != ARRIVED)
    assert classified == senders
    assert flows["students"].sum() * len(report.year_pairs) == pytest.approx(report.students_used)


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        (
            [("a", "2021", "M1", "6"), ("b", "2021", "M1", "sixth")],
            "enrollment.csv, row 3, column 'grade': 'sixth' is not a grade (use K, PK, TK, UG (ungraded) or 1-12)",
        ),
        (  # every bad row is counted in the one line, which is all feeder check can show of the file
            [
                ("a", "2021", "M1", "sixth"),
                ("b", "2021", "M1", "6"),
                ("c", "2021", "M1", "7th"),
                ("d", "2021", "M1", "sixth"),
            ],
            "row 2, column 'grade': 'sixth' is not a grade (use K, PK, TK, UG (ungraded) or 1-12); also '7th' (3 rows: 2, 4, 5)",
        ),
        (
            [("a", "2021", "M1", "6"), ("", "2021", "M1", "6"), ("", "2022", "M1", "7")],
            "row 3, column 'student_id': student_id is empty (2 rows: 3, 4)",
        ),
        ([("a", "21", "M1", "6")], "row 2, column 'year': '21' is not a school year"),
        ([("a", "2021", "", "6")], "row 2, column 'school_id': school_id is empty"),
        (
            [("a", "2021", "M1", "6"), ("b", "2023", "M1", "6")],
            "no two consecutive school years (years: 2021, 2023)",
        ),
    ],
)
def test_bad_records_are_refused_in_one_line(tmp_path: Path, rows: list, message: str) -> None:
    path = tmp_path / "enrollment.csv"
    pd.DataFrame(rows, columns=["student_id", "year", "school_id", "grade"]).to_csv(path, index=False)
    with pytest.raises(InputError) as error:
        flows_from_records(path, schools_table(), [])
    assert message in str(error.value)


def test_ids_and_school_years_stay_text(tmp_path: Path) -> None:
    path = tmp_path / "enrollment.csv"
    path.write_text(
        "\ufeffStudent_ID , Year,School_ID,Grade\n007,2021-22, 0101 ,5\n007,2022-23,M1,6\n7,2021-22,0101,5\n"
    )
    flows, report = flows_from_records(path, schools_table(), [])
    assert as_dict(flows) == {("0101", "M1"): 1.0, ("0101", "OUT"): 1.0}
    assert report.year_pairs == ((2021, 2022),)


def write_lcps_records(
    folder: Path, lcps_path: Path, *, spell: dict[str, str] | None = None
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Loudoun's schools (ids respelled by `spell`), its flows and the records `lcps_records` makes of
    them, written to `folder`; returns (schools, flows, records) for a test to add noise and rewrite."""
    spell = spell or {}
    schools = pd.read_csv(lcps_path / "schools.csv", dtype={"school_id": str}).replace({"school_id": spell})
    flows = pd.read_csv(lcps_path / "flows.csv", dtype={"from_id": str, "to_id": str})
    flows = flows.replace({"from_id": spell, "to_id": spell})
    rows, student = [], 0
    for copies, steps in lcps_records(schools, flows):
        for _ in range(copies):
            student += 1
            rows += [(f"{student:07d}", year, sid, str(g)) for year, sid, g in steps]
    records = pd.DataFrame(rows, columns=["student_id", "year", "school_id", "grade"])
    schools.to_csv(folder / "schools.csv", index=False)
    records.to_csv(folder / "enrollment.csv", index=False)
    return schools, flows, records


def test_school_ids_a_spreadsheet_stripped_of_leading_zeros_are_matched_back(
    lcps_path: Path, tmp_path: Path
) -> None:
    """Loudoun numbered 0023 .. 2070 (half with leading zeros), its records opened in Excel: '23'."""
    ids = pd.read_csv(lcps_path / "schools.csv", dtype={"school_id": str})["school_id"]
    numbered = {sid: f"{23 * (i + 1):04d}" for i, sid in enumerate(ids)}
    _, flows, records = write_lcps_records(tmp_path, lcps_path, spell=numbered)
    records.assign(school_id=records["school_id"].str.lstrip("0")).to_csv(
        tmp_path / "enrollment.csv", index=False
    )
    district = load_district(tmp_path)
    recovered, expected = as_dict(district.flows), as_dict(flows)
    assert recovered.keys() == expected.keys()
    assert recovered == pytest.approx(expected, abs=1 / (2 * PAIRS))
    stripped = [school for school in records["school_id"].unique() if school.startswith("0")]
    assert district.warnings == [
        f"enrollment.csv: {len(stripped)} school id(s) were written differently from the schools table's "
        "(leading zeros, a trailing '.0' or letter case, as a spreadsheet leaves them) and were matched to its "
        f"ids, e.g. '{stripped[0].lstrip('0')}' as '{stripped[0]}', '{stripped[1].lstrip('0')}' as '{stripped[1]}'"
    ]


def test_records_naming_no_school_of_the_table_say_so_with_both_spellings(
    lcps_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An export that gives each school's name where schools.csv has its id matches nothing at all."""
    schools, _, records = write_lcps_records(tmp_path, lcps_path)
    named = records.replace({"school_id": dict(zip(schools["school_id"], schools["name"], strict=True))})
    named.to_csv(tmp_path / "enrollment.csv", index=False)
    assert main(["check", str(tmp_path)]) == 2
    printed = " ".join(capsys.readouterr().out.split())
    first = named["school_id"].iloc[0]
    assert (
        f"enrollment.csv, row 2, column 'school_id': no school id of the records matches a school of "
        f"schools.csv ('{first}' here, 'MSE' there): write school_id as schools.csv does"
    ) in printed
    assert "no student moves on" not in printed


def test_mid_year_moves_and_ungraded_students_are_counted_not_refused(
    lcps_path: Path, tmp_path: Path
) -> None:
    """A real extract: every 20th student changes school mid-year (the later row follows the fall one),
    three students per school are ungraded both years, and a few leavers of AHS's feeders are ungraded
    the year after (enrolled: no flow, and not OUT)."""
    schools, flows, records = write_lcps_records(tmp_path, lcps_path)
    movers = records[records["student_id"].astype(int) % 20 == 0]
    elsewhere = movers.assign(
        school_id=schools["school_id"].sample(len(movers), replace=True, random_state=0).to_numpy()
    )
    midyear = pd.concat([records, elsewhere]).sort_index(kind="stable")  # each move right after its fall row
    top = schools.set_index("school_id")["grade_hi"].astype(int)
    ungraded = [
        (f"UG{sid}{n}", year, sid, "UG")
        for sid in schools["school_id"]
        for n in range(3)
        for year in (2021, 2022)
    ]
    senders = flows["from_id"][flows["to_id"] != "OUT"].unique()[:4]
    ungraded_next = [(f"NX{sid}", 2021, sid, str(top[sid])) for sid in senders]
    ungraded_next += [(f"NX{sid}", 2022, sid, "ug") for sid in senders]
    extra = pd.DataFrame(ungraded + ungraded_next, columns=records.columns)
    pd.concat([midyear, extra]).to_csv(tmp_path / "enrollment.csv", index=False)
    warnings: list[str] = []
    found, report = flows_from_records(tmp_path / "enrollment.csv", schools, warnings)
    recovered, expected = as_dict(found), as_dict(flows)
    assert recovered.keys() == expected.keys()
    assert recovered == pytest.approx(expected, abs=1 / (2 * PAIRS))
    assert warnings == []
    assert report.ignored_records == {SECOND_ROW: len(movers), UNGRADED_ROW: len(ungraded) + len(senders)}
    assert report.ignored[UNGRADED_NEXT] == len(senders)
    assert f"ignored: {len(movers):,} {SECOND_ROW}" in report.lines()
