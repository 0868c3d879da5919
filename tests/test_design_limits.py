"""Locks and workload caps: every designed plan keeps them, and impossible ones are refused
in one line. Plans are checked by reading them (school → portfolio, the schools table),
not through feeder.constraints, so a wrong predicate cannot hide a wrong plan."""

from __future__ import annotations

import json
import sys
import types
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import linear_sum_assignment

from feeder.cli import main
from feeder.design import design
from feeder.design.certify import certify
from feeder.design.effort import Effort
from feeder.design.restarts import Outcome, usable
from feeder.district import District, load_district
from feeder.errors import InfeasibleError, OptionError
from feeder.plan import Plan
from feeder.sample import SAMPLE
from feeder.spec import DesignSpec

TWO_STARTS = 0.5  # effort of two restarts: one tree-bisection start and one METIS-guided start
NEAR = 6  # lock partners among each anchor's 6 nearest schools: about one portfolio's reach
SLOW = settings(max_examples=6, deadline=None, suppress_health_check=list(HealthCheck))


@pytest.fixture(scope="module")
def loudoun(lcps_path: Path) -> District:
    return load_district(lcps_path)


@pytest.fixture(scope="module")
def sample() -> District:
    if not (SAMPLE / "schools.csv").exists():
        pytest.skip("the sample district is not generated")
    return load_district(SAMPLE)


def near_groups(district: District, anchors: list[int], picks: list[list[int]]) -> dict[str, list[str]]:
    """Lock groups named L0, L1, …: each anchor school plus the schools at `picks` positions
    among its NEAR nearest others (nearby, so contiguity allows them, but not always together
    in a free plan); a school already locked by an earlier group is skipped."""
    xy = district.positions_km
    ids = district.ids
    taken: set[int] = set()
    groups: dict[str, list[str]] = {}
    for number, (anchor, pick) in enumerate(zip(anchors, picks, strict=True)):
        if anchor in taken:
            continue
        order = np.argsort(np.hypot(*(xy - xy[anchor]).T), kind="stable")[1 : NEAR + 1]
        members = [anchor] + [int(order[i]) for i in pick if int(order[i]) not in taken]
        taken.update(members)
        groups[f"L{number}"] = sorted({ids[i] for i in members})
    return groups


def spec_of(groups: dict[str, list[str]], **options) -> DesignSpec:
    return DesignSpec(
        locks=tuple((school, name) for name, schools in groups.items() for school in schools), **options
    )


def assert_locks_kept(plan: Plan, groups: dict[str, list[str]]) -> None:
    portfolio = dict(zip(plan.district.ids, plan.labels.tolist(), strict=True))
    for name, schools in groups.items():
        assert {portfolio[school] for school in schools} == {name}, f"lock {name} broken"
    locked = [portfolio[schools[0]] for schools in groups.values()]
    assert len(set(locked)) == len(locked), "two lock names share a portfolio"


def assert_caps_kept(plan: Plan, *, max_enrollment: float | None, max_high: int | None) -> None:
    table = plan.district.schools.assign(portfolio=plan.labels)
    per = table.groupby("portfolio").agg(
        students=("enrollment", lambda s: s.fillna(0).sum()), high=("level", lambda s: (s == "high").sum())
    )
    if max_enrollment is not None:
        assert per["students"].max() <= max_enrollment
    if max_high is not None:
        assert per["high"].max() <= max_high
    sizes = table["portfolio"].value_counts()
    assert sizes.min() >= plan.spec.min_size and sizes.max() <= plan.spec.max_size


PICK = st.lists(st.integers(0, NEAR - 1), max_size=3, unique=True)


