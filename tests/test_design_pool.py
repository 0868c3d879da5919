"""Set-partitioning recombination of pooled portfolios (design/pool.py): it scores a
portfolio as the search does, finds the best mix of plans, and never returns a worse,
out-of-range or non-contiguous plan, nor one with another portfolio count when k is fixed."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from test_design_elite import GENERATED, assert_within_limits, connected, generated_problem

from feeder.design.designer import school_groups
from feeder.design.effort import Effort
from feeder.design.locks import lock_columns
from feeder.design.objective import Weights
from feeder.design.pool import Pool, membership, pooled_scores, recombine_pool
from feeder.design.problem import Block, affinity_matrix, district_inputs, make_block
from feeder.design.restarts import Task, best_of, run_tasks, usable
from feeder.design.state import Budget, State
from feeder.district import District, load_district
from feeder.sample import SAMPLE
from feeder.spec import DesignSpec

SETTINGS = settings(max_examples=6, deadline=None, suppress_health_check=list(HealthCheck))


def whole_block(district: District, spec: DesignSpec) -> tuple[Block, Weights]:
    inputs = district_inputs(district, None, lock_columns(district, spec))
    [(name, members)] = school_groups(district, inputs, within_region=False, contiguous=True)
    return make_block(name, members, inputs, affinity_matrix(inputs.flows), spec), Weights.for_district(
        len(district.schools), spec
    )


def restarts(block: Block, weights: Weights, spec: DesignSpec, k: int | None, seed: int, count: int):
    tasks = [Task(block, k, spec, weights, (seed, 0, r), None, Effort(0.5)) for r in range(count)]
    return usable(run_tasks(tasks, jobs=1))


def worse_neighbour(state: State, used: set[int]) -> tuple[int, int, int]:
    """A boundary school whose move to an adjacent part keeps both parts contiguous and in
    range but lowers the value, among parts not in `used`: (school, from, to)."""
    before = state.value()
    for school in range(state.block.size):
        a = state.part[school]
        for b in sorted({state.part[u] for u in state.block.neighbours[school]} - {a}):
            if a in used or b in used or len(state.members[a]) <= state.min_size:
                continue
            if len(state.members[b]) >= state.max_size:
                continue
            rest = np.array(sorted(state.members[a] - {school}))
            if not connected(state.block, rest):
                continue
            state.set_parts({a: set(rest.tolist()), b: state.members[b] | {school}})
            lower = state.value() < before - 1e-6
            state.set_parts({a: state.members[a] | {school}, b: state.members[b] - {school}})
            if lower:
                return school, a, b
    raise AssertionError("no worsening move found")


def moved(part: np.ndarray, school: int, to: int) -> np.ndarray:
    changed = part.copy()
    changed[school] = to
    return changed


def test_pooled_scores_are_the_search_scores_of_each_portfolio():
    district = load_district(SAMPLE)
    spec = DesignSpec()
    block, weights = whole_block(district, spec)
    [outcome] = restarts(block, weights, spec, None, seed=0, count=1)
    state = State(block, outcome.part, fixed_k=False, weights=weights)
    parts = [tuple(sorted(state.members[p])) for p in range(len(state.alive)) if state.alive[p]]
    scores = pooled_scores(state, membership(parts, block.size))
    assert scores == pytest.approx(state.scores[np.array(state.alive)], abs=1e-12)
    assert scores.sum() == pytest.approx(state.value(), abs=1e-12)


def test_recombination_mixes_two_damaged_plans_back_into_the_original(lcps_path):
    district = load_district(lcps_path)
    spec = DesignSpec(min_size=8, max_size=14)
    block, weights = whole_block(district, spec)
    [outcome] = restarts(block, weights, spec, None, seed=0, count=1)
    original = State(block, outcome.part, fixed_k=False, weights=weights)
    school, a, b = worse_neighbour(original, set())
    other, _, d = worse_neighbour(original, {a, b})
    first, second = moved(outcome.part, school, b), moved(outcome.part, other, d)
    pool = Pool()
    pool.add(State(block, second, fixed_k=False, weights=weights), list(range(int(second.max()) + 1)))
    state = State(block, first, fixed_k=False, weights=weights)
    assert recombine_pool(state, pool, Budget(None))
    assert state.value() == pytest.approx(original.value(), abs=1e-12)
    assert np.array_equal(state.labels(), original.labels())
    assert not recombine_pool(state, pool, Budget(None))  # nothing better is left in the pool


@SETTINGS
@given(**GENERATED, fixed=st.booleans())
def test_recombination_never_loses_and_keeps_limits(
    fresh_folder, n, seed, min_size, spread, max_high, fixed, design_seed
):
    district, spec = generated_problem(fresh_folder(), n, seed, min_size, spread, max_high)
    block, weights = whole_block(district, spec)
    k = -(-n // (min_size + spread)) + 1 if fixed else None
    assume(k is None or k * min_size <= n)
    try:
        outcomes = restarts(block, weights, spec, k, design_seed, count=3)
    except Exception as error:  # an infeasible setting: nothing to recombine
        assume(type(error).__name__ != "InfeasibleError")
        raise
    pool = Pool()
    for outcome in outcomes:
        pool.merge(outcome.pool)
    best = best_of(outcomes)
    state = State(block, best.part.copy(), fixed_k=k is not None, weights=weights)
    recombine_pool(state, pool, Budget(None))
    assert state.value() >= best.value - 1e-12
    part = state.labels()
    assert State(block, part, fixed_k=k is not None, weights=weights).value() == pytest.approx(state.value())
    if k is not None:
        assert int(part.max()) + 1 == k
    assert_within_limits(block, state, part, min_size, min_size + spread)
