"""Property tests: on any generated district and any options, the designer either returns
a plan meeting every hard constraint or refuses in one line — never a wrong plan."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from synthetic import generate_district, write_district

from feeder import metrics
from feeder.design import design
from feeder.district import load_district
from feeder.errors import FeederError
from feeder.spec import DesignSpec

TWO_STARTS = 0.5  # effort of two restarts: one tree-bisection start and one METIS-guided start
SETTINGS = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


@SETTINGS
@given(
    n=st.integers(10, 110),
    seed=st.integers(0, 10_000),
    regions=st.integers(1, 3),
    min_size=st.integers(2, 14),
    spread=st.integers(0, 14),
    k=st.none() | st.integers(1, 12),
    within_region=st.booleans(),
    contiguous=st.booleans(),
    design_seed=st.integers(0, 3),
)
def test_plans_keep_every_hard_constraint(
    fresh_folder, n, seed, regions, min_size, spread, k, within_region, contiguous, design_seed
):
    try:
        generated = generate_district(n, seed, n_regions=regions)
    except ValueError:  # the generator needs at least 10 schools in every region
        assume(False)
    district = load_district(write_district(fresh_folder(), *generated))
    max_size = min_size + spread
    try:
        plan = design(
            district,
            seed=design_seed,
            effort=TWO_STARTS,
            jobs=1,
            spec=DesignSpec(
                min_size=min_size, max_size=max_size, k=k, within_region=within_region, contiguous=contiguous
            ),
        )
    except FeederError as error:
        message = str(error)
        assert "\n" not in message
        realistic = min_size >= 6 and max_size >= 2 * min_size - 1
        if k is None and not within_region and (realistic or not contiguous):
            assert n // min_size < -(-n // max_size), f"refused a feasible setting: {message}"
        return
    labels = plan.labels
    assert len(labels) == n and all(isinstance(x, str) and x for x in labels)
    sizes = np.array([len(m) for m in metrics.groups(labels).values()])
    assert sizes.min() >= min_size and sizes.max() <= max_size
    if k is not None:
        assert len(sizes) == k
    if within_region:
        assert metrics.in_region(district, labels) == 1.0
    if contiguous:
        assert metrics.contiguous(district, labels) == 1.0


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(n=st.integers(30, 90), seed=st.integers(0, 1000), design_seed=st.integers(0, 5))
def test_same_seed_same_plan(fresh_folder, n, seed, design_seed):
    district = load_district(write_district(fresh_folder(), *generate_district(n, seed)))
    first = design(district, seed=design_seed, effort=TWO_STARTS, jobs=1)
    second = design(district, seed=design_seed, effort=TWO_STARTS, jobs=2)
    assert first.labels.tolist() == second.labels.tolist()
