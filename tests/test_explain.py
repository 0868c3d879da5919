"""Explanations add up to the school's flows; `feeder score` names the portfolios at fault."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from feeder import metrics
from feeder.cli import main
from feeder.design import design
from feeder.district import load_district
from feeder.explain import PortfolioFlow, SchoolExplanation, explain_schools, with_reasons
from feeder.geo import haversine_km
from feeder.plan import Plan
from feeder.privacy import Privacy
from feeder.sample import sample_path
from feeder.spec import DesignSpec


def pyramid_plan(lcps_path, tmp_path) -> pd.DataFrame:
    schools = pd.read_csv(lcps_path / "schools.csv", dtype=str)
    return schools[["school_id", "pyramid"]].rename(columns={"pyramid": "portfolio"})


def district_flows(folder) -> pd.DataFrame:
    """flows.csv summed per pair, only between schools of the district (as METRICS.md counts them)."""
    ids = set(pd.read_csv(folder / "schools.csv", dtype=str)["school_id"])
    flows = pd.read_csv(folder / "flows.csv", dtype={"from_id": str, "to_id": str})
    flows = flows[flows["from_id"].isin(ids) & flows["to_id"].isin(ids)]
    return flows.groupby(["from_id", "to_id"], as_index=False)["students"].sum()


@pytest.mark.parametrize("where", ["sample", "lcps"])
def test_explanations_sum_to_each_schools_flows(where, lcps_path, tmp_path) -> None:
    folder = sample_path() if where == "sample" else lcps_path
    district = load_district(folder)
    if where == "sample":
        plan = Plan.current(district)
    else:
        path = tmp_path / "pyramids.csv"
        pyramid_plan(lcps_path, tmp_path).to_csv(path, index=False)
        plan = Plan.from_csv(district, path)
    portfolio = plan.assignment
    flows = district_flows(folder)
    flows["from_p"] = portfolio.loc[flows["from_id"]].to_numpy()
    flows["to_p"] = portfolio.loc[flows["to_id"]].to_numpy()
    explained = explain_schools(plan)
    for school_id, explanation in explained.items():
        into = flows[flows["to_id"] == school_id].groupby("from_p")["students"].sum()
        out = flows[flows["from_id"] == school_id].groupby("to_p")["students"].sum()
        assert explanation.students_in == pytest.approx(into.sum())
        assert explanation.students_out == pytest.approx(out.sum())
        got_in = {f.portfolio: f.students_in for f in explanation.flows if f.students_in}
        got_out = {f.portfolio: f.students_out for f in explanation.flows if f.students_out}
        assert got_in == pytest.approx(into[into > 0].to_dict())
        assert got_out == pytest.approx(out[out > 0].to_dict())
        for direction, total in (("share_in", into.sum()), ("share_out", out.sum())):
            shares = [getattr(f, direction) for f in explanation.flows]
            if total > 0:
                assert sum(shares) == pytest.approx(1.0)
            else:  # an elementary school receives no one: no share of nothing (it read "0 | 0%")
                assert shares == [None] * len(shares)
        assert explanation.portfolio == portfolio[school_id]


def test_nearest_other_meeting_site_is_the_nearest(lcps_path, tmp_path) -> None:
    district = load_district(lcps_path)
    path = tmp_path / "pyramids.csv"
    pyramid_plan(lcps_path, tmp_path).to_csv(path, index=False)
    plan = Plan.from_csv(district, path)
    sites = plan.medoids()
    where = district.schools.set_index("school_id")[["lat", "lon"]]
    for school_id, explanation in list(explain_schools(plan).items())[::7]:
        here = where.loc[school_id]
        km = {
            name: float(haversine_km(here.lat, here.lon, where.loc[site].lat, where.loc[site].lon))
            for name, site in sites.items()
        }
        assert explanation.km_to_meeting_site == pytest.approx(km.pop(explanation.portfolio))
        assert explanation.km_to_nearest_other_site == pytest.approx(min(km.values()))


def test_explain_command_prints_flows_and_refuses_unknown_schools(lcps_path, tmp_path, capsys) -> None:
    path = tmp_path / "pyramids.csv"
    pyramid_plan(lcps_path, tmp_path).to_csv(path, index=False)
    assert main(["explain", str(lcps_path), "MSE", "--plan", str(path), "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["name"] == "Moorefield Station Es" and shown["portfolio"] == "RRH"
    names = pd.read_csv(lcps_path / "schools.csv", dtype=str).set_index("school_id")["name"]
    site, other = shown["meeting_site"], shown["nearest_other_site"]
    assert f"its meeting site, {names[site]} ({site})" in shown["reasons"][-1]
    assert f"the nearest other one, {names[other]} ({other}, " in shown["reasons"][-1]
    assert [flow["share_in"] for flow in shown["flows"]] == [None] * len(shown["flows"])
    assert main(["explain", str(lcps_path), "MSE", "--plan", str(path)]) == 0
    own = next(line for line in capsys.readouterr().out.splitlines() if "(its own)" in line)
    assert [cell.strip() for cell in own.split("│")[2:4]] == ["0", "—"]
    assert main(["explain", str(lcps_path), "NOPE", "--plan", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "NOPE" in err


def test_score_names_the_portfolios_that_break_a_constraint_or_miss_a_goal(
    lcps_path, tmp_path, capsys
) -> None:
    plan = pyramid_plan(lcps_path, tmp_path)
    schools = pd.read_csv(lcps_path / "schools.csv", dtype=str)
    elementary = schools["school_id"][(schools["level"] == "elementary") & (schools["pyramid"] == "JCH")]
    plan.loc[plan["school_id"].isin(elementary.iloc[:4]), "portfolio"] = "Lonely"
    # one school far from its pyramid: a far elementary joins BRH
    lat = schools["lat"].astype(float)
    plan.loc[lat.idxmin(), "portfolio"] = "BRH" if plan.loc[lat.idxmin(), "portfolio"] != "BRH" else "WHS"
    path = tmp_path / "edited.csv"
    plan.to_csv(path, index=False)
    pyramids = tmp_path / "pyramids.csv"
    pyramid_plan(lcps_path, tmp_path).to_csv(pyramids, index=False)
    assert (
        main(
            [
                "score",
                str(lcps_path),
                "--plan",
                str(pyramids),
                "--plan",
                str(path),
                "--min-size",
                "4",
                "--max-size",
                "8",
                "--json",
            ]
        )
        == 0
    )
    cards = json.loads(capsys.readouterr().out)
    edited, before = cards["edited.csv"], cards["pyramids.csv"]
    assert any("lacking a high school: Lonely" in line for line in edited["unmet_goals"])
    assert any("Lonely (no grade 7, 10)" in line for line in edited["unmet_goals"])
    assert not any("Lonely" in line for line in before["unmet_goals"])
    broken = [line for line in edited["violations"] if line.startswith("contiguous")]
    assert broken and ("BRH" in broken[0] or "WHS" in broken[0])
    assert main(["score", str(lcps_path), "--plan", str(path), "--min-size", "5"]) == 0
    out = capsys.readouterr().out
    assert "Lonely (4)" in out and "lacking a high school" in out


def test_rounded_counts_never_say_every_student_stays_when_some_leave() -> None:
    """41 inside and 3 to another portfolio publish as 40 and <10 of 40: "40 of its 40 stay" would
    contradict the <10 beside it (flows from records)."""
    flows = [
        PortfolioFlow(portfolio="East", students_in=0, students_out=41, share_in=None, share_out=41 / 44),
        PortfolioFlow(portfolio="South", students_in=0, students_out=3, share_in=None, share_out=3 / 44),
    ]
    school = SchoolExplanation(
        school_id="E1", name="E1 Elementary", portfolio="East", students_in=0, students_out=44, flows=flows,
        meeting_site="M1", meeting_site_name="M1 Middle", km_to_meeting_site=1.0, nearest_other_portfolio=None,
        nearest_other_site=None, nearest_other_site_name=None, km_to_nearest_other_site=None,
    )  # fmt: skip
    hidden = with_reasons(school, privacy=Privacy(min_cell=10, active=True)).reasons[0]
    assert hidden.startswith("nearly all of its 40 flow students stay inside East;") and "(<10)" in hidden
    exact = with_reasons(school, privacy=Privacy(min_cell=10, active=False)).reasons[0]
    assert exact.startswith("41 of its 44 flow students (93%) stay inside East")


def test_a_stronger_pull_elsewhere_is_checked_against_the_plans_rules(lcps_path) -> None:
    """A school moved by hand out of the designed plan: moving it back breaks no rule and keeps
    more students together, which explain says (it claimed a rule forbade it); a school whose
    portfolio is at the minimum size would break the size range, which explain names."""
    district = load_district(lcps_path)
    designed = design(district, seed=0, effort="quick")
    labels = designed.labels.copy()
    syc = district.ids.index("SYC")
    home = labels[syc]
    neighbour = next(
        str(labels[j])
        for a, b in district.adjacency.tolist()
        for j in ((b,) if a == syc else (a,) if b == syc else ())
        if labels[j] != home
    )
    labels[syc] = neighbour
    edited = Plan(district, labels)
    reasons = " ".join(explain_schools(edited, only=["SYC"])["SYC"].reasons)
    before, after = metrics.cohesion(district, labels), designed.score()["cohesion"]
    assert after > before
    assert (
        f"more of its students flow to {home} than inside {neighbour}: moving it there breaks no rule"
        in reasons
    )
    assert f"(cohesion {before:.4f} → {after:.4f}): worth considering" in reasons
    # Sizes: with the edited portfolio at the minimum size, giving the school back breaks the range
    at_minimum = Plan(district, labels, spec=DesignSpec(min_size=edited.sizes()[neighbour]))
    reasons = " ".join(explain_schools(at_minimum, only=["SYC"])["SYC"].reasons)
    assert "moving it there would break a rule: size range: portfolios outside" in reasons
    assert f"{neighbour} ({edited.sizes()[neighbour] - 1})" in reasons


def test_a_designed_plan_is_judged_by_the_spec_it_was_designed_with(lcps_path, tmp_path, capsys) -> None:
    """A plan designed at 8-10 schools, one school moved by hand beside its scorecard.json: moving
    it back breaks no rule at 8-10 (judged at 12-24, every portfolio "broke" the size range)."""
    out = tmp_path / "design"
    args = ["--min-size", "8", "--max-size", "10", "--effort", "quick"]
    assert main(["design", str(lcps_path), "--out", str(out), *args]) == 0
    plan = pd.read_csv(out / "portfolios.csv", dtype=str)
    district = load_district(lcps_path)
    where = dict(zip(plan["school_id"], plan["portfolio"], strict=True))
    school, other = next(
        (district.ids[a], where[district.ids[b]])
        for a, b in district.adjacency.tolist()
        if where[district.ids[a]] != where[district.ids[b]]
        and district.schools["level"].iloc[a] == "elementary"
    )
    plan.loc[plan["school_id"] == school, "portfolio"] = other
    plan.to_csv(out / "edited.csv", index=False)
    capsys.readouterr()
    assert main(["explain", str(lcps_path), school, "--plan", str(out / "edited.csv"), "--json"]) == 0
    reasons = " ".join(json.loads(capsys.readouterr().out)["reasons"])
    assert "moving it there breaks no rule" in reasons and "size range" not in reasons
