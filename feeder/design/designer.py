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

from feeder.constraints import violations
from feeder.design import feasibility
from feeder.design.naming import portfolio_names
from feeder.design.objective import Weights
from feeder.design.problem import Block, affinity_matrix, district_inputs, make_block, school_groups
from feeder.design.search import descend, ruin_and_recreate
from feeder.design.seed import NoCut, bisect
from feeder.design.state import Budget, State
from feeder.district import District
from feeder.errors import InfeasibleError, InternalError, OptionError
from feeder.plan import Plan, Provenance
from feeder.spec import DesignSpec

ROUNDS = 30
LNS_ROUNDS = 3
TREES = 4
START_FILL = 0.8
LNS_PER_PART = 8
METHOD = "feeder design (tree bisection + local search)"


@dataclass(frozen=True)
class DesignRun:
    """A designed plan and how the run went (kept out of the plan: it varies run to run)."""

    plan: Plan
    seconds: float
    timed_out: bool


def design(
    district: District,
    *,
    spec: DesignSpec | None = None,
    seed: int = 0,
    time_limit: float | None = None,
    flow_weights: pd.Series | None = None,
) -> Plan:
    """Design portfolios that meet `spec` and keep feeder flows together.

    Parameters
    ----------
    district : District
        From `load_district`.
    spec : DesignSpec, optional
        The problem: size range, k, regions, contiguity, stability (default: 12-24 schools,
        contiguous).
    seed : int
        The search's random seed: the same input, spec and seed give the same plan.
    time_limit : float, optional
        Seconds; a safety cap only. The search stops on its iteration budget, so hitting
        the cap is the one thing that makes a result depend on the machine.
    flow_weights : pandas.Series, optional
        Extra weight per flow, aligned with `district.internal_flows()`, added to its
        students in the objective (not in the scorecard's cohesion), e.g. to keep program
        pathways together.

    Returns
    -------
    Plan
        Meets every hard constraint of the spec; the objective weights are in its provenance.

    Raises
    ------
    FeederError
        An OptionError or InfeasibleError saying why no plan can meet the spec.
    """
    return run_design(
        district, spec=spec or DesignSpec(), seed=seed, time_limit=time_limit, flow_weights=flow_weights
    ).plan


def run_design(
    district: District,
    *,
    spec: DesignSpec,
    seed: int = 0,
    time_limit: float | None = None,
    flow_weights: pd.Series | None = None,
) -> DesignRun:
    """`design`, also reporting the run time and whether the time limit cut the search short."""
    start = time.monotonic()
    check_run_options(seed, time_limit)
    n = len(district.schools)
    if not spec.within_region:
        spec.check_fits(n)
    inputs = district_inputs(district, flow_weights)
    groups = school_groups(district, inputs, within_region=spec.within_region, contiguous=spec.contiguous)
    areas = Counter(name for name, _ in groups)
    if spec.within_region:
        for name, members in groups:
            feasibility.check_block(spec, name, len(members), areas[name])
    counts = feasibility.allocate(spec, [len(members) for _, members in groups])
    weights = Weights.for_district(n, spec)
    affinity = affinity_matrix(inputs.flows)
    budget = Budget(start + time_limit if time_limit is not None else None)
    part = np.empty(n, dtype=int)
    offset = 0
    for index, (name, members) in enumerate(groups):
        block = make_block(name, members, inputs, affinity, spec.contiguous)
        local = solve_block(block, counts[index], spec, weights, (seed, index), budget)
        part[members] = local + offset
        offset += int(local.max()) + 1
    labels = portfolio_names(district, part)
    broken = violations(district, labels, spec)
    if broken:
        raise InternalError(f"the designed plan breaks a hard constraint ({broken[0]})")
    provenance = Provenance(
        source="designed",
        method=METHOD,
        seed=seed,
        settings=(("time_limit", time_limit), ("flow_weights", flow_weights is not None)),
        objective=tuple(weights.as_options().items()),
    )
    plan = Plan(district, labels, spec=spec, provenance=provenance)
    return DesignRun(plan=plan, seconds=time.monotonic() - start, timed_out=budget.timed_out)


def check_run_options(seed: int, time_limit: float | None) -> None:
    if seed < 0:
        raise OptionError(f"--seed {seed} must be 0 or more")
    if time_limit is not None and not (math.isfinite(time_limit) and time_limit > 0):
        raise OptionError(f"--time-limit {time_limit:g} must be a number of seconds above 0")


def solve_block(
    block: Block,
    k: int | None,
    spec: DesignSpec,
    weights: Weights,
    stream: tuple[int, int],
    budget: Budget,
) -> np.ndarray:
    """Part numbers for one block: tree bisection, local search, then LNS_PER_PART
    ruin-and-recreate steps per portfolio and a final local search."""
    min_size, max_size = spec.min_size, spec.max_size
    if k == 1 or (k is None and block.size <= max_size):
        return np.zeros(block.size, dtype=int)
    rng = np.random.default_rng(list(stream))
    everyone = np.arange(block.size)
    try:
        start = bisect(
            block,
            everyone,
            k or first_count(block.size, spec),
            min_size,
            max_size,
            weights,
            rng,
        )
    except NoCut as error:
        raise InfeasibleError(str(error)) from None
    state = State(block, start, fixed_k=k is not None, min_size=min_size, max_size=max_size, weights=weights)
    descend(state, everyone.tolist(), rng, budget, rounds=ROUNDS, trees=TREES)
    for _ in range(LNS_PER_PART * state.k):
        if budget.spent():
            break
        ruin_and_recreate(state, rng, budget, rounds=LNS_ROUNDS, trees=TREES)
    descend(state, everyone.tolist(), rng, budget, rounds=ROUNDS, trees=TREES)
    return state.labels()


def first_count(n: int, spec: DesignSpec) -> int:
    """Portfolios to start from when k is free: a mean size of 80 % of the maximum leaves room
    to keep feeder patterns whole (the search may then add or remove portfolios)."""
    low, high = spec.portfolio_range(n)
    return min(high, max(low, round(n / (START_FILL * spec.max_size))))
