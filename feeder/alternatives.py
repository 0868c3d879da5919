"""Alternative plans along the trade-off between cohesion, enrollment balance and compactness.

The designer maximizes cohesion; a planner also weighs how even the portfolios'
enrollments are (enrollment_cv) and how far schools are from their meeting site
(mean_km). Designs are run over a small grid of settings — the balance weight (evens
out enrollment) and the number of portfolios (more, smaller portfolios are more
compact) — then identical plans and plans another one beats on all three metrics
(dominated) are dropped, and at most `count` are kept, spread along the front.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from feeder import metrics
from feeder.design import design
from feeder.district import District
from feeder.errors import InfeasibleError
from feeder.plan import Plan
from feeder.spec import DesignSpec

# (metric, +1 when higher is better, -1 when lower is better)
OBJECTIVES: tuple[tuple[str, int], ...] = (("cohesion", 1), ("enrollment_cv", -1), ("mean_km", -1))
# Balance weights tried: 0 (cohesion first), then weights at which the designer visibly trades
# cohesion for even enrollment on Loudoun and the sample (0.05 already halves Loudoun's CV).
BALANCES = (0.0, 0.05, 0.2, 1.0)
# Portfolio counts tried around the default plan's: one fewer, and one and two more (more
# portfolios, smaller and more compact ones).
COUNT_STEPS = (-1, 1, 2)
DIGITS = 9


@dataclass(frozen=True, kw_only=True)
class Alternative:
    """One designed plan of the set, its scorecard and the settings that produced it."""

    name: str
    plan: Plan
    card: dict[str, Any]
    k: int | None
    balance: float
    is_default: bool

    def point(self) -> tuple[float, ...]:
        """The plan's metrics, each turned so that higher is better (rounded: ties are ties)."""
        return tuple(round(sign * float(self.card[key] or 0.0), DIGITS) for key, sign in OBJECTIVES)


@dataclass(frozen=True, kw_only=True)
class TradeOffs:
    """Every plan designed (`tried`), the distinct ones none beats on all three metrics (`front`)
    and those of them kept (`chosen`: at most --count)."""

    chosen: list[Alternative]
    front: list[Alternative]
    tried: list[Alternative]

    @property
    def left_out(self) -> list[Alternative]:
        """Plans of the front that --count left out: beaten on nothing, so the chart must not say so."""
        kept = {each.name for each in self.chosen}
        return [each for each in self.front if each.name not in kept]

    @property
    def default(self) -> Alternative:
        return next(alternative for alternative in self.tried if alternative.is_default)