@SLOW
@given(
    data=st.data(),
    count=st.integers(1, 4),
    max_enrollment=st.none() | st.integers(17_000, 24_000),
    max_high=st.none() | st.integers(3, 4),
    stability=st.sampled_from([0.0, 0.5]),
)
def test_loudoun_plans_keep_random_locks_and_caps(loudoun, data, count, max_enrollment, max_high, stability):
    n = len(loudoun.schools)
    anchors = data.draw(st.lists(st.integers(0, n - 1), min_size=count, max_size=count, unique=True))
    picks = data.draw(st.lists(PICK, min_size=count, max_size=count))
    groups = near_groups(loudoun, anchors, picks)
    spec = spec_of(groups, max_enrollment=max_enrollment, max_high_schools=max_high, stability=stability)
    try:
        plan = design(loudoun, spec=spec, seed=data.draw(st.integers(0, 3)), effort=TWO_STARTS, jobs=1)
    except InfeasibleError as error:
        # A refusal names what to change: a cap the district cannot meet, or (locks packed close
        # together, which tree cuts may fail to separate) the locks themselves.
        reason = str(error)
        assert "\n" not in reason
        assert any(fix in reason for fix in ("--max-enrollment", "--max-high-schools", "fewer locks")), reason
        return
    assert_locks_kept(plan, groups)
    assert_caps_kept(plan, max_enrollment=max_enrollment, max_high=max_high)


@settings(max_examples=3, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data(), count=st.integers(1, 4))
def test_sample_plans_keep_random_locks_within_regions(sample, data, count):
    n = len(sample.schools)
    anchors = data.draw(st.lists(st.integers(0, n - 1), min_size=count, max_size=count, unique=True))
    groups = near_groups(sample, anchors, data.draw(st.lists(PICK, min_size=count, max_size=count)))
    region = dict(zip(sample.ids, sample.schools["region"], strict=True))
    one_region = {name: schools for name, schools in groups.items() if len({region[s] for s in schools}) == 1}
    try:
        plan = design(sample, spec=spec_of(one_region, within_region=True), seed=0, effort=TWO_STARTS, jobs=1)
    except InfeasibleError as error:  # as on Loudoun: locks packed close together may defeat the tree cuts
        assert "\n" not in str(error) and "fewer locks" in str(error), str(error)
        return
    assert_locks_kept(plan, one_region)


def test_a_restart_whose_cuts_miss_the_locks_does_not_refuse_the_plan(sample):
    # Two lock groups of region East (a draw of the test above): with seed 0 one of the two
    # restarts' tree cuts never separates them and the other's does; the design used to refuse
    # on the first restart that failed.
    groups = near_groups(sample, [206, 91], [[0, 3, 5], [0, 1, 3]])
    plan = design(sample, spec=spec_of(groups, within_region=True), seed=0, effort=TWO_STARTS, jobs=1)
    assert_locks_kept(plan, groups)


def test_the_design_refuses_only_when_every_restart_found_no_plan():
    found = Outcome(np.zeros(3, dtype=int), 0.5, False)
    refusals = [Outcome(np.zeros(0, dtype=int), -np.inf, False, refusal=f"could not cut {n}") for n in (1, 2)]
    assert usable([refusals[0], found, refusals[1]], effort=Effort.parse("default")) == [found]
    with pytest.raises(InfeasibleError, match=r"could not cut 1$"):
        usable(refusals, effort=Effort.parse("max"))


def test_a_refusal_below_the_highest_effort_says_more_effort_may_find_a_plan(lcps_path, tmp_path, capsys):
    """At quick effort a cap of 12,500 found no first plan that the default effort finds: the
    message asks for more effort before giving up a negotiated cap (was: raise caps, no contiguity)."""
    err = refusal(capsys, lcps_path, tmp_path / "out", "--max-enrollment", "12500", "--effort", "quick")
    assert "a piece of 36 of the 90 schools of the district" in err
    assert "try a higher --effort (1 random start found no first plan at this one), --no-contiguous" in err
    assert main(["design", str(lcps_path), "--out", str(tmp_path / "ok"), "--max-enrollment", "12500"]) == 0


