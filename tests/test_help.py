"""Help and README tell the truth: flags shown as flags, the data contract shipped, every option documented."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from feeder.cli import build_command, main

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def commands() -> dict:
    return build_command().commands


def test_flags_show_no_value_type(commands: dict, capsys: pytest.CaptureFixture) -> None:
    for name in commands:
        assert main([name, "--help"]) == 0
        text = capsys.readouterr().out
        assert "<bool>" not in text, name


def test_every_district_help_points_at_the_shipped_contract(
    commands: dict, capsys: pytest.CaptureFixture
) -> None:
    assert (ROOT / "docs" / "FORMAT.md").exists()
    for name in commands:
        main([name, "--help"])
        assert "docs/FORMAT.md" in " ".join(capsys.readouterr().out.split()), name


def test_every_command_and_option_is_in_the_readme(commands: dict) -> None:
    for name, command in commands.items():
        assert f"`feeder {name}" in README, name
        for parameter in command.params:
            options = [o for o in (*parameter.opts, *parameter.secondary_opts) if o.startswith("--")]
            if options and options != ["--help"]:
                found = [
                    o for o in options if re.search(rf"feeder {name}[^\n]*{re.escape(o)}(?![\w-])", README)
                ]
                assert found, f"feeder {name}: none of {options} in README's command table"


def test_browser_test_needs_are_named_and_installed() -> None:
    assert "chromium-driver" in README
    assert "chromium-driver" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def test_a_flag_given_a_value_is_refused(capsys: pytest.CaptureFixture) -> None:
    assert main(["score", str(ROOT / "data" / "sample"), "--json", "true"]) == 2
