"""The `feeder` command. Every FeederError becomes one line on stderr and exit code 2."""

from __future__ import annotations

import sys

import typer

from feeder.errors import FeederError

app = typer.Typer(
    help="Feeder-pattern portfolios for school districts.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def register() -> None:
    """Attach each command module's commands to the app (one module per command)."""
    from feeder.commands import graph

    for module in (graph,):
        module.register(app)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script; returns the exit code."""
    register()
    try:
        app(args=argv, standalone_mode=False)
    except FeederError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted: outputs already on disk are complete; nothing half-written", file=sys.stderr)
        return 130
    except typer.Exit as done:
        return done.exit_code
    except (typer.Abort, EOFError):
        return 1
    except Exception as error:  # click usage errors
        import click

        if isinstance(error, click.ClickException):
            error.show()
            return error.exit_code
        raise
    return 0


if __name__ == "__main__":
    sys.exit(main())
