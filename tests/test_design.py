"""The portfolio designer: known optima, real-data targets, determinism, clear refusals."""

from __future__ import annotations

import json
import re
import time
import types
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from synthetic import generate_boundaries, generate_district, without_charters, write_district

from feeder.cli import main
from feeder.design import certify as certify_module
from feeder.design import design
from feeder.design.certify import certify
from feeder.design.designer import run_design
from feeder.design.naming import short_name
from feeder.district import District, load_district
from feeder.errors import FeederError
from feeder.plan import Plan
from feeder.spec import DesignSpec

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"


def pattern(prefix: str, lat: float, lon: float, n_elementary: int = 9) -> tuple[list[dict], list[tuple]]:
    """One feeder pattern: a high school, two middle schools and their elementary schools."""
    rows = [
        {"school_id": f"{prefix}H", "name": f"{prefix} High School", "level": "high", "lat": lat, "lon": lon},
        {
            "school_id": f"{prefix}M1",
            "name": f"{prefix} North Middle",
            "level": "middle",
            "lat": lat + 0.01,
            "lon": lon,
        },
        {
            "school_id": f"{prefix}M2",
            "name": f"{prefix} South Middle",
            "level": "middle",
            "lat": lat - 0.01,
            "lon": lon,
        },
    ]
    flows = [(f"{prefix}M1", f"{prefix}H", 200), (f"{prefix}M2", f"{prefix}H", 180)]
    for i in range(n_elementary):
        angle = 2 * np.pi * i / n_elementary
        middle = "M1" if i < n_elementary // 2 else "M2"
        rows.append(
            {
                "school_id": f"{prefix}E{i}",
                "name": f"{prefix} Elementary {i}",
                "level": "elementary",
                "lat": round(lat + 0.02 * np.sin(angle), 6),
                "lon": round(lon + 0.025 * np.cos(angle), 6),
            }
        )
        flows.append((f"{prefix}E{i}", f"{prefix}{middle}", 60 + i))
    return rows, flows


def two_patterns(make_district, south_lat: float = 38.9) -> District:
    """Two 12-school feeder patterns, 60 km apart unless told otherwise."""
    north, north_flows = pattern("N", 39.4, -77.5)
    south, south_flows = pattern("S", south_lat, -77.5)
    return load_district(make_district(north + south, north_flows + south_flows))


def synthetic(tmp_path: Path, n: int, seed: int = 0, **options) -> District:
    schools, flows = generate_district(n, seed, **options)
    return load_district(write_district(tmp_path / f"synthetic_{n}_{seed}", schools, flows))


def check_invariants(plan: Plan, *, within_region: bool = False, contiguous: bool = True) -> None:
    card = plan.score()
    assert len(plan.labels) == len(plan.district.schools)
    assert card["size_ok"]
    if contiguous:
        assert card["contiguous"] == 1.0
    if within_region:
        assert card["in_region"] == 1.0


# known answers ---------------------------------------------------------------------


def test_two_far_patterns_are_never_mixed(make_district):
    district = two_patterns(make_district)
    plan = design(district, spec=DesignSpec(min_size=12, max_size=20))
    card = plan.score()
    assert card["cohesion"] == 1.0
    assert card["n_portfolios"] == 2 and card["k12_complete"] == 1.0
    names = plan.assignment
    assert names.loc[[i for i in names.index if i.startswith("N")]].nunique() == 1
    assert sorted(plan.portfolios()) == ["N HS", "S HS"]


def test_touching_patterns_are_separated_exactly(make_district):
    district = two_patterns(make_district, south_lat=39.35)
    for seed in range(3):
        card = design(district, seed=seed, spec=DesignSpec(min_size=12, max_size=20)).score()
        assert card["cohesion"] == 1.0 and card["contiguous"] == 1.0


def test_a_district_that_fits_one_portfolio_gets_one(make_district):
    district = two_patterns(make_district)
    plan = design(district, spec=DesignSpec(min_size=12, max_size=24))
    assert plan.score()["n_portfolios"] == 1


