"""The elite phase on large plans (design/elite.py, refine_in_zones): each zone is refined in
its own process, touches only its own schools, and the joined plan depends neither on the
number of processes nor on which finished first."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from synthetic import generate_district, write_district
from test_design_elite import assert_within_limits, whole_district_tasks

from feeder.design.elite import ZONE_PARTS, Zone, polish, refine_zone, zones
from feeder.design.objective import COUNT, X, Y
from feeder.design.restarts import best_of, run_tasks, usable
from feeder.design.state import State
from feeder.district import load_district
from feeder.errors import InfeasibleError
from feeder.spec import DesignSpec

SETTINGS = settings(max_examples=4, deadline=None, suppress_health_check=list(HealthCheck))
SMALL_PORTFOLIOS = DesignSpec(min_size=3, max_size=6)  # 120-160 schools make 24 or more portfolios


def many_portfolio_problem(folder, n: int, seed: int):
    try:
        generated = generate_district(n, seed, n_regions=1)
    except ValueError:
        assume(False)
    district = load_district(write_district(folder, *generated))
    tasks = whole_district_tasks(district, SMALL_PORTFOLIOS, seed % 4, restarts=2)
    try:
        outcomes = usable(run_tasks(tasks, jobs=1))
    except InfeasibleError:
        assume(False)
    assume(int(best_of(outcomes).part.max()) + 1 >= ZONE_PARTS)
    return tasks, outcomes


@SETTINGS
@given(n=st.integers(130, 170), seed=st.integers(0, 10_000))
def test_zones_refine_their_own_schools_only(fresh_folder, n, seed):
    tasks, outcomes = many_portfolio_problem(fresh_folder(), n, seed)
    task = tasks[0]
    best = best_of(outcomes)
    state = State(task.block, best.part.copy(), fixed_k=False, weights=task.weights)
    halves = zones(state)
    live = sorted(p for p in range(len(state.alive)) if state.alive[p])
    assert sorted(halves[0] | halves[1]) == live and not halves[0] & halves[1]
    assert abs(len(halves[0]) - len(halves[1])) <= 1
    centres = state.stats[:, [X, Y]] / np.maximum(state.stats[:, [COUNT]], 1)
    axis = int(np.argmax(np.ptp(centres[live], axis=0)))
    assert max(centres[p, axis] for p in halves[0]) <= min(centres[p, axis] for p in halves[1])
    others = [outcome.part for outcome in outcomes if outcome is not best]
    for index, parts in enumerate(halves):
        zone = Zone(task.block, best.part, False, task.weights, others, parts, (seed, 0, index), None)
        refined, _ = refine_zone(zone)
        outside = ~np.isin(best.part, list(parts))
        assert refined[outside].tolist() == best.part[outside].tolist()
        refined_state = State(
            task.block, np.unique(refined, return_inverse=True)[1], fixed_k=False, weights=task.weights
        )
        assert_within_limits(task.block, refined_state, refined, 3, 6)


@SETTINGS
@given(n=st.integers(130, 170), seed=st.integers(0, 10_000))
def test_zoned_polish_is_the_same_on_one_or_two_processes(fresh_folder, n, seed):
    tasks, outcomes = many_portfolio_problem(fresh_folder(), n, seed)
    alone = polish(tasks[0], outcomes, jobs=1)
    shared = polish(tasks[0], outcomes, jobs=2)
    assert alone.part.tolist() == shared.part.tolist()
    assert alone.value >= best_of(outcomes).value
    state = State(tasks[0].block, alone.part, fixed_k=False, weights=tasks[0].weights)
    assert_within_limits(tasks[0].block, state, alone.part, 3, 6)
