"""Swaps (design/swaps.py): two schools trade portfolios when neither can move alone. They never
lower the objective, keep sizes, contiguity and limits, and keep the running totals true."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from test_design_elite import GENERATED, SETTINGS, assert_within_limits, searched_state
from test_design_pool import whole_block

from feeder.design import design
from feeder.design.moves import improve_moves
from feeder.design.seed import bisect
from feeder.design.state import Budget, State
from feeder.design.swaps import border, connected_after, improve_swaps, swap_candidates
from feeder.district import load_district
from feeder.sample import SAMPLE
from feeder.spec import DesignSpec


def assert_totals_are_fresh(state: State) -> None:
    """The running totals equal those of a state built from scratch from the same plan."""
    fresh = State(state.block, state.labels(), fixed_k=state.fixed_k, weights=state.weights)
    alive = np.flatnonzero(state.alive)
    order = np.argsort([min(state.members[p]) for p in alive])
    ours = alive[order]
    assert np.allclose(state.stats[ours], fresh.stats[: len(ours)])
    assert np.allclose(state.internal[ours], fresh.internal[: len(ours)])
    assert state.value() == pytest.approx(fresh.value(), abs=1e-9)


@SETTINGS
@given(**GENERATED)
def test_swaps_never_lose_and_keep_sizes_contiguity_and_totals(
    fresh_folder, n, seed, min_size, spread, max_high, design_seed
):
    state = searched_state(fresh_folder(), n, seed, min_size, spread, max_high, design_seed)
    if state is None:
        return  # no plan of this many parts: nothing to swap
    block = state.block
    sizes = {p: len(state.members[p]) for p in range(len(state.alive))}
    before = state.value()
    improve_swaps(state, Budget(None))
    assert state.value() >= before - 1e-12
    assert {p: len(state.members[p]) for p in range(len(state.alive))} == sizes
    assert_within_limits(block, state, np.array(state.part), min_size, min_size + spread)
    assert_totals_are_fresh(state)


def test_a_bad_swap_between_full_portfolios_is_undone(lcps_path):
    """Loudoun in five portfolios of exactly 18 schools: no school can move alone, so only a
    swap can repair two border schools traded the wrong way."""
    district = load_district(lcps_path)
    spec = DesignSpec(min_size=18, max_size=18)
    block, weights = whole_block(district, spec)
    plan = design(district, spec=spec, seed=0)
    _, part = np.unique(plan.labels, return_inverse=True)
    state = State(block, part, fixed_k=True, weights=weights)
    best = state.value()
    damaged = worst_swap(state)
    assert damaged < best - 1e-3
    assert not improve_moves(state, range(block.size), Budget(None)), "sizes allow no single move"
    assert improve_swaps(state, Budget(None))
    assert state.value() >= best - 1e-12
    assert_totals_are_fresh(state)


def worst_swap(state: State) -> float:
    """Trade the two border schools whose exchange loses most while keeping both parts
    connected (found by brute force), and return the damaged value."""
    best_loss, chosen = 0.0, None
    for p, q in state.adjacent_pairs():
        for a in border(state, p, q):
            for b in border(state, q, p):
                if not (connected_after(state, p, a, b) and connected_after(state, q, b, a)):
                    continue
                groups = {p: (state.members[p] - {a}) | {b}, q: (state.members[q] - {b}) | {a}}
                trial = State(state.block, np.array(state.part), fixed_k=True, weights=state.weights)
                trial.set_parts(groups)
                loss = state.value() - trial.value()
                if loss > best_loss:
                    best_loss, chosen = loss, (p, q, a, b)
    assert chosen is not None
    p, q, a, b = chosen
    state.set_parts({p: (state.members[p] - {a}) | {b}, q: (state.members[q] - {b}) | {a}})
    return state.value()


def test_every_priced_swap_matches_the_plan_it_makes():
    """The gain each swap is priced at equals the objective change of the plan it makes,
    including swaps of two schools with a flow between them (a first cut of the LA sample,
    before any search has healed its split feeders: 23 such swaps among 674)."""
    district = load_district(SAMPLE)
    spec = DesignSpec()
    block, weights = whole_block(district, spec)
    first_cut = bisect(block, np.arange(block.size), 14, weights, np.random.default_rng(1))
    state = State(block, first_cut, fixed_k=True, weights=weights)
    linked = 0
    for p, q in state.adjacent_pairs():
        found = swap_candidates(state, p, q)
        assert found is not None
        for a, b, gain in zip(found.a.tolist(), found.b.tolist(), found.gains.tolist(), strict=True):
            trial = State(block, np.array(state.part), fixed_k=True, weights=weights)
            trial.set_parts({p: (state.members[p] - {a}) | {b}, q: (state.members[q] - {b}) | {a}})
            assert gain == pytest.approx(trial.value() - state.value(), abs=1e-12)
            linked += any(other == b for other, _ in block.flow_lists[a])
    assert linked > 0, "some priced swap trades two schools with a flow between them"
