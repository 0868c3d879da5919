"""Program alignment: hand-built districts with known answers, bad rules and tags, the CLI, the sample."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from feeder.alignment import (
    broken_edges,
    check_alignment,
    default_rules,
    load_rules,
    pathway_weights,
)
from feeder.alignment.report import NO_PROGRAMS, summary_lines
from feeder.alignment.rules import parse_rules
from feeder.cli import main
from feeder.district import load_district
from feeder.errors import FeederError
from feeder.geo import haversine_km
from feeder.plan import Plan

REPOSITORY = Path(__file__).resolve().parents[1]
SAMPLE = REPOSITORY / "data" / "sample"


def school(school_id: str, level: str, lat: float, lon: float, programs: str = "", **extra: str) -> dict:
    """A school row in Los Angeles; names end with the level so messages read naturally."""
    suffix = {"elementary": "ES", "middle": "MS", "high": "HS", "span": "K-8"}[level]
    return {
        "school_id": school_id,
        "name": f"{school_id} {suffix}",
        "level": level,
        "lat": str(lat),
        "lon": str(lon),
        "programs": programs,
    } | extra


SCHOOLS = [
    school("E1", "elementary", 34.00, -118.30, "dual_language:spanish;ib", portfolio="P1"),
    school("E2", "elementary", 34.02, -118.32, "Dual_Language:Korean;", portfolio="P1"),
    school("E3", "elementary", 34.01, -118.33, "dual_language:spanish", portfolio="P2"),
    school("E4", "elementary", 34.00, -118.31, "dual_language:spanish", portfolio="P2"),
    school("M1", "middle", 34.01, -118.29, "magnet:stem", portfolio="P1"),
    school("M2", "middle", 34.03, -118.31, "dual_language:spanish;ib", portfolio="P2"),
    school("M3", "middle", 34.10, -118.30, "dual_language:spanish", portfolio="P2"),
    school("H1", "high", 34.02, -118.28, "linked_learning:health;magnet:stem", portfolio="P1"),
    school("H2", "high", 34.04, -118.30, "", portfolio="P2"),
]
FLOWS = [
    ("E1", "M1", 184),
    ("E1", "M2", 20),
    ("E1", "OUT", 10),
    ("E2", "M1", 50),
    ("E3", "M1", 30),
    ("E3", "M2", 70),
    ("E4", "M1", 5),
    ("M1", "H1", 200),
    ("M2", "H2", 100),
    ("M3", "H2", 40),
]


@pytest.fixture(scope="module")
def district(make_district):
    return load_district(make_district(SCHOOLS, FLOWS))


@pytest.fixture(scope="module")
def result(district):
    return check_alignment(district)


def rows(result, **match) -> pd.DataFrame:
    table = result.table
    for column, value in match.items():
        table = table[table[column] == value]
    return table


def status(result, from_id: str, to_id: str, family: str, value: str = "") -> tuple[str, float]:
    found = rows(result, from_id=from_id, to_id=to_id, family=family, value_from=value)
    assert len(found) == 1, found
    return found["status"].iloc[0], found["students"].iloc[0]


# --- continue rules ------------------------------------------------------------------------


def test_continue_counts_continued_and_broken_flows(result):
    assert status(result, "E1", "M2", "dual_language", "spanish") == ("continued", 20)
    assert status(result, "E1", "M1", "dual_language", "spanish") == ("broken", 184)
    assert status(result, "M2", "H2", "dual_language", "spanish") == ("broken", 100)
    assert status(result, "M1", "H1", "magnet", "stem") == ("continued", 200)


def test_continue_is_by_value_and_tags_are_compared_in_lower_case(result):
    # Korean does not continue into Spanish; the upper-case tag and trailing ';' are fine.
    assert status(result, "E2", "M1", "dual_language", "korean") == ("broken", 50)


def test_bare_tags_are_a_family_without_value(result):
    assert status(result, "E1", "M2", "ib") == ("continued", 20)
    assert status(result, "E1", "M1", "ib") == ("broken", 184)
    assert rows(result, family="ib")["value_from"].eq("").all()


def test_multiple_families_on_one_flow_give_one_row_each(result):
    assert sorted(rows(result, from_id="E1", to_id="M1")["family"]) == ["dual_language", "ib"]


def test_flows_to_out_and_unprogrammed_senders_are_not_checked(result):
    assert "OUT" not in set(result.table["to_id"])
    assert rows(result, from_id="M3").shape[0] == 1  # dual language only
    assert "linked_learning" not in set(result.table["family"])


def test_same_family_continues_into_any_value(make_district):
    schools = [
        school("E1", "elementary", 34.0, -118.3, "ib:pyp"),
        school("M1", "middle", 34.01, -118.3, "ib:myp"),
    ]
    district = load_district(make_district(schools, [("E1", "M1", 30)]))
    by_value = check_alignment(district)
    by_family = check_alignment(
        district, rules=parse_rules('[families.ib]\nkind = "continue"\nsame = "family"\n', "x.toml")
    )
    assert status(by_value, "E1", "M1", "ib", "pyp") == ("broken", 30)
    assert status(by_family, "E1", "M1", "ib", "pyp") == ("continued", 30)
    assert by_family.table["value_to"].tolist() == ["myp"]


# --- match rules ---------------------------------------------------------------------------


MATCH_RULES = '[families.math_curriculum]\nkind = "match"\nlabel = "math curriculum"\n'


def test_match_aligned_misaligned_unknown(make_district):
    schools = [
        school("E1", "elementary", 34.00, -118.30, "math_curriculum:eureka"),
        school("E2", "elementary", 34.01, -118.30, "math_curriculum:envision;ib"),
        school("E3", "elementary", 34.02, -118.30, ""),
        school("M1", "middle", 34.01, -118.29, "math_curriculum:eureka"),
        school("M2", "middle", 34.02, -118.29, ""),
    ]
    flows = [("E1", "M1", 10), ("E2", "M1", 20), ("E3", "M1", 30), ("E1", "M2", 40), ("E2", "OUT", 5)]
    result = check_alignment(
        load_district(make_district(schools, flows)), rules=parse_rules(MATCH_RULES, "m.toml")
    )
    assert status(result, "E1", "M1", "math_curriculum", "eureka") == ("aligned", 10)
    assert status(result, "E2", "M1", "math_curriculum", "envision") == ("misaligned", 20)
    assert status(result, "E3", "M1", "math_curriculum", "") == ("unknown", 30)
    assert status(result, "E1", "M2", "math_curriculum", "eureka") == ("unknown", 40)
    assert result.families["math_curriculum"] == {
        "kind": "match",
        "students": 100.0,
        "aligned": 10.0,
        "misaligned": 20.0,
        "unknown": 70.0,
        "rate": pytest.approx(10 / 30),
    }
    assert (
        summary_lines(result)[0]
        == "math curriculum: 10 of 30 students aligned (33.3%), 20 misaligned, 70 unknown"
    )


def test_match_family_with_two_values_at_one_school_is_refused(make_district):
    schools = [
        school("E1", "elementary", 34.0, -118.3, "math_curriculum:eureka;math_curriculum:envision"),
        school("M1", "middle", 34.01, -118.3, "math_curriculum:eureka"),
    ]
    district = load_district(make_district(schools, [("E1", "M1", 10)]))
    with pytest.raises(
        FeederError, match=r"^schools\.csv, row 2, column 'programs': school 'E1' carries 2 values"
    ):
        check_alignment(district, rules=parse_rules(MATCH_RULES, "m.toml"))


# --- summaries -----------------------------------------------------------------------------


def test_family_totals_and_rates(result):
    spanish_and_korean = {"continued": 20 + 70, "broken": 184 + 50 + 30 + 5 + 100 + 40}
    dual = result.families["dual_language"]
    assert dual["continued"] == spanish_and_korean["continued"]
    assert dual["broken"] == spanish_and_korean["broken"]
    assert dual["students"] == sum(spanish_and_korean.values())
    assert dual["rate"] == pytest.approx(90 / 499)
    assert result.families["magnet"] == {
        "kind": "continue",
        "students": 200.0,
        "continued": 200.0,
        "broken": 0.0,
        "rate": 1.0,
    }


def test_per_portfolio_summary_uses_the_current_portfolio_column(result):
    assert result.plan is not None and result.plan.provenance.is_current
    portfolios = {entry["portfolio"]: entry for entry in result.portfolios}
    assert set(portfolios) == {"P1", "P2"}
    # P1 sends E1 (184 + 20 spanish), E2 (50 korean); P2 sends E3, E4, M2, M3.
    assert portfolios["P1"]["families"]["dual_language"]["broken"] == 184 + 50
    assert portfolios["P2"]["families"]["dual_language"]["continued"] == 70
    assert portfolios["P2"]["families"]["dual_language"]["broken"] == 30 + 5 + 100 + 40
    assert portfolios["P1"]["breaks"][0] == {
        "from_id": "E1",
        "to_id": "M1",
        "family": "dual_language",
        "value_from": "spanish",
        "value_to": "",
        "students": 184.0,
        "status": "broken",
    }
    assert set(result.table["portfolio_to"]) <= {"P1", "P2"}


def test_a_given_plan_replaces_the_portfolio_column(district, tmp_path):
    plan_path = tmp_path / "portfolios.csv"
    plan_path.write_text("school_id,portfolio\n" + "".join(f"{s['school_id']},A\n" for s in SCHOOLS))
    result = check_alignment(district, Plan.from_csv(district, plan_path))
    assert [entry["portfolio"] for entry in result.portfolios] == ["A"]
    assert result.portfolios[0]["families"] == result.families


def test_no_portfolio_view_without_a_plan(make_district):
    schools = [{k: v for k, v in row.items() if k != "portfolio"} for row in SCHOOLS]
    result = check_alignment(load_district(make_district(schools, FLOWS)))
    assert result.plan is None and result.portfolios is None
    assert "portfolio_from" not in result.table.columns


def test_per_pattern_summary_follows_the_sending_school(result):
    patterns = {entry["pattern"]: entry for entry in result.patterns}
    # Dominant paths: E1, E2, E4 → M1 → H1; E3 → M2 → H2; M3 → H2.
    assert set(patterns) == {"H1", "H2"}
    assert patterns["H1"]["name"] == "H1 HS"
    assert patterns["H1"]["families"]["dual_language"] == {
        "kind": "continue",
        "students": 259.0,
        "continued": 20.0,
        "broken": 239.0,
        "rate": pytest.approx(20 / 259),
    }
    assert patterns["H2"]["families"]["dual_language"]["broken"] == 30 + 100 + 40
    total = sum(entry["families"]["dual_language"]["students"] for entry in result.patterns)
    assert total == result.families["dual_language"]["students"]


# --- suggestions and the map / designer helpers ---------------------------------------------


def suggestion(result, from_id: str, family: str) -> dict:
    return next(s for s in result.suggestions if s["from_id"] == from_id and s["family"] == family)


def test_suggestion_names_nearest_school_with_the_program(result):
    found = suggestion(result, "E1", "dual_language")
    # M2 (3.5 km) and M3 offer Spanish dual language; the elementary schools do not count.
    assert found["nearest"]["school_id"] == "M2"
    assert found["nearest"]["km"] == pytest.approx(float(haversine_km(34.00, -118.30, 34.03, -118.31)))
    assert found["program"] == "Spanish dual language"


def test_opening_at_the_receiver_serves_every_broken_feeder(result):
    # Spanish dual-language students arriving at M1 without it: E1 184 + E3 30 + E4 5.
    assert suggestion(result, "E1", "dual_language")["opening_at_receiver_serves"] == 219
    assert suggestion(result, "E2", "dual_language")["opening_at_receiver_serves"] == 50


def test_no_suggestion_when_no_school_could_take_them(result):
    assert suggestion(result, "E2", "dual_language")["nearest"] is None
    assert suggestion(result, "M2", "dual_language")["nearest"] is None


def test_a_span_school_serving_the_next_grade_is_a_candidate(make_district):
    schools = [
        school("E1", "elementary", 34.00, -118.30, "dual_language:spanish"),
        school("M1", "middle", 34.01, -118.30, ""),
        school("S1", "span", 34.02, -118.30, "dual_language:spanish", grade_lo="K", grade_hi="8"),
        school("E2", "elementary", 34.00, -118.301, "dual_language:spanish"),
    ]
    result = check_alignment(load_district(make_district(schools, [("E1", "M1", 40)])))
    assert result.suggestions[0]["nearest"]["school_id"] == "S1"
    assert "nearest span school with it: S1 K-8, 2.2 km" in summary_lines(result)[-1]


def test_suggestions_are_largest_first_and_match_broken_rows(result):
    students = [s["students"] for s in result.suggestions]
    assert students == sorted(students, reverse=True)
    assert len(result.suggestions) == (result.table["status"] == "broken").sum()


def test_summary_sentence_for_the_largest_break(result):
    lines = summary_lines(result)
    assert lines[0] == "dual language: 90 of 499 students continued (18.0%), 409 broken"
    assert (
        "184 students leave Spanish dual language at E1 ES for M1 MS, which has none; "
        "nearest middle school with it: M2 MS, 3.5 km (opening it there would serve 219)"
    ) in [line.strip() for line in lines]


def test_broken_edges_for_the_map(result):
    edges = broken_edges(result)
    assert list(edges.columns) == ["from_id", "to_id", "students", "family", "value_from"]
    assert len(edges) == (result.table["status"] == "broken").sum()
    assert (
        edges["students"].sum()
        == result.families["dual_language"]["broken"] + result.families["ib"]["broken"]
    )


def test_pathway_weights_align_with_internal_flows(district):
    weights = pathway_weights(district)
    flows = district.internal_flows()
    assert weights.index.equals(flows.index)
    expected = {("E1", "M2"): 20, ("E3", "M2"): 70, ("M1", "H1"): 200}
    pairs = zip(flows["from_id"], flows["to_id"], strict=True)
    assert weights.tolist() == [expected.get(pair, 0) for pair in pairs]


TAG_CHOICES = ["", "dual_language:spanish", "dual_language:korean", "ib", "magnet:stem", "ib;magnet:stem"]


@settings(max_examples=20, deadline=None)
@given(st.lists(st.sampled_from(TAG_CHOICES), min_size=len(SCHOOLS), max_size=len(SCHOOLS)))
def test_every_checked_student_is_counted_once_per_row(make_district, cells):
    schools = [row | {"programs": cell} for row, cell in zip(SCHOOLS, cells, strict=True)]
    district = load_district(make_district(schools, FLOWS))
    result = check_alignment(district)
    for name, entry in result.families.items():
        assert entry["continued"] + entry["broken"] == entry["students"]
        assert entry["students"] == rows(result, family=name)["students"].sum()
    weights = pathway_weights(district)
    continued = rows(result, status="continued")[["from_id", "to_id", "students"]].drop_duplicates()
    assert weights.sum() == pytest.approx(continued["students"].sum())
    assert (weights <= district.internal_flows()["students"]).all()


# --- rules files ---------------------------------------------------------------------------


def test_default_rules_check_dual_language_ib_and_magnet_by_value():
    rules = default_rules()
    assert rules.names == ["dual_language", "ib", "magnet"]
    assert {(f.kind, f.same) for f in rules.families} == {("continue", "value")}


BAD_RULES = [
    ("toml syntax", '[families.ib\nkind = "continue"\n', r"^bad\.toml: not valid TOML .*line 1"),
    (
        "unknown kind",
        '[families.ib]\nkind = "contine"\n',
        r"^bad\.toml, line 2, key 'families\.ib\.kind': unknown kind 'contine'",
    ),
    (
        "missing kind",
        '\n[families.ib]\nlabel = "IB"\n',
        r"^bad\.toml, line 2, key 'families\.ib': missing kind",
    ),
    (
        "bad family name",
        '[families."Dual Language"]\nkind = "continue"\n',
        r"^bad\.toml, line 1, key 'families\.Dual Language': 'Dual Language' is not a family name",
    ),
    (
        "unknown key",
        '[families.ib]\nkind = "continue"\nsamee = "family"\n',
        r"^bad\.toml, line 3, key 'families\.ib\.samee': unknown key",
    ),
    (
        "same on match",
        '[families.m]\nkind = "match"\nsame = "value"\n',
        r"^bad\.toml, line 3, key 'families\.m\.same': applies to continue families only",
    ),
    (
        "bad same",
        '[families.ib]\nkind = "continue"\nsame = "school"\n',
        r"^bad\.toml, line 3, key 'families\.ib\.same': unknown same 'school'",
    ),
    ("not a table", "families = 3\n", r"^bad\.toml, line 1, key 'families': no \[families\.NAME\] tables"),
    ("empty", "", r"^bad\.toml, key 'families': no \[families\.NAME\] tables"),
    (
        "top-level key",
        'dual_language = "continue"\n[families.ib]\nkind = "continue"\n',
        r"^bad\.toml, line 1, key 'dual_language': unknown top-level key",
    ),
    (
        "label not text",
        '[families.ib]\nkind = "continue"\nlabel = 3\n',
        r"^bad\.toml, line 3, key 'families\.ib\.label': must be a string",
    ),
]


@pytest.mark.parametrize(
    ("text", "pattern"), [case[1:] for case in BAD_RULES], ids=[case[0] for case in BAD_RULES]
)
def test_malformed_rules_give_one_line_naming_file_and_key(tmp_path, text, pattern):
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(FeederError, match=pattern) as caught:
        load_rules(path)
    assert "\n" not in str(caught.value)


def test_missing_rules_file(tmp_path):
    with pytest.raises(FeederError, match="rules file not found"):
        load_rules(tmp_path / "nope.toml")


# --- program tags ---------------------------------------------------------------------------


BAD_TAGS = [
    ("empty value", "dual_language:", "has an empty value"),
    ("no family", ":spanish", "has no family"),
    ("double colon", "dual_language::spanish", "has more than one ':'"),
    ("stray colons", "ib;::", "has no family"),
    ("bad family", "dual language:spanish", "has a bad family 'dual language'"),
]


@pytest.mark.parametrize(
    ("cell", "problem"), [case[1:] for case in BAD_TAGS], ids=[case[0] for case in BAD_TAGS]
)
def test_malformed_tags_name_schools_csv_row_and_programs(make_district, cell, problem):
    schools = [dict(row) for row in SCHOOLS]
    schools[2]["programs"] = cell
    district = load_district(make_district(schools, FLOWS))
    with pytest.raises(FeederError) as caught:
        check_alignment(district)
    message = str(caught.value)
    assert message.startswith("schools.csv, row 4, column 'programs': school 'E3': tag "), message
    assert problem in message and "\n" not in message
    with pytest.raises(FeederError):
        pathway_weights(district)


# --- the command ----------------------------------------------------------------------------


def test_cli_writes_both_files_deterministically(district, tmp_path, capsys):
    first, second = tmp_path / "a", tmp_path / "b"
    assert main(["align", str(district.path), "--out", str(first)]) == 0
    assert main(["align", str(district.path), "--out", str(second)]) == 0
    for name in ("alignment.csv", "alignment.json"):
        assert (first / name).read_bytes() == (second / name).read_bytes()
    table = pd.read_csv(
        first / "alignment.csv", dtype={"value_from": str, "value_to": str}, keep_default_na=False
    )
    assert list(table.columns) == [
        "from_id",
        "from_name",
        "to_id",
        "to_name",
        "family",
        "value_from",
        "value_to",
        "students",
        "status",
        "portfolio_from",
        "portfolio_to",
    ]
    assert table[["from_id", "to_id", "family", "value_from"]].apply(tuple, axis=1).is_monotonic_increasing
    assert (first / "alignment.csv").read_text().splitlines()[
        1
    ] == "E1,E1 ES,M1,M1 MS,dual_language,spanish,,184,broken,P1,P1"
    document = json.loads((first / "alignment.json").read_text())
    assert set(document) == {
        "district",
        "rules",
        "plan",
        "flows_checked",
        "families",
        "patterns",
        "portfolios",
        "suggestions",
    }
    assert document["families"]["dual_language"]["broken"] == 409
    output = capsys.readouterr().out
    assert "184 students leave Spanish dual language at E1 ES for M1 MS" in output


def test_cli_with_plan_and_rules(district, tmp_path):
    plan = tmp_path / "plan.csv"
    plan.write_text("school_id,portfolio\n" + "".join(f"{s['school_id']},Z\n" for s in SCHOOLS))
    rules = tmp_path / "rules.toml"
    rules.write_text('[families.magnet]\nkind = "continue"\n')
    out = tmp_path / "out"
    assert (
        main(["align", str(district.path), "--plan", str(plan), "--rules", str(rules), "--out", str(out)])
        == 0
    )
    table = pd.read_csv(out / "alignment.csv")
    assert set(table["family"]) == {"magnet"} and set(table["portfolio_from"]) == {"Z"}
    assert json.loads((out / "alignment.json").read_text())["rules"] == "rules.toml"


@pytest.mark.parametrize(
    ("arguments", "start"),
    [
        (["--rules", "{tmp}/bad.toml"], "error: bad.toml, line 2, key 'families.ib.kind': "),
        (["--plan", "{tmp}/plan.csv"], "error: plan.csv, row 2, column 'school_id': school 'X9'"),
        (["--rules", "{tmp}/missing.toml"], "error: "),
    ],
    ids=["bad rules", "bad plan", "missing rules"],
)
def test_cli_bad_input_is_one_line_and_exit_2(district, tmp_path, capsys, arguments, start):
    (tmp_path / "bad.toml").write_text('[families.ib]\nkind = "both"\n')
    (tmp_path / "plan.csv").write_text("school_id,portfolio\nX9,A\n")
    out = tmp_path / "out"
    argv = ["align", str(district.path), "--out", str(out), *(a.format(tmp=tmp_path) for a in arguments)]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith(start) and err.count("\n") == 1, err
    assert not out.exists()


def test_cli_bad_tag_is_one_line_and_exit_2(make_district, tmp_path, capsys):
    schools = [dict(row) for row in SCHOOLS]
    schools[0]["programs"] = "dual_language:"
    folder = make_district(schools, FLOWS)
    assert main(["align", str(folder), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: schools.csv, row 2, column 'programs': ") and err.count("\n") == 1


# --- the bundled sample district ------------------------------------------------------------


@pytest.fixture(scope="module")
def sample():
    if not (SAMPLE / "schools.csv").exists():
        pytest.skip("data/sample is not generated yet")
    return load_district(SAMPLE)


def raw_continuations(family: str) -> pd.DataFrame:
    """Independent count from the raw CSVs: flows leaving a school with `family:*`, by value and status."""
    schools = pd.read_csv(SAMPLE / "schools.csv", dtype=str, keep_default_na=False)
    flows = pd.read_csv(SAMPLE / "flows.csv", dtype={"from_id": str, "to_id": str})
    flows = flows[flows["to_id"] != "OUT"].groupby(["from_id", "to_id"], as_index=False)["students"].sum()
    tags = schools.set_index("school_id")["programs"].str.lower().str.split(";")
    tags = tags.explode().str.strip()
    tags = tags[tags.str.split(":").str[0] == family].reset_index()
    tags.columns = ["school_id", "tag"]
    sent = flows.merge(tags, left_on="from_id", right_on="school_id")
    offered = set(zip(tags["school_id"], tags["tag"], strict=True))
    sent["continued"] = [(to, tag) in offered for to, tag in zip(sent["to_id"], sent["tag"], strict=True)]
    return sent


def test_sample_has_broken_spanish_dual_language(sample):
    result = check_alignment(sample)
    spanish = rows(result, family="dual_language", value_from="spanish")
    assert (spanish["status"] == "broken").any() and (spanish["status"] == "continued").any()
    for name in ("dual_language", "ib", "magnet"):
        raw = raw_continuations(name)
        family = result.families[name]
        assert family["students"] == pytest.approx(raw["students"].sum())
        assert family["broken"] == pytest.approx(raw.loc[~raw["continued"], "students"].sum())
        assert family["rate"] == pytest.approx(
            raw.loc[raw["continued"], "students"].sum() / raw["students"].sum()
        )
        assert 0 <= family["rate"] <= 1
    assert 0 < result.families["dual_language"]["rate"] < 1


def test_a_district_without_programs_is_summed_up_in_one_line(make_district) -> None:
    """LAUSD's list has no `programs` column: `feeder run` printed one 'no students' line per family."""
    bare = load_district(
        make_district([{k: v for k, v in s.items() if k != "programs"} for s in SCHOOLS], FLOWS)
    )
    assert summary_lines(check_alignment(bare)) == [NO_PROGRAMS]
    blank = load_district(make_district([{**s, "programs": ""} for s in SCHOOLS], FLOWS))
    assert summary_lines(check_alignment(blank)) == [NO_PROGRAMS]
