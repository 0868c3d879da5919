"""`design`: the portfolio designer's entry point.

Checks the options, cuts the district into independent blocks (regions with
within_region), solves each block — a few seeded restarts of recursive tree bisection
followed by local search — names the portfolios, and checks every hard constraint
before returning the plan.
"""

from __future__ import annotations

import math
import time
from collections import Counter
from dataclasses import dataclass

import numpy as np
import pandas as pd

from feeder.design import feasibility
from feeder.design.checks import check_plan
from feeder.design.naming import portfolio_names
from feeder.design.objective import Weights
from feeder.design.problem import Block, affinity_matrix, district_inputs, make_block, school_groups
from feeder.design.search import descend, ruin_and_recreate
from feeder.design.seed import NoCut, bisect
from feeder.design.state import Budget, State
from feeder.district import District
from feeder.errors import FeederError
from feeder.plan import DEFAULT_MAX_SIZE, DEFAULT_MIN_SIZE, Plan
from feeder.sizes import check_size_range

ROUNDS = 30
LNS_ROUNDS = 3
TREES = 4
START_FILL = 0.8
LNS_PER_PART = 8


@dataclass(frozen=True)
class DesignRun:
    """A designed plan and how the run went (kept out of the plan: it varies run to run)."""

    plan: Plan
    seconds: float
    timed_out: bool


def design(
    district: District,
    min_size: int = DEFAULT_MIN_SIZE,
    max_size: int = DEFAULT_MAX_SIZE,
    k: int | None = None,
    within_region: bool = False,
    contiguous: bool = True,
    seed: int = 0,
    time_limit: float | None = None,
    stability: float = 0.0,
    flow_weights: pd.Series | None = None,
) -> Plan:
    """Design portfolios of min_size..max_size schools that keep feeder flows together.

    k: number of portfolios (default: whatever scores best). within_region: no portfolio
    crosses a `region`. contiguous: each portfolio is connected on the Delaunay graph of
    school sites. seed: the search's random seed (same input and seed, same plan).
    time_limit: seconds; a safety cap only — the search stops on its iteration budget,
    so hitting the cap is the one thing that makes a result depend on the machine.
    stability: W >= 0; moving 1 % of the schools away from today's `portfolio` costs
    W points of cohesion. flow_weights: optional extra weight per flow, aligned with
    `district.internal_flows()`, added to its students in the objective (not in the
    scorecard's cohesion), e.g. to favour keeping program pathways together.

    The objective and its weights are documented in feeder/design/objective.py and
    recorded in `plan.options["objective"]`. Raises FeederError when no plan can meet
    the constraints, saying why.
    """
    return run_design(
        district,
        min_size=min_size,
        max_size=max_size,
        k=k,
        within_region=within_region,
        contiguous=contiguous,
        seed=seed,
        time_limit=time_limit,
        stability=stability,
        flow_weights=flow_weights,
    ).plan


def run_design(
    district: District,
    *,
    min_size: int = DEFAULT_MIN_SIZE,
    max_size: int = DEFAULT_MAX_SIZE,
    k: int | None = None,
    within_region: bool = False,
    contiguous: bool = True,
    seed: int = 0,
    time_limit: float | None = None,
    stability: float = 0.0,
    flow_weights: pd.Series | None = None,
) -> DesignRun:
    """`design`, also reporting the run time and whether the time limit cut the search short."""
    start = time.monotonic()
    check_options(min_size, max_size, k, seed, time_limit, stability)
    n = len(district.schools)
    if not within_region:
        feasibility.check_district(n, min_size, max_size)
    inputs = district_inputs(district, flow_weights)
    groups = school_groups(district, inputs, within_region=within_region, contiguous=contiguous)
    areas = Counter(name for name, _ in groups)
    for name, members in groups:
        if within_region:
            feasibility.check_block(name, len(members), areas[name], min_size, max_size)
    sizes = [len(members) for _, members in groups]
    counts = feasibility.allocate(k, sizes, min_size, max_size) if k is not None else [None] * len(groups)
    weights = Weights.for_district(n, max_size, stability)
    affinity = affinity_matrix(inputs.flows)
    budget = Budget(start + time_limit if time_limit is not None else None)
    part = np.empty(n, dtype=int)
    offset = 0
    for index, (name, members) in enumerate(groups):
        block = make_block(name, members, inputs, affinity, contiguous)
        local = solve_block(block, counts[index], min_size, max_size, weights, (seed, index), budget)
        part[members] = local + offset
        offset += int(local.max()) + 1
    labels = portfolio_names(district, part)
    check_plan(
        district,
        labels,
        min_size=min_size,
        max_size=max_size,
        k=k,
        within_region=within_region,
        contiguous=contiguous,
        edges=inputs.edges,
    )
    options = {
        "method": "feeder design (tree bisection + local search)",
        "k": k,
        "within_region": within_region,
        "contiguous": contiguous,
        "seed": seed,
        "time_limit": time_limit,
        "stability": stability,
        "flow_weights": flow_weights is not None,
        "objective": weights.as_options(),
    }
    plan = Plan(district, labels, min_size=min_size, max_size=max_size, options=options)
    return DesignRun(plan=plan, seconds=time.monotonic() - start, timed_out=budget.timed_out)


def check_options(
    min_size: int, max_size: int, k: int | None, seed: int, time_limit: float | None, stability: float
) -> None:
    check_size_range(min_size, max_size)
    if k is not None and k < 1:
        raise FeederError(f"--k {k} must be at least 1")
    if seed < 0:
        raise FeederError(f"--seed {seed} must be 0 or more")
    if time_limit is not None and not time_limit > 0:
        raise FeederError(f"--time-limit {time_limit:g} must be more than 0 seconds")
    if not (math.isfinite(stability) and stability >= 0):
        raise FeederError(f"--stability {stability:g} must be 0 or more")


def solve_block(
    block: Block,
    k: int | None,
    min_size: int,
    max_size: int,
    weights: Weights,
    stream: tuple[int, int],
    budget: Budget,
) -> np.ndarray:
    """Part numbers for one block: tree bisection, local search, then LNS_PER_PART
    ruin-and-recreate steps per portfolio and a final local search."""
    if k == 1 or (k is None and block.size <= max_size):
        return np.zeros(block.size, dtype=int)
    rng = np.random.default_rng(list(stream))
    everyone = np.arange(block.size)
    try:
        start = bisect(
            block,
            everyone,
            k or first_count(block.size, min_size, max_size),
            min_size,
            max_size,
            weights,
            rng,
        )
    except NoCut as error:
        raise FeederError(str(error)) from None
    state = State(block, start, fixed_k=k is not None, min_size=min_size, max_size=max_size, weights=weights)
    descend(state, everyone.tolist(), rng, budget, rounds=ROUNDS, trees=TREES)
    for _ in range(LNS_PER_PART * state.k):
        if budget.spent():
            break
        ruin_and_recreate(state, rng, budget, rounds=LNS_ROUNDS, trees=TREES)
    descend(state, everyone.tolist(), rng, budget, rounds=ROUNDS, trees=TREES)
    return state.labels()


def first_count(n: int, min_size: int, max_size: int) -> int:
    """Portfolios to start from when k is free: a mean size of 80 % of the maximum leaves room
    to keep feeder patterns whole (the search may then add or remove portfolios)."""
    low, high = feasibility.portfolio_range(n, min_size, max_size)
    return min(high, max(low, round(n / (START_FILL * max_size))))
