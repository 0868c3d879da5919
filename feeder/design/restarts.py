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
METIS_SHIFT = (0, -1, 1)  # METIS-guided starts cycle through part counts around the first one


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

    @property
    def restart(self) -> int:
        return self.stream[2]


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
    block, spec, k = task.block, task.spec, task.k
    budget = Budget(task.deadline)
    whole = block.limits.fits(block.attributes.sum(axis=0, keepdims=True))[0]
    if k == 1 or (k is None and block.size <= spec.max_size and whole):
        return Outcome(np.zeros(block.size, dtype=int), 0.0, False)
    rng = np.random.default_rng(list(task.stream))
    everyone = np.arange(block.size)
    count = k or first_count(block, spec)
    guide, count = start_block(task, count, rng)
    try:
        start = bisect(guide, everyone, count, task.weights, rng)
    except NoCut as error:
        if task.restart % 2 == 0:
            raise InfeasibleError(str(error)) from None
        start = None
    if start is None:  # a METIS guide that no cut could follow: fall back to a plain start
        try:
            start = bisect(block, everyone, k or first_count(block, spec), task.weights, rng)
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


def start_block(task: Task, count: int, rng: np.random.Generator) -> tuple[Block, int]:
    """The block the first bisection cuts, and into how many parts: METIS-guided on odd
    restarts (when pymetis is installed and the block needs several cuts), with a free k
    at part counts around the first one; plain otherwise."""
    block = task.block
    if task.restart % 2 == 0 or count < 3 or not starts.available():
        return block, count
    if task.k is None:
        low, high = task.spec.portfolio_range(block.size)
        shifted = count + METIS_SHIFT[(task.restart // 2) % len(METIS_SHIFT)]
        count = min(max(shifted, low, block.limits.fewest_parts(block.attributes.sum(axis=0)), 2), high)
    return starts.guided(block, count, rng), count


def first_count(block: Block, spec: DesignSpec) -> int:
    """Portfolios to start from when k is free: a mean size of START_FILL of the maximum (the
    search may then add or remove portfolios), but at least what the caps and lock names need."""
    low, high = spec.portfolio_range(block.size)
    low = max(low, block.limits.fewest_parts(block.attributes.sum(axis=0)))
    return min(high, max(low, round(block.size / (START_FILL * spec.max_size))))
