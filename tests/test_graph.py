"""FeederGraph on hand-built districts with known answers, on random ones, and on LCPS."""

from __future__ import annotations

import json
import random

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from feeder.cli import main
from feeder.district import load_district
from feeder.errors import FeederError
from feeder.graph import FeederGraph

GRADES = {"elementary": ("K", "5"), "middle": ("6", "8"), "high": ("9", "12")}


def school(school_id: str, level: str, grades: tuple[str, str] | None = None, **extra: str) -> dict:
    """A school row near Leesburg, VA; grades default to the level's usual span."""
    lo, hi = grades or GRADES.get(level, ("", ""))
    row = {
        "school_id": school_id,
        "name": f"{school_id} School",
        "level": level,
        "grade_lo": lo,
        "grade_hi": hi,
    }
    return row | {"lat": "39.1", "lon": "-77.5"} | extra


def feeder_graph(make_district, schools, flows) -> FeederGraph:
    return FeederGraph(load_district(make_district(schools, flows)))


BASIC_SCHOOLS = [
    school("H1", "high", enrollment="1000"),
    school("H2", "high", enrollment="800"),
    school("H3", "high"),
    school("M1", "middle", enrollment="600"),
    school("M2", "middle", enrollment="500"),
    *(school(f"E{i}", "elementary", enrollment="300") for i in range(1, 6)),
]
BASIC_FLOWS = [
    ("E1", "M1", 60),
    ("E1", "M2", 40),
    ("E2", "M1", 100),
    ("E3", "M2", 50),
    ("E3", "OUT", 50),
    ("M1", "H1", 200),
    ("M1", "OUT", 10),
    ("M2", "H2", 80),
    ("M2", "H1", 10),
    ("E5", "OUT", 20),
]


@pytest.fixture
def basic(make_district) -> FeederGraph:
    return feeder_graph(make_district, BASIC_SCHOOLS, BASIC_FLOWS)


def test_patterns_follow_dominant_flows(basic):
    assert basic.dominant == {"E1": "M1", "E2": "M1", "E3": "M2", "M1": "H1", "M2": "H2"}
    assert basic.patterns() == {"H1": ["M1", "E1", "E2"], "H2": ["M2", "E3"], "H3": []}
    assert basic.unattached() == ["E4", "E5"]
    assert basic.pattern_of() == {
        "H1": "H1", "H2": "H2", "H3": "H3", "M1": "H1", "M2": "H2",
        "E1": "H1", "E2": "H1", "E3": "H2", "E4": None, "E5": None,
    }  # fmt: skip


def test_pattern_students_and_enrollment(basic):
    assert basic.pattern_students() == {"H1": 60 + 100 + 200, "H2": 50 + 80, "H3": 0}
    assert basic.pattern_enrollment() == {"H1": 1000 + 600 + 600, "H2": 800 + 500 + 300, "H3": 0}


def test_split_feeders_exact_shares(basic):
    assert basic.split_feeders() == {"M2": {"H2": 80 / 90, "H1": 10 / 90}, "E1": {"M1": 0.6, "M2": 0.4}}
    assert basic.split_feeders(threshold=0.4) == {}
    assert set(basic.split_feeders(threshold=0.1111)) == {"M2", "E1"}


def test_leakage(basic):
    assert basic.leakage() == {"M1": 10, "E3": 50, "E5": 20}
    assert basic.leakage_share() == pytest.approx(80 / (100 + 100 + 100 + 210 + 90 + 20))
    graph = basic.to_networkx()
    assert graph.nodes["E3"]["students_out"] == 50
    assert "OUT" not in graph


