"""The commands, each loaded only when it runs: `feeder --help` or a mistyped command answers at
once instead of first importing pandas, scipy, folium and the designer for every command. A
command's module imports those libraries inside the command (`with libraries():`), so its own
--help and a usage error answer at once too.

The one-line summaries `feeder --help` shows live here, beside the module of each command, so
listing the commands imports none of them (a test holds each to its command's docstring).
"""

from __future__ import annotations

import importlib
import math
import typing
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager
from typing import Any

import typer
from typer.core import TyperCommand, TyperGroup

from feeder.ctrl_c import libraries_loading
from feeder.spec import LARGEST_SETTING

COMMANDS = {  # name: (module in feeder.commands, summary), in the order `feeder --help` lists them
    "run": ("run", "Design portfolios, score them beside today's plan, check alignment and draw the maps."),
    "graph": (
        "graph",
        "Print the feeder patterns of a district: who feeds each high school, split feeders, leakage.",
    ),
    "design": ("design", "Design portfolios that keep students' feeder paths together."),
    "alternatives": (
        "alternatives",
        "Distinct plans none of which is beaten on cohesion, enrollment balance and compactness at once.",
    ),
    "score": (
        "score",
        "Print the scorecard of today's plan, a designed plan or one drawn by hand, and what it breaks.",
    ),
    "compare": (
        "compare",
        "Both scorecards side by side with the change, the schools that move, and a map of them.",
    ),
    "explain": (
        "explain",
        "Where a school's students come from and go, by portfolio, and why it sits where it does.",
    ),
    "align": ("align", "Check that students find the same programs at their next school, flow by flow."),
    "infer": (
        "infer",
        "Infer flows.csv from enrollment records, assignments, attendance boundaries or (roughly) sites.",
    ),
    "import-nces": ("nces", "Build a district's schools.csv from the NCES Common Core of Data."),
    "map": (
        "map",
        "Draw a plan: a district overview and one map per cohort, each one self-contained HTML file.",
    ),
    "report": (
        "report",
        "A report to print: district page, portfolio table, feeder diagram, then one page per cohort.",
    ),
    "bound": ("bound", "Prove the best cohesion any plan with portfolios in the size range can reach."),
    "serve": (
        "serve",
        "Open the plan in a local web app: edit it on the map and re-design around your locks.",
    ),
    "check": (
        "check",
        "Check a district folder: every error and warning, each as `file, row, column: problem (fix)`.",
    ),
}


class CommandsOnDemand(Mapping[str, Any]):
    """Every command by name; a command's module is imported on its first lookup."""

    def __init__(self) -> None:
        self.loaded: dict[str, Any] = {}

    def __getitem__(self, name: str) -> Any:
        if name not in COMMANDS:
            raise KeyError(name)
        if name not in self.loaded:
            self.loaded[name] = load(name)
        return self.loaded[name]

    def __iter__(self) -> Iterator[str]:
        return iter(COMMANDS)

    def __len__(self) -> int:
        return len(COMMANDS)


class LazyCommands(TyperGroup):
    """The `feeder` group, whose commands are imported only when one runs or shows its own help
    (typer's lookups, typo suggestions included, go through CommandsOnDemand)."""

    listing = False  # while the group's help lists the commands: summaries, nothing imported

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        self.commands = CommandsOnDemand()  # type: ignore[assignment]

    def list_commands(self, ctx: Any) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        loaded = typing.cast(CommandsOnDemand, self.commands).loaded
        if self.listing and cmd_name in COMMANDS and cmd_name not in loaded:
            return TyperCommand(cmd_name, short_help=COMMANDS[cmd_name][1])
        return super().get_command(ctx, cmd_name)

    def format_help(self, ctx: Any, formatter: Any) -> None:
        self.listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self.listing = False


def load(name: str) -> Any:
    """The click command `name`, built from its module's `register`, every float option refusing
    nan, inf and absurd sizes. A Ctrl-C during the import, however a library reports it, stops
    the command as an interruption."""
    with libraries():
        module = importlib.import_module(f"feeder.commands.{COMMANDS[name][0]}")
    app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
    module.register(app)
    command = typer.main.get_command(app)
    for param in command.params:
        annotation = getattr(getattr(param, "type_descriptor", None), "annotation", None)
        if annotation is float or float in typing.get_args(annotation):
            param.callback = finite(param.callback)
    return command


def libraries() -> AbstractContextManager[None]:
    """Around imports before a command's work: a Ctrl-C during them, however a library reports it
    (or swallows it), stops the command as an interruption."""
    return libraries_loading(message="interrupted: nothing was written")


def finite(callback: Any) -> Any:
    """A float option's callback that first refuses nan, inf and absurd sizes (they would poison every sum)."""

    def check(ctx: Any, param: Any, value: Any) -> Any:
        if isinstance(value, float) and not math.isfinite(value):
            raise typer.BadParameter(f"{value} is not a finite number", ctx=ctx, param=param)
        if isinstance(value, float) and abs(value) > LARGEST_SETTING:
            raise typer.BadParameter(
                f"{value:g} is beyond any sensible setting (at most {LARGEST_SETTING:g})",
                ctx=ctx,
                param=param,
            )
        return value if callback is None else callback(ctx, param, value)

    return check
