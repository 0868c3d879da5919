"""--effort and --jobs: the plan depends on input, seed and effort only — not on the number
of worker processes, the scheduling, or the process's hash seed."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from feeder.cli import main
from feeder.design import design
from feeder.design.effort import LEVELS, Effort
from feeder.district import load_district
from feeder.errors import OptionError

ROOT = Path(__file__).resolve().parents[1]


def test_jobs_do_not_change_the_plan(lcps_path):
    district = load_district(lcps_path)
    alone = design(district, seed=3, jobs=1)
    shared = design(district, seed=3, jobs=2)
    assert alone.labels.tolist() == shared.labels.tolist()


def test_effort_buys_restarts_deterministically():
    levels = [Effort.parse(name) for name in ("quick", "default", "thorough", "max")]
    assert [effort.restarts(300) for effort in levels] == [1, 4, 16, 64]
    assert [effort.restarts(1000) for effort in levels] == [1, 2, 8, 32]
    assert Effort.parse("2").restarts(90) == 8 and Effort.parse(0.1).lns_steps(10) < Effort.parse(
        1
    ).lns_steps(10)
    assert set(LEVELS) == {"quick", "default", "thorough", "max"}


@pytest.mark.parametrize("value", ["fast", "0", "-1", "nan"])
def test_bad_effort_names_the_flag(value):
    with pytest.raises(OptionError, match=f"--effort {value} must be one of quick, default, thorough, max"):
        Effort.parse(value)


def test_cli_bad_effort_or_jobs_exit_2(lcps_path, tmp_path, capsys):
    for options in (["--effort", "fast"], ["--jobs", "0"]):
        code = main(["design", str(lcps_path), "--out", str(tmp_path / "out"), *options])
        err = capsys.readouterr().err
        assert code == 2 and err.startswith("error: ") and err.count("\n") == 1, err
        assert options[0] in err
    assert not (tmp_path / "out").exists()


def test_plans_are_byte_identical_across_hash_seeds(lcps_path, tmp_path):
    outputs = []
    for hash_seed in ("1", "2"):
        out = tmp_path / f"h{hash_seed}"
        environment = {**os.environ, "PYTHONHASHSEED": hash_seed, "PYTHONPATH": str(ROOT)}
        subprocess.run(
            [sys.executable, "-m", "feeder.cli", "design", str(lcps_path), "--out", str(out), "--jobs", "2"],
            check=True,
            env=environment,
            capture_output=True,
        )
        outputs.append((out / "portfolios.csv").read_bytes())
    assert outputs[0] == outputs[1]