def test_enrollment_cap_evens_out_loudoun(loudoun):
    plan = design(loudoun, spec=DesignSpec(max_enrollment=20_000), seed=0)
    assert_caps_kept(plan, max_enrollment=20_000, max_high=None)
    card = plan.score()
    assert card["spec"]["max_enrollment"] == 20_000 and card["violations"] == []


# refusals ------------------------------------------------------------------------


def write_locks(tmp_path: Path, rows: list[tuple[str, str]]) -> Path:
    path = tmp_path / "locks.csv"
    pd.DataFrame(rows, columns=["school_id", "portfolio"]).to_csv(path, index=False)
    return path


def refusal(capsys, folder: Path, out: Path, *options: str) -> str:
    code = main(["design", str(folder), "--out", str(out), *options])
    err = capsys.readouterr().err
    assert code == 2, err
    assert err.startswith("error: ") and err.count("\n") == 1, err
    assert not out.exists()
    return err


def test_unknown_locked_school_points_at_the_row(lcps_path, loudoun, tmp_path, capsys):
    locks = write_locks(tmp_path, [(loudoun.ids[0], "A"), ("NOPE", "A")])
    err = refusal(capsys, lcps_path, tmp_path / "out", "--lock", str(locks))
    assert "locks.csv, row 3, column 'school_id'" in err and "NOPE" in err


def test_lock_group_above_max_size_is_refused(lcps_path, loudoun, tmp_path, capsys):
    locks = write_locks(tmp_path, [(school, "Big") for school in loudoun.ids[:13]])
    err = refusal(
        capsys, lcps_path, tmp_path / "out", "--lock", str(locks), "--max-size", "12", "--min-size", "8"
    )
    assert "lock Big holds 13 schools, more than --max-size 12" in err


def test_far_apart_lock_is_refused_for_contiguity(loudoun):
    x = loudoun.positions_km[:, 0]
    west, east = loudoun.ids[int(np.argmin(x))], loudoun.ids[int(np.argmax(x))]
    with pytest.raises(
        InfeasibleError, match=r"lock Far: schools .* 5 schools apart on the map.*--max-size 4"
    ):
        design(loudoun, spec=DesignSpec(locks=((west, "Far"), (east, "Far")), max_size=4, min_size=2))
    plan = design(loudoun, spec=DesignSpec(locks=((west, "Far"), (east, "Far")), contiguous=False))
    assert_locks_kept(plan, {"Far": [west, east]})


def test_lock_across_regions_is_refused_within_regions(sample):
    region = sample.schools["region"].to_numpy()
    first = sample.ids[0]
    other = sample.ids[int(np.flatnonzero(region != region[0])[0])]
    with pytest.raises(InfeasibleError, match=r"lock X spans regions .* --within-region"):
        design(sample, spec=DesignSpec(locks=((first, "X"), (other, "X")), within_region=True))


def test_too_many_lock_names_are_refused(loudoun):
    locks = tuple((school, f"L{i}") for i, school in enumerate(loudoun.ids[:8]))
    with pytest.raises(InfeasibleError, match=r"8 lock names in the district need 8 portfolios.*at most 7"):
        design(loudoun, spec=DesignSpec(locks=locks))


def test_impossible_caps_say_what_would_fix_them(loudoun, lcps_path, tmp_path, capsys):
    biggest = loudoun.schools["enrollment"].max()
    total = loudoun.schools["enrollment"].sum()
    least = int(np.ceil(total / 7))  # 7 portfolios of 12+ schools at most: the one value to try
    with pytest.raises(
        InfeasibleError,
        match=rf"alone has {biggest:g} students, above --max-enrollment 1000 \(raise --max-enrollment to at least {least}\)",
    ):
        design(loudoun, spec=DesignSpec(max_enrollment=1000))
    err = refusal(capsys, lcps_path, tmp_path / "out", "--max-enrollment", "11000")
    assert f"{total:g} students" in err and f"raise --max-enrollment to at least {least}" in err
    err = refusal(capsys, lcps_path, tmp_path / "out", "--max-high-schools", "2")
    assert "raise --max-high-schools to at least 3" in err


