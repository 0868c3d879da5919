"""Worker processes of the search (design/workers.py): they end with feeder, even a killed one."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc; prctl is Linux's")

SEARCH = (
    "import time; from feeder.design.workers import map_in_order; map_in_order(time.sleep, [60, 60], jobs=2)"
)


def children(pid: int) -> set[int]:
    """Processes whose parent is `pid` (from /proc/<pid>/stat: the field after the state)."""
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # it ended while we looked
            continue
        if int(fields[1]) == pid:
            found.add(int(stat.parent.name))
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def wait_for(condition, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def test_workers_end_when_feeder_is_killed() -> None:
    """kill -9 of feeder (or the OOM killer) left its workers searching on, each to die later on a
    broken pipe with a traceback; they now end with it."""
    parent = subprocess.Popen([sys.executable, "-c", SEARCH], stderr=subprocess.PIPE)
    workers: set[int] = set()
    try:
        assert wait_for(lambda: len(children(parent.pid)) >= 2, 30), "the workers never started"
        workers = children(parent.pid)
        time.sleep(0.5)  # past their start-up
        parent.send_signal(signal.SIGKILL)
        parent.wait()
        assert wait_for(lambda: not any(alive(pid) for pid in workers), 5), "workers outlived feeder"
    finally:
        parent.kill()
        for pid in filter(alive, workers):
            os.kill(pid, signal.SIGKILL)
