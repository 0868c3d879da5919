"""Independent restarts of the search, run in parallel worker processes.

Each restart of each block is one task with its own seed stream (base seed, block,
restart), so it gives the same result whichever process runs it and whenever. Results
come back in task order and the best restart of each block wins (ties: the lower
restart number), so the plan does not depend on `--jobs` or on scheduling.
"""

from __future__ import annotations

import multiprocessing
import signal
from dataclasses import dataclass, field

import numpy as np

from feeder.design import starts
from feeder.design.effort import Effort
from feeder.design.objective import Weights
from feeder.design.pool import Pool
from feeder.design.problem import Block
from feeder.design.search import descend, ruin_and_recreate
from feeder.design.seed import NoCut, bisect
from feeder.design.state import Budget, State
from feeder.errors import InfeasibleError
from feeder.spec import DesignSpec

ROUNDS = 30  # local-search rounds per descent; descents end after 3-6 rounds in practice
LNS_ROUNDS = 3  # descent rounds inside one ruin-and-recreate step: the re-cut area is small
TREES = 4  # spanning trees per pair re-cut: 2 finds ~90 % of what 8 find on Loudoun, 4 ~97 %
START_FILL = 0.8  # first portfolio count: mean size 80 % of the maximum, room for whole patterns
FEW_PARTS = 16
"""With a free k, blocks of at most this many portfolios (at the first count) run two restarts at
each count from one above the first down to the fewest that fit, each holding its count: there
the search cannot drop a portfolio by itself (three neighbouring portfolios rarely fit in two),
an early split is never undone, and the fewest counts often keep the most students together."""


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

    @property
    def restart(self) -> int:
        return self.stream[2]

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


def run_tasks(tasks: list[Task], *, jobs: int) -> list[Outcome]:
    """Every task's outcome, in task order (in this process when jobs is 1 or one task)."""
    if jobs <= 1 or len(tasks) <= 1:
        return [solve(task) for task in tasks]
    context = multiprocessing.get_context(
        "fork" if "fork" in multiprocessing.get_all_start_methods() else None
    )
    # Workers ignore Ctrl-C: the parent alone handles it, and leaving the block terminates them.
    with context.Pool(processes=min(jobs, len(tasks)), initializer=ignore_interrupts) as pool:
        return pool.map(solve, tasks, chunksize=1)


def ignore_interrupts() -> None:
    """Worker start-up: Ctrl-C reaches the parent only, which stops the workers and exits 130."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


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
            raise InfeasibleError(str(error)) from None
        k, count = None, first_count(block, spec)  # no cut at the scheduled count: a free restart
        try:
            start = cut_start(task, count, rng)
        except NoCut as error:
            raise InfeasibleError(str(error)) from None
    state = State(block, start, fixed_k=k is not None, weights=task.weights)
    descend(state, everyone.tolist(), rng, budget, rounds=ROUNDS, trees=TREES)
    # the portfolios built, for the elite phase's recombination (which needs two restarts)
    pool = Pool() if task.effort.restarts(block.scale.n_schools) > 1 else None
    for _ in range(task.effort.lns_steps(state.k)):
        if budget.spent():
            break
        ruin_and_recreate(state, rng, budget, rounds=LNS_ROUNDS, trees=TREES, pool=pool)
    descend(state, everyone.tolist(), rng, budget, rounds=ROUNDS, trees=TREES)
    if pool is None:
        return Outcome(state.labels(), state.value(), budget.timed_out)
    pool.add(state, list(range(len(state.alive))))
    return Outcome(state.labels(), state.value(), budget.timed_out, pool)


def cut_start(task: Task, count: int, rng: np.random.Generator) -> np.ndarray:
    """A first plan of `count` parts: on odd restarts, when pymetis is installed and the block
    needs several cuts, guided by METIS's cut (a plain bisection when no cut can follow it).
    Raises NoCut when no plain bisection can make the parts either."""
    everyone = np.arange(task.block.size)
    if task.restart % 2 == 1 and count >= 3 and starts.available():
        try:
            return bisect(starts.guided(task.block, count, rng), everyone, count, task.weights, rng)
        except NoCut:
            pass
    return bisect(task.block, everyone, count, task.weights, rng)


def schedule(block: Block, spec: DesignSpec, k: int | None, base: int) -> list[int | None]:
    """The portfolio count each restart of a block holds (None: free to change), `base` (the
    effort's) restarts or more. With a free k, a block of at most FEW_PARTS portfolios gets a
    tree and a METIS restart at each count from the fewest that fit (at least two) to one above
    the first."""
    if k is not None or base < 2:
        return [None] * base
    low, high = spec.portfolio_range(block.size)
    low = max(low, block.limits.fewest_parts(block.attributes.sum(axis=0)))
    first = first_count(block, spec)
    if low < 2 or first > FEW_PARTS:  # one portfolio may do, or the search can change counts itself
        return [None] * base
    counts = list(range(low, min(first + 1, high) + 1))
    return [counts[(restart // 2) % len(counts)] for restart in range(max(base, 2 * len(counts)))]


def first_count(block: Block, spec: DesignSpec) -> int:
    """Portfolios to start from when k is free: a mean size of START_FILL of the maximum (the
    search may then add or remove portfolios), but at least what the caps and lock names need."""
    low, high = spec.portfolio_range(block.size)
    low = max(low, block.limits.fewest_parts(block.attributes.sum(axis=0)))
    return min(high, max(low, round(block.size / (START_FILL * spec.max_size))))