def test_edge_and_node_attributes(basic):
    graph = basic.to_networkx()
    assert list(graph.nodes) == [row["school_id"] for row in BASIC_SCHOOLS]
    assert graph.number_of_edges() == 7
    assert graph.edges["E3", "M2"] == {"students": 50, "share_out": 0.5, "share_in": pytest.approx(50 / 90)}
    assert graph.edges["M1", "H1"]["share_out"] == pytest.approx(200 / 210)
    assert graph.edges["M2", "H1"]["share_in"] == pytest.approx(10 / 210)
    node = graph.nodes["M1"]
    assert (node["name"], node["level"], node["grade_lo"], node["grade_hi"]) == ("M1 School", "middle", 6, 8)
    assert (node["lat"], node["lon"], node["enrollment"]) == (39.1, -77.5, 600)
    assert node["need_index"] is None
    assert (node["students_sent"], node["students_out"], node["students_received"]) == (200, 10, 160)


def test_span_schools_take_their_natural_place(make_district):
    schools = [
        school("H1", "high"),
        school("S612", "span", ("6", "12")),
        school("K12", "span", ("K", "12")),
        school("K8", "span", ("K", "8")),
        school("M3", "middle"),
        school("E6", "elementary"),
        school("E7", "elementary"),
        school("E8", "elementary"),
    ]
    flows = [("K8", "H1", 50), ("E7", "K8", 20), ("E6", "S612", 30), ("M3", "S612", 40), ("E8", "M3", 10)]
    graph = feeder_graph(make_district, schools, flows)
    assert graph.heads == ["H1", "S612", "K12"]
    assert graph.patterns() == {"H1": ["K8", "E7"], "S612": ["M3", "E6", "E8"], "K12": []}
    assert graph.summary()["patterns"][0]["counts"] == {"elementary": 1, "middle": 0, "span": 1}


def test_spans_without_grades(make_district):
    """A gradeless span heads a pattern only where paths end; a cycle of them is refused at load (issue 16)."""
    schools = [
        school("H1", "high"),
        school("SX", "span"),
        school("SA", "span"),
        school("SB", "span"),
        school("E1", "elementary"),
        school("E2", "elementary"),
    ]
    flows = [("E1", "SX", 5), ("SA", "SB", 10), ("SB", "SA", 5), ("E2", "SA", 3)]
    with pytest.raises(FeederError, match="cycle"):
        feeder_graph(make_district, schools, flows)
    graph = feeder_graph(make_district, schools, [("E1", "SX", 5)])
    assert graph.patterns() == {"H1": [], "SX": ["E1"]}
    assert graph.unattached() == ["SA", "SB", "E2"]


@pytest.mark.parametrize("flow_order", [1, -1])
def test_ties_go_to_the_smallest_id(make_district, flow_order):
    schools = [school("HB", "high"), school("HA", "high"), school("MB", "middle"), school("MA", "middle")]
    schools.append(school("E1", "elementary"))
    flows = [("E1", "MB", 50), ("E1", "MA", 50), ("MA", "HB", 7), ("MA", "HA", 7), ("MB", "HB", 9)]
    graph = feeder_graph(make_district, schools, flows[::flow_order])
    assert graph.dominant == {"E1": "MA", "MA": "HA", "MB": "HB"}
    assert graph.patterns() == {"HB": ["MB"], "HA": ["MA", "E1"]}
    assert graph.split_feeders() == {"MA": {"HA": 0.5, "HB": 0.5}, "E1": {"MA": 0.5, "MB": 0.5}}


@pytest.mark.parametrize(("other", "split"), [(10, False), (11, True)])
def test_split_threshold_is_strictly_more_than_ten_percent(make_district, other, split):
    schools = [
        school("H1", "high"),
        school("M1", "middle"),
        school("M2", "middle"),
        school("E1", "elementary"),
    ]
    flows = [("E1", "M1", 100 - other), ("E1", "M2", other), ("E1", "OUT", 500)]
    assert ("E1" in feeder_graph(make_district, schools, flows).split_feeders()) is split


