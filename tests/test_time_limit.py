"""--time-limit bounds the whole command: the search gets what is left after reading the
district and keeping time back to score and write the plan."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from feeder import clock
from feeder.cli import main
from feeder.clock import Clock, finish_reserve
from feeder.design import certify, designer
from feeder.errors import OptionError


class FakeTime:
    def __init__(self) -> None:
        self.now = 1000.0

    def monotonic(self) -> float:
        return self.now


def test_stage_gets_what_is_left_after_the_reserve(monkeypatch) -> None:
    fake = FakeTime()
    monkeypatch.setattr(clock, "time", fake)
    timer = Clock.start(60.0)
    fake.now += 4.0  # reading the district took 4 s
    keep = finish_reserve(4.0)
    assert keep == pytest.approx(clock.FINISH_FLOOR + clock.FINISH_PER_READ * 4.0)
    assert timer.for_stage(keep=keep) == pytest.approx(60.0 - 4.0 - keep)
    assert timer.for_stage(keep=keep, share=0.5) == pytest.approx((60.0 - 4.0 - keep) / 2)
    fake.now += 100.0  # past the limit: a stage still gets a moment (the search stops at once)
    assert timer.for_stage(keep=keep) == clock.SHORTEST_STAGE
    assert Clock.start(None).for_stage(keep=keep) is None


@pytest.mark.parametrize("limit", [0.0, -5.0, float("nan"), float("inf")])
def test_a_limit_that_is_not_positive_seconds_is_refused(limit: float) -> None:
    with pytest.raises(OptionError, match="--time-limit"):
        Clock.start(limit)


def test_design_search_keeps_time_for_scoring_and_writing(
    lcps_path: Path, tmp_path: Path, monkeypatch
) -> None:
    """The search gets less than the whole limit (the reserve stays for scoring and writing),
    while the scorecard records the limit as given, so reruns stay byte-identical."""
    given: list[float | None] = []
    real = designer.run_design

    def spy(*args, **kwargs):
        given.append(kwargs["time_limit"])
        return real(*args, **kwargs)

    monkeypatch.setattr(designer, "run_design", spy)
    out = tmp_path / "out"
    assert main(["design", str(lcps_path), "--out", str(out), "--time-limit", "30", "--effort", "quick"]) == 0
    assert given and given[0] is not None
    assert given[0] <= 30 - clock.FINISH_FLOOR
    card = json.loads((out / "scorecard.json").read_text())
    assert card["provenance"]["time_limit"] == 30


def test_exact_gets_the_time_the_search_leaves(lcps_path: Path, tmp_path: Path, monkeypatch) -> None:
    """With --exact the search takes at most half of what is left, and the proof the rest:
    neither stage gets the whole limit again."""
    limits: dict[str, float | None] = {}
    called: dict[str, float] = {}
    real_design, real_certify = designer.run_design, certify.certify

    def spy_design(*args, **kwargs):
        limits["search"], called["search"] = kwargs["time_limit"], time.monotonic()
        return real_design(*args, **kwargs)

    def spy_certify(plan, *, time_limit):
        limits["exact"], called["exact"] = time_limit, time.monotonic()
        return real_certify(plan, time_limit=time_limit)

    monkeypatch.setattr(designer, "run_design", spy_design)
    monkeypatch.setattr(certify, "certify", spy_certify)
    code = main(
        [
            "design",
            str(lcps_path),
            "--out",
            str(tmp_path / "o"),
            "--time-limit",
            "40",
            "--exact",
            "--effort",
            "quick",
        ]
    )
    assert code == 0
    search, exact = limits["search"], limits["exact"]
    assert search is not None and exact is not None
    assert search <= 20
    assert exact <= 40 - clock.FINISH_FLOOR - (called["exact"] - called["search"])


def test_a_shell_command_counts_from_the_process_start() -> None:
    """Starting Python and importing the libraries count toward --time-limit: the clock of a
    command typed at a shell starts with the process, not when the command's code runs."""
    token = clock.process_started.set(time.monotonic() - 10.0)
    try:
        assert Clock.start(30.0).for_stage(keep=0.0) <= 20.0
    finally:
        clock.process_started.reset(token)
    assert Clock.start(30.0).for_stage(keep=0.0) > 29.0


def test_process_age_counts_from_the_process_start() -> None:
    script = "import time; time.sleep(1.5); from feeder.clock import process_age; print(process_age())"
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    age = float(
        subprocess.run(
            [sys.executable, "-c", script], capture_output=True, text=True, env=env, check=True
        ).stdout
    )
    assert 1.5 <= age < 120
