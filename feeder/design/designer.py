"""`design`: the portfolio designer's entry point.

Checks the options, cuts the district into independent blocks (regions with
within_region), solves each block — independent restarts (restarts.py), in parallel
worker processes — names the portfolios, and checks every hard constraint before
returning the plan.
"""

from __future__ import annotations

import math
import os
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from feeder.constraints import violations
from feeder.design import feasibility
from feeder.design.effort import Effort
from feeder.design.elite import polish
from feeder.design.locks import lock_columns, plan_names
from feeder.design.objective import Weights
from feeder.design.problem import affinity_matrix, district_inputs, make_block, school_groups
from feeder.design.restarts import Task, run_tasks, schedule, usable
from feeder.district import District
from feeder.errors import InternalError, OptionError
from feeder.plan import Plan, Provenance
from feeder.spec import DesignSpec

METHOD = "feeder design (tree bisection and METIS-guided starts + local search + exact pair re-cuts)"


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
    effort: str | float = "default",
    jobs: int | None = None,
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
    effort : str or float
        Search budget: quick, default, thorough, max, or a number (1 = default). The plan
        depends on it, never on the machine.
    jobs : int, optional
        Worker processes for the restarts (default: all cores); the plan does not depend on it.

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
        district,
        spec=spec or DesignSpec(),
        seed=seed,
        time_limit=time_limit,
        flow_weights=flow_weights,
        effort=effort,
        jobs=jobs,
    ).plan


def run_design(
    district: District,
    *,
    spec: DesignSpec,
    seed: int = 0,
    time_limit: float | None = None,
    flow_weights: pd.Series | None = None,
    effort: str | float = "default",
    jobs: int | None = None,
    before_search: Callable[[], None] | None = None,
) -> DesignRun:
    """`design`, also reporting the run time and whether the time limit cut the search short.

    before_search: called once the options are known to fit the district, before the search
    (e.g. to show the district's warnings, which a refused run does not print)."""
    start = time.monotonic()
    check_run_options(seed, time_limit, jobs)
    budgets = Effort.parse(effort)
    n = len(district.schools)
    if not spec.within_region:
        spec.check_fits(n)
    inputs = district_inputs(district, flow_weights, lock_columns(district, spec))
    groups = school_groups(district, inputs, within_region=spec.within_region, contiguous=spec.contiguous)
    areas = Counter(name for name, _ in groups)
    if spec.within_region:
        for name, members in groups:
            feasibility.check_block(spec, name, len(members), areas[name])
    counts = spec.allocate([len(members) for _, members in groups])
    feasibility.check_locks(spec, district, groups)
    for (name, members), count in zip(groups, counts, strict=True):
        most = count if count is not None else spec.portfolio_range(len(members))[1]
        feasibility.check_caps(spec, district, name, members, most)
        feasibility.check_lock_count(spec, district, name, members, most)
    weights = Weights.for_district(n, spec)
    affinity = affinity_matrix(inputs.flows)
    deadline = start + time_limit if time_limit is not None else None
    blocks = [make_block(name, members, inputs, affinity, spec) for name, members in groups]
    schedules = [
        schedule(block, spec, count, budgets.restarts(n)) for block, count in zip(blocks, counts, strict=True)
    ]
    tasks = [
        Task(
            block=block,
            k=counts[index],
            spec=spec,
            weights=weights,
            stream=(seed, index, restart),
            deadline=deadline,
            effort=budgets,
            count=start.count,
            guided=start.guided,
            metis=start.metis,
        )
        for index, block in enumerate(blocks)
        for restart, start in enumerate(schedules[index])
    ]
    if before_search is not None:
        before_search()
    workers = jobs or os.cpu_count() or 1
    outcomes = run_tasks(tasks, jobs=workers)
    part = np.empty(n, dtype=int)
    offset = 0
    first = 0
    for index, (_, members) in enumerate(groups):
        last = first + len(schedules[index])
        best = polish(tasks[first], usable(outcomes[first:last], effort=budgets), jobs=workers)
        part[members] = best.part + offset
        offset += int(best.part.max()) + 1
        first = last
    labels = plan_names(district, part, spec)
    broken = violations(district, labels, spec)
    if broken:
        raise InternalError(f"the designed plan breaks a hard constraint ({broken[0]})")
    provenance = Provenance(
        source="designed",
        method=METHOD,
        seed=seed,
        settings=(
            ("time_limit", time_limit),
            ("flow_weights", flow_weights is not None),
            ("effort", budgets.level),
        ),
        objective=tuple(weights.as_options().items()),
    )
    plan = Plan(district, labels, spec=spec, provenance=provenance)
    timed_out = any(outcome.timed_out for outcome in outcomes)
    return DesignRun(plan=plan, seconds=time.monotonic() - start, timed_out=timed_out)


def check_run_options(seed: int, time_limit: float | None, jobs: int | None) -> None:
    if seed < 0:
        raise OptionError(f"--seed {seed} must be 0 or more")
    if time_limit is not None and not (math.isfinite(time_limit) and time_limit > 0):
        raise OptionError(f"--time-limit {time_limit:g} must be a number of seconds above 0")
    if jobs is not None and jobs < 1:
        raise OptionError(f"--jobs {jobs} must be at least 1")