def test_small_districts_try_the_fewest_portfolios_every_seed(tmp_path):
    """A city that loses half of each cohort to charters (generated, 110 schools): five full
    portfolios keep 0.6 points more students than six, and the search cannot merge six into
    five by itself, so every seed must start restarts at five (seed 2 once ended with six)."""
    schools, flows = without_charters(*generate_district(183, seed=1, charter_share=0.4))
    district = load_district(write_district(tmp_path / "city", schools, flows))
    cards = [design(district, seed=seed).score() for seed in range(3)]
    six = design(district, spec=DesignSpec(k=6)).score()["cohesion"]
    assert [card["n_portfolios"] for card in cards] == [5, 5, 5]
    assert min(card["cohesion"] for card in cards) > six + 0.003


def test_no_student_is_traded_for_shorter_distances(tmp_path):
    """A generated district of 92 schools whose flows come from its attendance zones: the exact
    mode finds a contiguous plan keeping 0.9186 of the students; when compactness weighed as
    much as a point of cohesion, the designer stopped at 0.9073 with portfolios 3.2 km across."""
    schools, flows = generate_district(92, seed=22)
    folder = write_district(tmp_path / "zones", schools, flows, generate_boundaries(schools))
    (folder / "flows.csv").unlink()
    district = load_district(folder)
    assert district.flows_source == "boundaries"
    card = design(district, seed=0).score()
    assert card["cohesion"] >= 0.918 and card["contiguous"] == 1.0 and card["size_ok"]


def test_fixed_k_is_respected(tmp_path):
    district = synthetic(tmp_path, 120, seed=3)
    plan = design(district, spec=DesignSpec(k=7))
    assert plan.score()["n_portfolios"] == 7
    check_invariants(plan)


def test_regions_are_respected_and_named_north_to_south(tmp_path):
    district = synthetic(tmp_path, 150, seed=1, n_regions=2)
    plan = design(district, spec=DesignSpec(within_region=True))
    check_invariants(plan, within_region=True)
    lat = district.schools["lat"].to_numpy()
    for region in sorted(set(district.schools["region"])):
        # fresh names (today's names kept by continuing portfolios aside)
        names = sorted(p for p in plan.portfolios() if re.fullmatch(rf"{region}-\d+", p))
        assert names and names[0] == f"{region}-01"
        north = [lat[plan.labels == name].mean() for name in names]
        assert north == sorted(north, reverse=True)


def test_without_contiguity_sizes_and_assignment_still_hold(tmp_path):
    district = synthetic(tmp_path, 100, seed=4)
    plan = design(district, spec=DesignSpec(contiguous=False))
    check_invariants(plan, contiguous=False)
    assert plan.score()["spec"]["contiguous"] is False


def test_short_names():
    assert short_name("Jordan High School") == "Jordan HS"
    assert short_name("Loudoun County Hs") == "Loudoun County HS"
    assert short_name("Avalon Senior High") == "Avalon HS"
    assert short_name("Gage Middle School") == "Gage MS"
    assert short_name("Riverside") == "Riverside"


# objective terms -------------------------------------------------------------------


def test_stability_keeps_schools_in_todays_portfolios(tmp_path):
    district = synthetic(tmp_path, 150, seed=2)
    free = design(district).score()["moved"]
    stable = design(district, spec=DesignSpec(stability=5.0)).score()["moved"]
    assert stable < free