def test_bad_cap_values_name_the_flag():
    with pytest.raises(OptionError, match="--max-enrollment -5"):
        DesignSpec(max_enrollment=-5)
    with pytest.raises(OptionError, match="--max-high-schools 0"):
        DesignSpec(max_high_schools=0)
    with pytest.raises(OptionError, match="school 'A' is locked twice"):
        DesignSpec(locks=(("A", "x"), ("A", "y")))


# with --exact ----------------------------------------------------------------------


def test_exact_plan_breaking_a_lock_is_not_taken(loudoun, monkeypatch):
    """The exact solver does not know locks: its better plan that splits a lock is refused."""
    free = design(loudoun, seed=0)
    a, b = next((a, b) for a, b in loudoun.adjacency.tolist() if free.labels[a] != free.labels[b])
    groups = {"Pair": [loudoun.ids[a], loudoun.ids[b]]}
    heuristic = design(loudoun, spec=spec_of(groups), seed=0)
    module = types.ModuleType("feeder.design.exact")
    module.solve_exact = lambda district, **_: types.SimpleNamespace(
        bound=1.0, labels=free.labels, status="optimal", seconds=0.1
    )
    monkeypatch.setitem(sys.modules, "feeder.design.exact", module)
    plan, certificate = certify(heuristic, time_limit=5)
    assert free.score()["cohesion"] > heuristic.score()["cohesion"], "the exact plan must look better"
    assert not certificate.used_exact_plan
    assert_locks_kept(plan, groups)


def test_design_says_what_its_locks_cost(lcps_path, tmp_path, capsys):
    """Two schools held together and two held apart gave up 0.0138 cohesion on Loudoun, unsaid."""
    locks = write_locks(
        tmp_path, [("LCH", "North"), ("WHS", "North"), ("MSE", "South A"), ("HUT", "South B")]
    )
    quick = ["--effort", "quick"]
    assert main(["design", str(lcps_path), "--out", str(tmp_path / "free"), *quick]) == 0
    assert (
        main(["design", str(lcps_path), "--out", str(tmp_path / "held"), "--lock", str(locks), *quick]) == 0
    )
    said = capsys.readouterr().out
    free = json.loads((tmp_path / "free" / "scorecard.json").read_text())["cohesion"]
    held = json.loads((tmp_path / "held" / "scorecard.json").read_text())["cohesion"]
    cost = json.loads((tmp_path / "held" / "run.json").read_text())["without_locks"]
    assert free - held > 0.005
    assert cost["cohesion"] == pytest.approx(free, abs=1e-6) and cost["cost"] == pytest.approx(
        free - held, abs=1e-6
    )
    free_plan = pd.read_csv(tmp_path / "free" / "portfolios.csv").set_index("school_id")["portfolio"]
    held_plan = pd.read_csv(tmp_path / "held" / "portfolios.csv").set_index("school_id")["portfolio"]
    together = pd.crosstab(held_plan, free_plan.reindex(held_plan.index))
    rows, cols = linear_sum_assignment(together.to_numpy(), maximize=True)
    assert cost["schools_placed_differently"] == len(held_plan) - together.to_numpy()[rows, cols].sum()
    assert (
        f"the locks cost {free - held:.4f} cohesion (the same search without them: cohesion {free:.4f}"
        in " ".join(said.split())
    )
    assert (
        main(
            [
                "design",
                str(lcps_path),
                "--out",
                str(tmp_path / "asis"),
                "--lock",
                str(locks),
                "--no-lock-cost",
                *quick,
            ]
        )
        == 0
    )
    assert "locks cost" not in capsys.readouterr().out
    assert "without_locks" not in json.loads((tmp_path / "asis" / "run.json").read_text())