def trade_offs(
    district: District,
    *,
    spec: DesignSpec,
    count: int,
    seed: int = 0,
    jobs: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> TradeOffs:
    """Design over the settings grid and keep at most `count` distinct, mutually non-dominated plans.

    The default plan (`spec` as given) is always designed first; it is kept when nothing dominates it.
    jobs: worker processes, as `design`'s (default: all cores); never more than there are designs.
    progress(designed, total) is called after each design (a large district takes minutes).
    """
    default = design(district, spec=spec, seed=seed, jobs=jobs)
    settings = grid(spec, default_count=len(default.portfolios()), n=len(district.schools))
    work = [(district, each, seed) for each in settings]
    report = progress or (lambda designed, total: None)
    report(1, len(work) + 1)
    plans: list[Plan | None] = []
    # design's rule (feeder.design.workers): at most one process per piece of work, so --jobs
    # 100000 starts one per design; map_in_order itself would report progress only at the end.
    workers = min(jobs or os.cpu_count() or 1, len(work))
    with contextlib.ExitStack() as stack:
        pool = stack.enter_context(ProcessPoolExecutor(max_workers=workers)) if workers > 1 else None
        for plan in pool.map(design_one, work) if pool else map(design_one, work):
            plans.append(plan)
            report(len(plans) + 1, len(work) + 1)
    tried = [alternative(default, k=spec.k, balance=spec.balance, is_default=True)]
    for each, plan in zip(settings, plans, strict=True):
        if plan is not None:
            tried.append(alternative(plan, k=each.k, balance=each.balance, is_default=False))
    named(tried)
    kept = distinct(tried)
    front = [a for a in kept if not any(dominates(b.point(), a.point()) for b in kept)]
    return TradeOffs(chosen=spread(front, count), front=front, tried=tried)


def grid(spec: DesignSpec, *, default_count: int, n: int) -> list[DesignSpec]:
    """The settings tried besides the default: balance weights x portfolio counts (fixed when --k is)."""
    low, high = spec.portfolio_range(n)
    counts = [spec.k] if spec.k is not None else [None, *(default_count + step for step in COUNT_STEPS)]
    counts = [k for k in counts if k is None or low <= k <= high]
    balances = sorted({*BALANCES, spec.balance})
    return [
        replace(spec, k=k, balance=balance)
        for k in counts
        for balance in balances
        if (k, balance) != (spec.k, spec.balance)
    ]


def design_one(job: tuple[District, DesignSpec, int]) -> Plan | None:
    """One design of the grid; None when its portfolio count cannot be met (contiguity, regions).

    In one process: the designs run side by side, so --jobs counts every process (restarts of
    each design on all cores would multiply them)."""
    district, spec, seed = job
    try:
        return design(district, spec=spec, seed=seed, jobs=1)
    except InfeasibleError:
        return None


def alternative(plan: Plan, *, k: int | None, balance: float, is_default: bool) -> Alternative:
    return Alternative(name="", plan=plan, card=plan.score(), k=k, balance=balance, is_default=is_default)


def named(alternatives: list[Alternative]) -> None:
    """Readable, unique names: 'default', else '<n>-portfolios-balance-<w>'."""
    taken: set[str] = set()
    for index, each in enumerate(alternatives):
        base = (
            "default"
            if each.is_default
            else f"{each.card['n_portfolios']}-portfolios-balance-{each.balance:g}"
        )
        name, number = base, 1
        while name in taken:
            number += 1
            name = f"{base}-{number}"
        taken.add(name)
        alternatives[index] = replace(each, name=name)


def partition(plan: Plan) -> frozenset[frozenset[int]]:
    """The plan as a set of school groups: equal for plans that differ only in names."""
    return frozenset(frozenset(members.tolist()) for members in metrics.groups(plan.labels).values())


def distinct(alternatives: list[Alternative]) -> list[Alternative]:
    """Each partition once (the first designed: the default before the others)."""
    seen: set[frozenset[frozenset[int]]] = set()
    kept = []
    for each in alternatives:
        key = partition(each.plan)
        if key not in seen:
            seen.add(key)
            kept.append(each)
    return kept


def dominates(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
    """a is at least as good as b on every metric and better on one."""
    return all(x >= y for x, y in zip(a, b, strict=True)) and a != b


def spread(front: list[Alternative], count: int) -> list[Alternative]:
    """At most `count` plans of the front: the default, the best on each metric, then the plan
    farthest (metrics scaled to 0-1) from those already kept; sorted by cohesion, best first."""
    if len(front) <= count:
        chosen = list(front)
    else:
        points = np.array([each.point() for each in front])
        scale = np.ptp(points, axis=0)
        scaled = (points - points.min(axis=0)) / np.where(scale > 0, scale, 1)
        order = [i for i, each in enumerate(front) if each.is_default]
        order += [int(np.argmax(scaled[:, column])) for column in range(scaled.shape[1])]
        picked: list[int] = []
        for i in order:
            if i not in picked and len(picked) < count:
                picked.append(i)
        while len(picked) < count:
            gaps = np.min(np.linalg.norm(scaled[:, None, :] - scaled[None, picked, :], axis=2), axis=1)
            gaps[picked] = -1.0
            picked.append(int(np.argmax(gaps)))
        chosen = [front[i] for i in picked]
    return sorted(chosen, key=lambda each: (-each.point()[0], each.name))
