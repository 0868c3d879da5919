"""Worker processes for independent pieces of the search (restarts, elite zones).

Results come back in input order, so a plan never depends on how many processes ran
the pieces or in what order they finished.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
import sys
from collections.abc import Callable, Sequence
from typing import TypeVar

PR_SET_PDEATHSIG = 1  # prctl(2): the signal a process gets when its parent ends
Item = TypeVar("Item")
Result = TypeVar("Result")


def map_in_order(work: Callable[[Item], Result], items: Sequence[Item], *, jobs: int) -> list[Result]:
    """`work` on every item, in item order (in this process when jobs is 1 or one item)."""
    if jobs <= 1 or len(items) <= 1:
        return [work(item) for item in items]
    context = multiprocessing.get_context(
        "fork" if "fork" in multiprocessing.get_all_start_methods() else None
    )
    # Workers ignore Ctrl-C: the parent alone handles it, and leaving the block terminates them.
    with context.Pool(processes=min(jobs, len(items)), initializer=start_worker) as pool:
        return pool.map(work, items, chunksize=1)


def start_worker() -> None:
    """Worker start-up: Ctrl-C reaches the parent only, which stops the workers and exits 130; and
    on Linux a worker ends with its parent, so a killed feeder (kill -9, the OOM killer) leaves no
    worker searching on, to die later on a broken pipe."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
        if os.getppid() == 1:  # the parent died before prctl: no signal will come
            os._exit(0)
