"""Help and README tell the truth: flags shown as flags, the data contract shipped, every option documented."""

from __future__ import annotations

import importlib
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

import feeder
from feeder.cli import build_command, main
from feeder.commands.catalog import COMMANDS

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


def test_the_command_list_shows_each_commands_own_summary(commands: dict, capsys) -> None:
    assert list(commands) == list(COMMANDS)
    for name, command in commands.items():
        assert " ".join(command.help.split("\n\n")[0].split()) == COMMANDS[name][1], name
    assert main(["--help"]) == 0
    listed = " ".join(capsys.readouterr().out.replace("│", " ").split())
    for name, (_, summary) in COMMANDS.items():
        assert f"{name} {' '.join(summary.split()[:3])}" in listed, name


HEAVY = (
    *("pandas", "numpy", "geopandas", "scipy", "networkx", "folium", "plotly", "highspy", "ortools"),
    *("pymetis", "starlette", "uvicorn", "feeder.design"),
)


def test_help_and_a_mistyped_command_import_no_heavy_library() -> None:
    """`feeder --help` answers in well under a second: no command's libraries load for it."""
    probe = (
        "import sys\nfrom feeder.cli import main\n"
        "codes = [main(['--help']), main(['desgin'])]\n"
        f"print(codes, sorted(m for m in {HEAVY!r} if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert done.stdout.splitlines()[-1] == "[0, 2] []", done.stdout + done.stderr
    assert "Did you mean 'design'?" in done.stderr


def test_a_commands_help_and_a_usage_error_import_no_heavy_library() -> None:
    """`feeder design --help`, a mistyped flag or a missing argument answers at once: a command
    imports its libraries only when it runs."""
    helps = [[name, "--help"] for name in COMMANDS]
    calls = [*helps, ["design", "--seeed", "3"], ["design"]]  # the last two: usage errors, exit code 2
    probe = (
        "import sys\nfrom feeder.cli import main\n"
        f"for argv in {calls!r}:\n"
        "    code = main(argv)\n"
        f"    print('loaded', argv, code, sorted(m for m in {HEAVY!r} if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    loaded = [line for line in done.stdout.splitlines() if line.startswith("loaded ")]
    expected = [f"loaded {argv} {0 if argv in helps else 2} []" for argv in calls]
    assert loaded == expected, done.stderr


def test_every_public_name_is_the_object_its_module_defines() -> None:
    assert sorted(feeder.__all__) == sorted(feeder.API)
    for name in feeder.__all__:
        assert getattr(feeder, name) is getattr(importlib.import_module(feeder.API[name]), name), name
    with pytest.raises(AttributeError, match="no attribute 'desing'"):
        _ = feeder.desing


def test_version_is_the_projects(capsys) -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert main(["--version"]) == 0
    assert capsys.readouterr().out == f"feeder {project['version']}\n"
    assert "`feeder --version`" in README
