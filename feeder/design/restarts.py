"""Independent restarts of the search, run in parallel worker processes.

Each restart of each block is one task with its own seed stream (base seed, block,
restart), so it gives the same result whichever process runs it and whenever. Results
come back in task order and the best restart of each block wins (ties: the lower
restart number), so the plan does not depend on `--jobs` or on scheduling.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from feeder.design import starts
from feeder.design.effort import LEVELS, Effort
from feeder.design.objective import G3, G10, Weights
from feeder.design.pool import Pool
from feeder.design.problem import Block
from feeder.design.search import descend, ruin_and_recreate, scaled_steps
from feeder.design.seed import NoCut, bisect
from feeder.design.state import Budget, State
from feeder.design.workers import map_in_order
from feeder.errors import InfeasibleError
from feeder.spec import DesignSpec
from feeder.words import counted

ROUNDS = 30  # local-search rounds per descent; descents end after 3-6 rounds in practice
LNS_ROUNDS = 3  # descent rounds inside one ruin-and-recreate step: the re-cut area is small
TREES = 4  # spanning trees per pair re-cut: 2 finds ~90 % of what 8 find on Loudoun, 4 ~97 %
START_FILL = 0.8  # first portfolio count: mean size 80 % of the maximum, room for whole patterns
FEW_PARTS = 16
"""With a free k, blocks of at most this many portfolios (at the first count) run restarts at
each of their COUNTS_TRIED fewest counts, each holding its count: there the search
cannot drop a portfolio by itself (three neighbouring portfolios rarely fit in two), an early
split is never undone, and fewer portfolios often keep more students together (measured: the
best count was the fewest on 5 of 12 districts of 90-260 schools, the next on 6, the one after
on 1, never one above the first)."""
COUNTS_TRIED = 3  # counts from the fewest that such a block's restarts start from


@dataclass(frozen=True)
class Task:
    """One restart of one block."""

    block: Block
    k: int | None
    spec: DesignSpec
    weights: Weights
    stream: tuple[int, int, int]
    deadline: float | None
    effort: Effort
    count: int | None = None
    """Portfolios this restart holds to when the block's k is free (None: the search may change it)."""
    guided: bool = True
    """Whether the search climbs the guiding weights (Weights.guiding) before the true ones."""
    metis: bool | None = None
    """Whether the first plan follows METIS's cut (None: on odd restarts)."""

    @property
    def restart(self) -> int:
        return self.stream[2]

    @property
    def metis_start(self) -> bool:
        return self.metis if self.metis is not None else self.restart % 2 == 1

    @property
    def parts(self) -> int | None:
        """The portfolio count this restart keeps, if any: the block's k or the scheduled count."""
        return self.k if self.k is not None else self.count


@dataclass(frozen=True)
class Outcome:
    """A restart's plan of its block (part numbers), its objective value, whether the
    time limit cut it short, and the portfolios its search built (for elite.py)."""

    part: np.ndarray
    value: float
    timed_out: bool
    pool: Pool = field(default_factory=Pool)
    refusal: str | None = None
    """Why this restart found no first plan (its part is then empty): its random tree cuts
    could not meet the locks or caps, which another restart's cuts may still do."""


def usable(outcomes: list[Outcome], *, effort: Effort | None = None) -> list[Outcome]:
    """The restarts of one block that found a plan. Raises InfeasibleError, with the first
    restart's reason, when none did; given an effort below the highest, it says that more effort
    tries more cuts (at quick effort a cap of 12,500 failed that the default effort met)."""
    found = [outcome for outcome in outcomes if outcome.refusal is None]
    if not found:
        reason = str(outcomes[0].refusal)
        if effort is not None and effort.level < LEVELS["max"]:
            tried = f"{counted(len(outcomes), 'random start')} found no first plan at this one"
            reason = reason.replace("; try ", f"; try a higher --effort ({tried}), ", 1)
        raise InfeasibleError(reason)
    return found


def run_tasks(tasks: list[Task], *, jobs: int) -> list[Outcome]:
    """Every task's outcome, in task order (in this process when jobs is 1 or one task)."""
    return map_in_order(solve, tasks, jobs=jobs)


def best_of(outcomes: list[Outcome]) -> Outcome:
    """The highest objective value; the first such restart on ties."""
    return max(enumerate(outcomes), key=lambda item: (item[1].value, -item[0]))[1]


