"""`feeder check DISTRICT`: list every problem of a district's data at once (exit 2 on errors)."""

from __future__ import annotations

from pathlib import Path

import typer

from feeder.commands.catalog import libraries
from feeder.commands.options import DISTRICT_HELP
from feeder.terminal import say


def register(app: typer.Typer) -> None:
    app.command("check")(check)


def check(district: Path = typer.Argument(..., help=DISTRICT_HELP)) -> None:
    """Check a district folder: every error and warning, each as `file, row, column: problem (fix)`."""
    with libraries():
        from feeder.lint import ERROR, lint_district

    problems = lint_district(district)
    errors = [p for p in problems if p.severity == ERROR]
    warnings = [p for p in problems if p.severity != ERROR]
    for title, group in (("errors", errors), ("warnings", warnings)):
        if group:
            say(f"{len(group)} {title if len(group) > 1 else title[:-1]}:")
            for problem in group:
                say(f"  {problem.line()}")
    say(
        f"{district}: {len(errors)} error(s), {len(warnings)} warning(s)"
        + ("" if errors else "; the data can be used")
    )
    if errors:
        raise typer.Exit(2)
