"""The `feeder` command. Every FeederError becomes one line on stderr and exit code 2."""

from __future__ import annotations

import sys

import typer

from feeder.errors import FeederError, InternalError

app = typer.Typer(
    help="Feeder-pattern portfolios for school districts.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def feeder() -> None:
    """Feeder-pattern portfolios for school districts."""


def register() -> None:
    """Attach each command module's commands to the app (one module per command)."""
    from feeder.commands import (
        align,
        alternatives,
        bound,
        compare,
        design,
        explain,
        graph,
        infer,
        map,
        nces,
        run,
        score,
        serve,
    )

    for module in (
        run,
        graph,
        design,
        alternatives,
        score,
        compare,
        explain,
        align,
        infer,
        nces,
        map,
        bound,
        serve,
    ):
        module.register(app)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script; returns the exit code (usage errors exit 2 via typer)."""
    register()
    try:
        app(args=argv, prog_name="feeder")
    except FeederError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted: outputs already on disk are complete; nothing half-written", file=sys.stderr)
        return 130
    except SystemExit as done:
        return done.code if isinstance(done.code, int) else 0
    except Exception as error:  # InternalError or any other: a bug, not bad input
        kind = "" if isinstance(error, InternalError) else f"{type(error).__name__}: "
        print(
            f"internal error (a bug in feeder, not in your data): {kind}{error}; please report it "
            "with the command and the district folder",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
