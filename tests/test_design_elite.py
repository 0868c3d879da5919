"""The elite phase (design/elite.py): it never returns a plan worse than the best restart,
its plan keeps the block's limits and contiguity, and its value is the plan's real value."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from synthetic import generate_district, write_district

from feeder.design import design
from feeder.design.designer import school_groups
from feeder.design.effort import Effort
from feeder.design.elite import polish, shared_parts
from feeder.design.locks import lock_columns
from feeder.design.moves import improve_moves
from feeder.design.objective import Weights
from feeder.design.problem import affinity_matrix, district_inputs, make_block
from feeder.design.restarts import Outcome, Task, best_of, run_tasks, usable
from feeder.design.seed import NoCut, bisect
from feeder.design.state import Budget, State
from feeder.district import District, load_district
from feeder.sample import SAMPLE
from feeder.spec import DesignSpec

SETTINGS = settings(max_examples=6, deadline=None, suppress_health_check=list(HealthCheck))


def whole_district_tasks(district: District, spec: DesignSpec, seed: int, restarts: int) -> list[Task]:
    """The restarts `design` runs on a district solved as one block."""
    inputs = district_inputs(district, None, lock_columns(district, spec))
    groups = school_groups(district, inputs, within_region=False, contiguous=True)
    assert len(groups) == 1
    name, members = groups[0]
    block = make_block(name, members, inputs, affinity_matrix(inputs.flows), spec)
    weights = Weights.for_district(len(district.schools), spec)
    return [
        Task(block, None, spec, weights, (seed, 0, restart), None, Effort(1.0)) for restart in range(restarts)
    ]


def connected(block, members: np.ndarray) -> bool:
    inside = set(members.tolist())
    seen, stack = {int(members[0])}, [int(members[0])]
    while stack:
        for u in block.neighbours[stack.pop()]:
            if u in inside and u not in seen:
                seen.add(u)
                stack.append(u)
    return len(seen) == len(inside)


# Generated one-region districts with tight sizes and high-school caps, shared by the phases
# that run after the restarts (elite.py, pool.py).
GENERATED = {
    "n": st.integers(40, 90),
    "seed": st.integers(0, 10_000),
    "min_size": st.integers(4, 8),
    "spread": st.integers(4, 10),
    "max_high": st.none() | st.integers(2, 4),
    "design_seed": st.integers(0, 3),
}


def generated_problem(folder, n: int, seed: int, min_size: int, spread: int, max_high: int | None):
    """A generated district (skipped when the generator cannot make one) and its spec."""
    try:
        generated = generate_district(n, seed, n_regions=1)
    except ValueError:
        assume(False)
    district = load_district(write_district(folder, *generated))
    return district, DesignSpec(min_size=min_size, max_size=min_size + spread, max_high_schools=max_high)


def searched_state(
    folder, n: int, seed: int, min_size: int, spread: int, max_high: int | None, design_seed: int
) -> State | None:
    """A generated problem's whole block cut by tree bisection and improved by single moves, at a
    fixed portfolio count (None when no plan of that count exists)."""
    district, spec = generated_problem(folder, n, seed, min_size, spread, max_high)
    inputs = district_inputs(district, None, lock_columns(district, spec))
    [(name, members)] = school_groups(district, inputs, within_region=False, contiguous=True)
    block = make_block(name, members, inputs, affinity_matrix(inputs.flows), spec)
    weights = Weights.for_district(len(district.schools), spec)
    parts = max(2, round(block.size / (min_size + spread / 2)))
    try:
        start = bisect(block, np.arange(block.size), parts, weights, np.random.default_rng(design_seed))
    except NoCut:
        return None
    state = State(block, start, fixed_k=True, weights=weights)
    improve_moves(state, range(block.size), Budget(None))
    return state


def assert_within_limits(block, state: State, part: np.ndarray, min_size: int, max_size: int) -> None:
    """Every portfolio in the size range, connected, and within the block's caps and locks."""
    for p in np.unique(part):
        members = np.flatnonzero(part == p)
        assert min_size <= len(members) <= max_size
        assert connected(block, members)
    assert block.limits.fits(state.stats[np.array(state.alive)]).all()


@SETTINGS
@given(**GENERATED)
def test_polish_never_loses_and_keeps_limits(fresh_folder, n, seed, min_size, spread, max_high, design_seed):
    district, spec = generated_problem(fresh_folder(), n, seed, min_size, spread, max_high)
    tasks = whole_district_tasks(district, spec, design_seed, restarts=3)
    try:
        outcomes = usable(run_tasks(tasks, jobs=1))
    except Exception as error:  # an infeasible setting: nothing for the phase to polish
        assume(type(error).__name__ != "InfeasibleError")
        raise
    polished = polish(tasks[0], outcomes)
    assert polished.value >= best_of(outcomes).value
    block = tasks[0].block
    state = State(block, polished.part, fixed_k=False, weights=tasks[0].weights)
    assert state.value() == pytest.approx(polished.value, abs=1e-9)
    assert_within_limits(block, state, polished.part, min_size, min_size + spread)


def test_polish_raises_unsearched_loudoun_starts_deterministically(lcps_path):
    district = load_district(lcps_path)
    tasks = whole_district_tasks(district, DesignSpec(), seed=0, restarts=2)
    block, weights = tasks[0].block, tasks[0].weights
    starts = []
    for count in (6, 7):  # two tree-bisection starts, before any local search (the optimum has 5)
        part = bisect(block, np.arange(block.size), count, weights, np.random.default_rng(count))
        starts.append(Outcome(part, State(block, part, fixed_k=False, weights=weights).value(), False))
    first, second = polish(tasks[0], starts), polish(tasks[0], starts)
    assert first.part.tolist() == second.part.tolist()
    assert first.value > best_of(starts).value + 0.001


def test_shared_parts_are_the_exact_member_sets_of_other_plans():
    plan = np.array([0, 0, 1, 1, 2, 2])
    other = np.array([5, 5, 6, 6, 6, 7])
    assert shared_parts(plan, [other]) == {0}
    assert shared_parts(plan, [other, np.array([1, 1, 0, 0, 2, 2])]) == {0, 1, 2}
    assert shared_parts(plan, []) == set()


def test_sample_plan_with_the_elite_phase_does_not_depend_on_jobs():
    district = load_district(SAMPLE)
    plans = [design(district, seed=1, effort=0.5, jobs=jobs).labels.tolist() for jobs in (1, 2)]
    assert plans[0] == plans[1]