def test_stability_keeps_a_valid_plan_of_another_count_and_says_how_many_moved(
    lcps_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Today's plan is valid with 6 portfolios, where the search alone settles on 5 (moving 15
    schools for half a point): under a heavy --stability it is kept, 0 moves, quick effort too."""
    district = load_district(lcps_path)
    six = design(district, spec=DesignSpec(k=6), seed=0, effort="quick")
    schools = pd.read_csv(lcps_path / "schools.csv", dtype={"school_id": str}).assign(portfolio=six.labels)
    schools.to_csv(tmp_path / "schools.csv", index=False)
    (tmp_path / "flows.csv").write_bytes((lcps_path / "flows.csv").read_bytes())
    for weight, moved in (("0", "15 schools moved"), ("2", "0 schools moved")):
        out = tmp_path / f"stability-{weight}"
        assert (
            main(["design", str(tmp_path), "--out", str(out), "--stability", weight, "--effort", "quick"])
            == 0
        )
        assert f"{moved} from today's plan" in capsys.readouterr().out
    card = json.loads((tmp_path / "stability-2" / "scorecard.json").read_text(encoding="utf-8"))
    assert card["moved"] == 0 and card["n_portfolios"] == 6


def test_flow_weights_pull_a_flow_inside(tmp_path):
    district = synthetic(tmp_path, 120, seed=5)
    flows = district.internal_flows()
    plan = design(district)
    position = dict(zip(district.ids, range(len(district.ids)), strict=True))
    crossing = [
        i
        for i, (a, b) in enumerate(zip(flows["from_id"], flows["to_id"], strict=True))
        if plan.labels[position[a]] != plan.labels[position[b]]
    ]
    assert crossing, "the plain plan should cut some flow"
    target = crossing[0]
    extra = pd.Series(0.0, index=flows.index)
    extra.iloc[target] = 100 * flows["students"].sum()
    weighted = design(district, flow_weights=extra)
    a, b = position[flows["from_id"].iloc[target]], position[flows["to_id"].iloc[target]]
    assert weighted.labels[a] == weighted.labels[b]
    assert weighted.score()["provenance"]["flow_weights"] is True


def test_flow_weights_must_align_with_internal_flows(tmp_path):
    district = synthetic(tmp_path, 60, seed=0)
    with pytest.raises(FeederError, match="internal flows"):
        design(district, flow_weights=pd.Series([1.0, 2.0]))


# determinism -----------------------------------------------------------------------


def test_same_seed_same_plan(tmp_path):
    district = synthetic(tmp_path, 200, seed=6)
    first, second = design(district, seed=3), design(district, seed=3)
    assert first.labels.tolist() == second.labels.tolist()
    assert first.provenance == second.provenance


def test_cli_writes_byte_identical_plans(tmp_path):
    folder = write_district(tmp_path / "district", *generate_district(150, 7))
    outputs = [tmp_path / "one", tmp_path / "two"]
    for out in outputs:
        assert main(["design", str(folder), "--out", str(out), "--seed", "2"]) == 0
    for name in ("portfolios.csv", "scorecard.json", "portfolios.geojson"):
        assert (outputs[0] / name).read_bytes() == (outputs[1] / name).read_bytes()
    assert {"search_seconds", "time_limit_hit"} <= set(json.loads((outputs[0] / "run.json").read_text()))


def test_time_limit_is_only_a_safety_cap(tmp_path):
    district = synthetic(tmp_path, 300, seed=8)
    run = run_design(district, spec=DesignSpec(), time_limit=0.01)
    assert run.timed_out
    check_invariants(run.plan)
    assert not run_design(district, spec=DesignSpec(), time_limit=600).timed_out


# refusals --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"min_size": 30, "max_size": 20}, "--min-size 30 is above --max-size 20"),
        (
            {"min_size": 13, "max_size": 23},
            "the district has 24 schools, which cannot form portfolios of 13-23 schools",
        ),
        ({"min_size": 25, "max_size": 30}, "use --min-size 24"),
        ({"k": 5}, "--k 5 with 24 schools needs portfolios of 4; lower --min-size to 4 or use --k 1..2"),
        ({"k": 1, "max_size": 20}, "--k 1 with 24 schools needs portfolios of 24; raise --max-size to 24"),
        ({"k": 0}, "--k 0 must be at least 1"),
        ({"stability": -1.0}, "--stability -1 must be a number, 0 or more"),
        ({"within_region": True}, "--within-region needs a 'region' column"),
    ],
)
def test_impossible_settings_say_why(make_district, options, message):
    district = two_patterns(make_district)
    with pytest.raises(FeederError) as error:
        design(district, spec=DesignSpec(**options))
    assert message in str(error.value)
    assert "\n" not in str(error.value)


def test_small_region_is_refused_with_a_fix(make_district):
    north, north_flows = pattern("N", 39.4, -77.5)
    south, south_flows = pattern("S", 38.9, -77.4, n_elementary=8)
    rows = [row | {"region": "North"} for row in north] + [row | {"region": "South"} for row in south]
    district = load_district(make_district(rows, north_flows + south_flows))
    with pytest.raises(
        FeederError,
        match=r"region South has 11 schools, which cannot form portfolios of 12-24 schools \(use --min-size 11 or merge regions\)",
    ):
        design(district, spec=DesignSpec(within_region=True))
    check_invariants(design(district, spec=DesignSpec(within_region=True, min_size=11)), within_region=True)


def test_cli_bad_options_exit_2_with_one_line(make_district, tmp_path, capsys):
    folder = make_district(*pattern("N", 39.4, -77.5))
    for options in (["--min-size", "0"], ["--k", "9"], ["--time-limit", "0"]):
        code = main(["design", str(folder), "--out", str(tmp_path / "out"), *options])
        err = capsys.readouterr().err
        assert code == 2
        assert err.startswith("error: ") and err.count("\n") == 1
    assert not (tmp_path / "out").exists()


# the exact solver's bound ----------------------------------------------------------


def fake_exact(monkeypatch, labels_of, bound: float) -> None:
    """Stand in for the exact solver with a canned answer."""

    def solve_exact(district, *, min_size, max_size, within_region, time_limit, warm_start, k=None):
        result = types.SimpleNamespace(
            bound=bound, labels=labels_of(warm_start), status="optimal", seconds=0.1
        )
        return result

    monkeypatch.setattr(certify_module, "solve_exact", solve_exact)


def test_exact_bound_lands_in_the_scorecard(make_district, monkeypatch):
    district = two_patterns(make_district)
    fake_exact(monkeypatch, lambda warm: None, bound=1.0)
    plan, certificate = certify(design(district, spec=DesignSpec(min_size=12, max_size=20)), time_limit=5)
    card = plan.score(cohesion_bound=certificate.bound)
    assert card["cohesion_bound"] == 1.0 and card["gap"] == 0.0
    assert not certificate.used_exact_plan


def test_an_exact_plan_breaking_a_constraint_is_not_taken(make_district, monkeypatch):
    district = two_patterns(make_district)
    heuristic = design(district, spec=DesignSpec(min_size=12, max_size=20))
    fake_exact(monkeypatch, lambda warm: np.array(["a"] * 20 + ["b"] * 4), bound=1.0)
    plan, certificate = certify(heuristic, time_limit=5)
    assert plan.labels.tolist() == heuristic.labels.tolist()
    assert not certificate.used_exact_plan


def test_cli_exact_reports_the_bound(make_district, tmp_path):
    north, north_flows = pattern("N", 39.4, -77.5)
    south, south_flows = pattern("S", 38.9, -77.4)
    folder = make_district(north + south, north_flows + south_flows)
    assert (
        main(
            [
                "design",
                str(folder),
                "--out",
                str(tmp_path),
                "--max-size",
                "20",
                "--exact",
                "--time-limit",
                "30",
            ]
        )
        == 0
    )
    card = json.loads((tmp_path / "scorecard.json").read_text())
    assert card["gap"] == pytest.approx(card["cohesion_bound"] - card["cohesion"])
    assert card["gap"] >= -1e-9, "a proven bound below a feasible plan's cohesion is a solver bug"
    assert card["provenance"]["exact"] is True
    assert "status" in json.loads((tmp_path / "run.json").read_text())["exact"]


# real and larger districts ---------------------------------------------------------


def test_lcps_meets_the_targets(lcps_path):
    district = load_district(lcps_path)
    started = time.perf_counter()
    plan = design(district)
    seconds = time.perf_counter() - started
    card = plan.score()
    assert card["size_ok"] and card["contiguous"] == 1.0 and card["k12_complete"] == 1.0
    assert card["cohesion"] >= 0.9935
    assert seconds < 20


def test_lcps_small_portfolios_have_every_high_school_they_can(lcps_path):
    """Loudoun has 16 high schools. In portfolios of 4-6, searches started at 19 portfolios ended
    at 17 or 18, so one or two lacked a high school (seed 0: 0.8777; the optimum, proven by
    `feeder bound --contiguous` in 31 s, is 0.9098). Portfolios of 3-5 need at least 18, so two
    must lack one; started at 22, every seed ended at 19, with three. There, re-cutting three
    portfolios at a time left seeds 0-2 2.3 points apart (0.8393-0.8627); the best plans differ
    by chains through six."""
    district = load_district(lcps_path)
    for seed in range(3):
        card = design(district, spec=DesignSpec(min_size=4, max_size=6), seed=seed).score()
        assert card["size_ok"] and card["contiguous"] == 1.0 and card["k12_complete"] == 1.0, seed
        assert card["cohesion"] >= 0.995 * 0.9098, (seed, card["cohesion"])
    cards = [
        design(district, spec=DesignSpec(min_size=3, max_size=5), seed=seed).score() for seed in range(3)
    ]
    fewest_incomplete = [
        card["n_portfolios"] == 18 and round(card["k12_complete"] * 18) == 16 for card in cards
    ]
    assert sum(fewest_incomplete) >= 2, [(card["n_portfolios"], card["k12_complete"]) for card in cards]
    cohesion = [card["cohesion"] for card in cards]
    assert max(cohesion) - min(cohesion) < 0.01, cohesion


@pytest.mark.skipif(not (SAMPLE / "schools.csv").exists(), reason="data/sample is not generated yet")
def test_sample_district_within_regions():
    district = load_district(SAMPLE)
    plan = design(district, spec=DesignSpec(within_region=True))
    check_invariants(plan, within_region=True)
    card = plan.score()
    assert card["k12_complete"] == 1.0
    assert card["cohesion"] >= 0.85


def test_harder_hundred_schools_reach_the_proven_optimum_every_seed(tmp_path):
    """A generated 100-school district where 5-14 % of each cohort chooses a non-nearest school:
    the exact contiguous mode proved 0.8483 the best contiguous plan (docs/benchmark.md, 2,360 s).
    With ruins of three portfolios seeds 0-2 stopped at 0.8468: the optimum differs across more."""
    district = synthetic(tmp_path, 100, seed=2, choice_share=(0.05, 0.14))
    assert [round(design(district, seed=seed).score()["cohesion"], 4) for seed in range(3)] == [0.8483] * 3


@pytest.mark.slow
def test_charter_city_seeds_agree(tmp_path):
    """The generated charter city (183 schools, charters drawing 30-60 % of each cohort over several
    nearby charters) has many unlike local optima: with ruins of three portfolios seeds 0-2 gave
    0.6870 / 0.6874 / 0.6922, and effort max 0.6966."""
    schools, flows = generate_district(183, seed=1, charter_share=0.4)
    district = load_district(write_district(tmp_path / "city", schools, flows))
    cohesions = [design(district, seed=seed).score()["cohesion"] for seed in range(3)]
    assert min(cohesions) > 0.6925
    assert max(cohesions) - min(cohesions) < 0.005


@pytest.mark.slow
def test_thousand_schools_beat_the_peers_contiguously(tmp_path):
    # Speed is measured in the benchmark (docs/benchmark.md), not here: a shared machine makes
    # a wall-clock assertion flaky.
    district = synthetic(tmp_path, 1000, seed=0)
    card = design(district).score()
    assert card["size_ok"] and card["contiguous"] == 1.0 and card["k12_complete"] == 1.0
    assert card["cohesion"] >= 0.86


def test_balance_weight_trades_cohesion_for_even_enrollment(lcps_path):
    district = load_district(lcps_path)
    plain = design(district).score()
    balanced = design(district, spec=DesignSpec(balance=1.0)).score()
    assert balanced["enrollment_cv"] < 0.5 * plain["enrollment_cv"]
    assert balanced["cohesion"] <= plain["cohesion"]
    assert balanced["spec"]["balance"] == 1.0