def solve(task: Task) -> Outcome:
    """One restart: a start (tree bisection, METIS-guided on odd restarts), local search,
    ruin-and-recreate steps, and a final local search."""
    block, spec, k = task.block, task.spec, task.parts
    budget = Budget(task.deadline)
    whole = block.limits.fits(block.attributes.sum(axis=0, keepdims=True))[0]
    if k == 1 or (k is None and block.size <= spec.max_size and whole):
        return Outcome(np.zeros(block.size, dtype=int), 0.0, False)
    rng = np.random.default_rng(list(task.stream))
    everyone = np.arange(block.size)
    count = k or first_count(block, spec)
    try:
        start = cut_start(task, count, rng)
    except NoCut as error:
        if task.count is None:
            return refused(error)
        k, count = None, first_count(block, spec)  # no cut at the scheduled count: a free restart
        try:
            start = cut_start(task, count, rng)
        except NoCut as error:
            return refused(error)
    state = State(block, start, fixed_k=k is not None, weights=search_weights(task))
    descend(state, everyone.tolist(), rng, budget, rounds=ROUNDS, trees=TREES)
    # the portfolios built, for the elite phase's recombination (which needs two restarts)
    pool = Pool() if task.effort.restarts(block.scale.n_schools) > 1 else None
    # larger ruins, fewer of them: about the same schools re-cut in all
    steps = scaled_steps(task.effort.lns_steps(state.k), parts=state.k, max_size=state.max_size)
    for _ in range(steps):
        if budget.spent():
            break
        ruin_and_recreate(state, rng, budget, rounds=LNS_ROUNDS, trees=TREES, pool=pool)
    state = State(block, state.labels(), fixed_k=k is not None, weights=task.weights)
    descend(state, everyone.tolist(), rng, budget, rounds=ROUNDS, trees=TREES)
    if pool is None:
        return Outcome(state.labels(), state.value(), budget.timed_out)
    pool.add(state, list(range(len(state.alive))))
    return Outcome(state.labels(), state.value(), budget.timed_out, pool)


def refused(error: NoCut) -> Outcome:
    return Outcome(np.zeros(0, dtype=int), -np.inf, False, refusal=str(error))


def cut_start(task: Task, count: int, rng: np.random.Generator) -> np.ndarray:
    """A first plan of `count` parts: guided by METIS's cut when the task says so, pymetis is
    installed and the block needs several cuts (a plain bisection when no cut can follow it).
    Raises NoCut when no plain bisection can make the parts either."""
    everyone = np.arange(task.block.size)
    if task.metis_start and count >= 3 and starts.available():
        try:
            return bisect(starts.guided(task.block, count, rng), everyone, count, search_weights(task), rng)
        except NoCut:
            pass
    return bisect(task.block, everyone, count, search_weights(task), rng)


def search_weights(task: Task) -> Weights:
    """The weights a restart's search climbs before the true ones (the same when unguided)."""
    return task.weights.guiding() if task.guided else task.weights


@dataclass(frozen=True)
class Start:
    """How one restart starts: the count it holds (None: free), whether its search is guided
    (Task.guided) and whether its first plan follows METIS (None: on odd restarts)."""

    count: int | None = None
    guided: bool = True
    metis: bool | None = None


def schedule(block: Block, spec: DesignSpec, k: int | None, base: int) -> list[Start]:
    """How each restart of a block starts: `base` (the effort's) free restarts, but with a free k
    a block of at most FEW_PARTS portfolios gets `base` restarts at each of the COUNTS_TRIED
    fewest counts that fit (at least two; not above the first count) and at today's count under
    --stability, in turn: guided from a tree, guided from METIS, unguided from a tree, unguided
    from METIS (each kind wins on some districts). Under --stability a single restart (quick
    effort) gets a second one at today's count."""
    today = today_count(block, spec) if k is None else None
    if k is not None or base < 2:
        return [Start()] * base + ([Start(today)] if today is not None else [])
    low = fewest_count(block, spec)
    first = first_count(block, spec)
    if low < 2 or first > FEW_PARTS:  # one portfolio may do, or the search can change counts itself
        return [Start()] * base
    counts = list(range(low, min(first, low + COUNTS_TRIED - 1) + 1))
    if today is not None and today not in counts:
        counts.append(today)
    kinds = [divmod(restart, len(counts)) for restart in range(base * len(counts))]
    return [Start(counts[index], turn % 4 < 2, turn % 2 == 1) for turn, index in kinds]


def today_count(block: Block, spec: DesignSpec) -> int | None:
    """How many of today's portfolios the block holds, when --stability asks to keep them and that
    many fit: restarts then try it too (a valid plan of 6 portfolios was never kept, whatever
    the weight, while only the fewest counts, 4 and 5, were tried)."""
    current = block.current[block.current >= 0]
    if spec.stability <= 0 or len(current) == 0:
        return None
    count = len(np.unique(current))
    return count if fewest_count(block, spec) <= count <= spec.portfolio_range(block.size)[1] else None


def first_count(block: Block, spec: DesignSpec) -> int:
    """Portfolios to start from when k is free: a mean size of START_FILL of the maximum (the
    search may then add or remove portfolios), but no more than can all be K-12 complete, and at
    least the fewest that fit. The search rarely drops a portfolio: with 16 high schools, Loudoun
    in portfolios of 4-6 ended at 17-18, 3 points below the optimum, and in portfolios of 3-5
    (at least 18) at 19, with three portfolios lacking a high school instead of two."""
    low, high = fewest_count(block, spec), spec.portfolio_range(block.size)[1]
    roomy = round(block.size / (START_FILL * spec.max_size))
    return min(high, max(low, min(roomy, complete_count(block))))


def complete_count(block: Block) -> int:
    """The most portfolios that can all be K-12 complete: schools serving grade 3, 7 or 10,
    whichever grade has the fewest."""
    return int(block.attributes[:, G3 : G10 + 1].sum(axis=0).min())


def fewest_count(block: Block, spec: DesignSpec) -> int:
    """The fewest portfolios the sizes, caps and lock names allow."""
    low = spec.portfolio_range(block.size)[0]
    return max(low, block.limits.fewest_parts(block.attributes.sum(axis=0)))
