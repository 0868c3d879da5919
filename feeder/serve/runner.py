"""Re-designs for the web app: one at a time, in a worker process, so a planner can cancel one.

The worker loads the district itself (nothing but the folder path and the request cross
the process boundary) and sends back the answer of `redesign`, or the one-line reason the
request cannot be met.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from feeder.clock import Clock
from feeder.district import load_district
from feeder.errors import FeederError
from feeder.serve.redesign import Redesigned, redesign
from feeder.serve.requests import DesignRequest

POLL_SECONDS = 0.1


class Busy(Exception):
    """Another re-design is running (the page offers to cancel it)."""


class Cancelled(Exception):
    """The planner cancelled the re-design."""


@dataclass(frozen=True)
class Refused(Exception):
    """The request cannot be met (bad option, impossible locks); `reason` is one line."""

    reason: str


def design_in_worker(
    folder: str,
    request: DesignRequest,
    clock: Clock,
    lock_cost: bool,
    unlocked: list[str] | None,
    channel: Connection,
) -> None:
    """Worker process body: send ("answer", `redesign`'s Redesigned) or ("refused", reason)."""
    os.setpgrp()  # its own process group, so a cancel also stops the designer's restart workers
    try:
        district = load_district(Path(folder))
        done = redesign(district, request, clock=clock, lock_cost=lock_cost, unlocked=unlocked)
        channel.send(("answer", done))
    except FeederError as error:
        channel.send(("refused", str(error)))
    except Exception as error:  # a bug: reported to the page as one, never as bad input
        channel.send(("bug", f"{type(error).__name__}: {error}"))
    finally:
        channel.close()


class DesignRunner:
    """Runs at most one re-design at a time and can cancel it; each has `time_limit` seconds (None:
    no cap) and, with `lock_cost`, says what its locks cost. The plan without locks is kept per seed
    (the server's spec is fixed, so it is the same for every re-design with that seed)."""

    def __init__(self, folder: Path, *, time_limit: float | None, lock_cost: bool) -> None:
        self.folder = folder
        self.time_limit = time_limit
        self.lock_cost = lock_cost
        self.unlocked: dict[int, list[str]] = {}
        self.process: multiprocessing.process.BaseProcess | None = None
        self.started = 0.0
        self.cancelled = False

    def status(self) -> dict[str, Any]:
        running = self.process is not None and self.process.is_alive()
        return {"running": running, "seconds": round(time.monotonic() - self.started, 1) if running else 0.0}

    def cancel(self) -> bool:
        """Stop the running re-design; False when none runs (or it is already being stopped)."""
        if self.process is None or not self.process.is_alive() or self.cancelled:
            return False
        self.cancelled = True
        self.process.terminate()
        group = self.process.pid
        if group is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):  # its group, once it has one
                os.killpg(group, signal.SIGTERM)
        return True

    def run(self, request: DesignRequest) -> dict[str, Any]:
        """Blocking: the answer of `redesign`, or Busy / Cancelled / Refused."""
        if self.process is not None and self.process.is_alive():
            raise Busy
        # Not Clock.start, which counts from when `feeder serve` started; the worker reads the same
        # monotonic clock (system-wide), so its time limit counts from this request.
        clock = Clock(started=time.monotonic(), limit=self.time_limit)
        context = multiprocessing.get_context("spawn")
        receiver, sender = context.Pipe(duplex=False)
        # Not a daemon: the designer runs its restarts in worker processes of its own.
        process = context.Process(
            target=design_in_worker,
            args=(str(self.folder), request, clock, self.lock_cost, self.unlocked.get(request.seed), sender),
        )
        self.process, self.started, self.cancelled = process, time.monotonic(), False
        process.start()
        sender.close()
        try:
            while not receiver.poll(POLL_SECONDS):
                if not process.is_alive() and not receiver.poll(0):
                    if self.cancelled:
                        raise Cancelled
                    raise RuntimeError(f"the design worker stopped with exit code {process.exitcode}")
            try:
                message = receiver.recv()
            except EOFError:
                if self.cancelled:
                    raise Cancelled from None
                raise RuntimeError("the design worker stopped without an answer") from None
        finally:
            process.join(timeout=5)
            receiver.close()
        if message[0] == "refused":
            raise Refused(message[1])
        if message[0] == "bug":
            raise RuntimeError(message[1])
        done: Redesigned = message[1]
        if done.unlocked is not None:
            self.unlocked[request.seed] = done.unlocked
        return done.answer