def test_flows_naming_no_school_are_refused(make_district, capsys):
    """Flows that all name schools outside the table mean the two files use different ids: a graph
    (or a plan) on no flows at all would mislead, so the command refuses in one line."""
    folder = make_district([school("E1", "elementary"), school("H1", "high")], [("E1", "X", 3)])
    with pytest.raises(FeederError, match="none of the 1 flows names a school of schools"):
        load_district(folder)
    assert main(["graph", str(folder)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "'X'" in err and "flows.csv" in err


# ---------------------------------------------------------------- invariants on random districts

LADDER = [("elementary", ("K", "5")), ("span", ("K", "8")), ("middle", ("6", "8")), ("high", ("9", "12"))]
LADDER += [("span", ("6", "12")), ("span", ("K", "12"))]


@st.composite
def districts(draw) -> tuple[list[dict], list[tuple]]:
    """Schools of every kind with random flows from each school to ones serving higher grades."""
    kinds = draw(st.lists(st.sampled_from(LADDER), min_size=2, max_size=25))
    schools = [school(f"S{i:02d}", level, grades) for i, (level, grades) in enumerate(kinds)]
    tops = [int(grades[1]) for _, grades in kinds]
    flows = []
    for i, top in enumerate(tops):
        higher = [j for j, other in enumerate(tops) if other > top]
        if higher:
            targets = draw(st.lists(st.sampled_from(higher), max_size=4))
            flows += [(f"S{i:02d}", f"S{j:02d}", draw(st.integers(1, 4))) for j in targets]
        if draw(st.booleans()):
            flows.append((f"S{i:02d}", "OUT", draw(st.integers(1, 4))))
    return schools, flows or [("S00", "OUT", 1)]


def walk(dominant: dict[str, str], heads: set[str], start: str) -> str | None:
    """Follow dominant flows from a school to the head it reaches, or None."""
    seen = set()
    while start not in heads and start in dominant and start not in seen:
        seen.add(start)
        start = dominant[start]
    return start if start in heads else None


@settings(max_examples=40, deadline=None)
@given(districts())
def test_invariants(make_district, drawn):
    schools, flows = drawn
    graph = feeder_graph(make_district, schools, flows)
    assert json.loads(json.dumps(graph.summary()))["schools"] == len(schools)
    ids = [row["school_id"] for row in schools]
    raw = pd.DataFrame(flows, columns=["from_id", "to_id", "students"]).groupby(["from_id", "to_id"]).sum()
    internal = raw.drop(index="OUT", level="to_id", errors="ignore")["students"].reset_index()

    # dominant destination: the largest flow, ties to the smallest id
    expected = internal.sort_values("to_id").sort_values("students", ascending=False, kind="stable")
    assert graph.dominant == dict(expected.groupby("from_id").first()["to_id"])

    # every school in exactly one of: heads, one pattern's members, unattached; members are not heads
    patterns = graph.patterns()
    placed = list(patterns) + [m for members in patterns.values() for m in members] + graph.unattached()
    assert sorted(placed) == sorted(ids)
    heads = set(patterns)
    levels = {row["school_id"]: row["level"] for row in schools}
    assert all(levels[h] == "high" or levels[h] == "span" for h in heads)
    assert {s for s in ids if levels[s] == "high"} <= heads
    for head, members in patterns.items():
        assert all(walk(graph.dominant, heads, member) == head for member in members)
    assert all(walk(graph.dominant, heads, s) is None for s in graph.unattached())

    # shares: each sender's share_out plus its leakage share is 1; each receiver's share_in is 1
    digraph = graph.to_networkx()
    for node, data in digraph.nodes(data=True):
        out = list(digraph.out_edges(node, data="share_out"))
        sent = data["students_sent"] + data["students_out"]
        if out:
            assert sum(s for *_, s in out) + data["students_out"] / sent == pytest.approx(1)
        into = list(digraph.in_edges(node, data="share_in"))
        if into:
            assert sum(s for *_, s in into) == pytest.approx(1)

    # split feeders: more than 10% past the dominant destination; their shares sum to 1
    totals = internal.groupby("from_id")["students"].agg(["sum", "max"])
    assert set(graph.split_feeders()) == set(
        totals.index[(totals["sum"] - totals["max"]) / totals["sum"] > 0.1]
    )
    for shares in graph.split_feeders().values():
        assert sum(shares.values()) == pytest.approx(1)

    # leakage: exactly the rows sent to OUT
    leaving = raw.reset_index().query("to_id == 'OUT'")
    assert graph.leakage() == dict(zip(leaving["from_id"], leaving["students"], strict=True))


# ---------------------------------------------------------------- scale


def random_district(count: int, seed: int = 7) -> tuple[list[dict], list[tuple]]:
    """A large district: 70% elementary, 20% middle, 8% high, 2% K-8, random nearby sites and flows."""
    rng = random.Random(seed)
    kinds = rng.choices(["elementary", "middle", "high", "span"], weights=[70, 20, 8, 2], k=count)
    schools = [
        school(f"{i:05d}", kind, ("K", "8") if kind == "span" else None, lat=f"{34 + rng.random():.5f}",
               lon=f"{-118 - rng.random():.5f}", enrollment=str(rng.randint(100, 2000)))
        for i, kind in enumerate(kinds)
    ]  # fmt: skip
    by_kind = {kind: [row["school_id"] for row in schools if row["level"] == kind] for kind in GRADES}
    next_level = {"elementary": by_kind["middle"], "middle": by_kind["high"], "span": by_kind["high"]}
    flows = []
    for row in schools:
        targets = next_level.get(row["level"], [])
        flows += [
            (row["school_id"], to, rng.randint(1, 300))
            for to in rng.sample(targets, k=min(len(targets), rng.randint(0, 3)))
        ]
        if rng.random() < 0.2:
            flows.append((row["school_id"], "OUT", rng.randint(1, 50)))
    return schools, flows


@pytest.mark.slow
def test_twenty_thousand_schools_every_school_accounted_for(make_district):
    """Every school is a head, a pattern member or unattached, exactly once (speed: scripts/benchmark.py)."""
    district = load_district(make_district(*random_district(20_000)))
    graph = FeederGraph(district)
    summary = graph.summary()
    assert len(graph.nodes) == 20_000
    assert sum(len(p["members"]) + 1 for p in summary["patterns"]) + len(summary["unattached"]) == 20_000


# ---------------------------------------------------------------- LCPS


@pytest.fixture(scope="module")
def lcps(lcps_path) -> FeederGraph:
    return FeederGraph(load_district(lcps_path))


@pytest.fixture(scope="module")
def lcps_raw(lcps_path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The LCPS tables as plain pandas reads them, for checks independent of the loader."""
    schools = pd.read_csv(lcps_path / "schools.csv", dtype=str)
    flows = pd.read_csv(lcps_path / "flows.csv", dtype={"from_id": str, "to_id": str})
    return schools, flows


def test_lcps_one_pattern_per_high_school(lcps, lcps_raw):
    schools, _ = lcps_raw
    highs = schools.loc[schools["level"] == "high", "school_id"].tolist()
    middles = schools.loc[schools["level"] == "middle", "school_id"]
    patterns = lcps.patterns()
    assert len(schools) == 90 and len(highs) == 16
    assert list(patterns) == highs
    members = [m for ms in patterns.values() for m in ms]
    assert len(members) == len(set(members)) == 90 - 16
    assert set(middles) <= set(members)
    assert lcps.unattached() == []
    assert all(patterns.values())


def test_lcps_split_feeders_match_flows_csv(lcps, lcps_raw):
    schools, flows = lcps_raw
    internal = flows[flows["to_id"].isin(schools["school_id"])]
    totals = internal.groupby("from_id")["students"].agg(["sum", "max"])
    expected = set(totals.index[(totals["sum"] - totals["max"]) / totals["sum"] > 0.10])
    split = lcps.split_feeders()
    assert set(split) == expected
    assert len(split) == 20
    kwc = internal[internal["from_id"] == "KWC"].set_index("to_id")["students"]
    assert split["KWC"] == pytest.approx((kwc / kwc.sum()).to_dict())
    assert list(split["KWC"]) == ["BRM", "HRM", "JLS", "SMM"]
    assert list(split["FDE"])[:2] == ["HPM", "JLS"]  # a real tie (92.12 each): the smaller id leads


def test_lcps_leakage_matches_flows_csv(lcps, lcps_raw):
    _, flows = lcps_raw
    assert sum(lcps.leakage().values()) == flows.loc[flows["to_id"] == "OUT", "students"].sum() == 0
    assert lcps.leakage_share() == 0


def test_lcps_patterns_agree_with_pyramids(lcps, lcps_raw):
    """`pyramid` is the high school whose zone holds the site; dominant paths mostly end there."""
    schools, _ = lcps_raw
    pattern = lcps.pattern_of()
    agree = schools["school_id"].map(pattern) == schools["pyramid"]
    assert agree.mean() >= 0.9, f"only {agree.mean():.1%} agree"
    assert agree[schools["level"] != "elementary"].all()
    assert sorted(schools.loc[~agree, "school_id"]) == ["FDE", "KWC", "LIB", "NLE", "SYC"]


def test_lcps_cli_text(lcps_path, capsys):
    assert main(["graph", str(lcps_path)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("lcps: 90 schools, 100 flows")
    assert "16 feeder patterns" in out
    assert "Split feeders: 20 schools" in out
    assert "Leakage: 0 students" in out
    assert "Unattached schools (no dominant path to a high school): 0" in out
    assert all(high in out for high in ("LCH", "DMH", "JCH", "IHS", "Woodgrove"))


def test_lcps_cli_json(lcps, lcps_path, capsys):
    assert main(["graph", str(lcps_path), "--json"]) == 0
    first = capsys.readouterr().out
    assert main(["graph", str(lcps_path), "--json"]) == 0
    assert capsys.readouterr().out == first
    summary = json.loads(first)
    assert list(summary) == [
        "district", "schools", "flows", "students", "patterns", "split_feeders", "leakage", "unattached", "names",
        "warnings",
    ]  # fmt: skip
    assert summary["schools"] == 90 and len(summary["patterns"]) == 16
    jch = next(p for p in summary["patterns"] if p["head"] == "JCH")
    assert jch["members"] == lcps.patterns()["JCH"]
    assert jch["counts"] == {"elementary": 6, "middle": 2, "span": 0}
    assert {s["school_id"] for s in summary["split_feeders"]} == set(lcps.split_feeders())
    assert summary["leakage"] == {"students": 0.0, "moving": 13623.21, "share": 0.0, "schools": {}}


def test_cli_reports_unattached_leakage_and_warnings(make_district, capsys):
    folder = make_district(BASIC_SCHOOLS, [*BASIC_FLOWS, ("E2", "GONE", 4)])
    assert main(["graph", str(folder)]) == 0
    out = capsys.readouterr().out
    assert "Leakage: 84 students" in out  # 4 to GONE, a school outside the district
    # schools listed by id carry their names: a reader of ids like 1964733 sees which school each is
    assert "E4 School (E4), E5 School (E5)" in out
    assert "E3 School (E3): 50" in out
    assert "H2 School (H2) 89%, H1 School (H1) 11%" in out
    assert "warning:" in out and "GONE" in out
    assert main(["graph", str(folder), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["unattached"] == ["E4", "E5"]
    assert summary["leakage"]["schools"] == {"M1": 10.0, "E3": 50.0, "E5": 20.0, "E2": 4.0}
    assert summary["split_feeders"][0] == {
        "school_id": "M2", "name": "M2 School", "dominant": "H2", "shares": {"H2": 0.8889, "H1": 0.1111},
        "students": {"H2": 80.0, "H1": 10.0},
    }  # fmt: skip
    assert summary["names"] == {
        school: f"{school} School" for school in ("E2", "E3", "E4", "E5", "H1", "H2", "M1", "M2")
    }
    assert any("GONE" in warning for warning in summary["warnings"])
