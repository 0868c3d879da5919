"""The `feeder` command. Every FeederError becomes one line on stderr and exit code 2.

Ctrl-C at any moment, even while the libraries are still importing, is one line and exit
code 130: that is why nothing but the standard library is imported at the top of this module.
"""

from __future__ import annotations

import errno
import importlib.metadata
import os
import signal
import sys
import time
from typing import Any

from feeder.ctrl_c import INTERRUPTED_CODE, CtrlC

INTERRUPTED = "interrupted: outputs already on disk are complete; nothing half-written"
CHECKED_FILES = ("schools.csv", "flows.csv")  # the files `feeder check` reads cell by cell


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script; returns the exit code (usage errors exit 2)."""
    CtrlC.install()
    try:
        if argv is None:  # typed at a shell: --time-limit counts from the process's start
            from feeder.clock import process_age, process_started

            process_started.set(time.monotonic() - process_age())
        code = run(sys.argv[1:] if argv is None else list(argv))
    except KeyboardInterrupt:
        print(INTERRUPTED, file=sys.stderr, flush=True)
        if argv is None:
            # Everything has unwound (worker pools stopped, publications whole). Exit now: after an
            # interrupt inside the libraries' C code the interpreter may end by re-raising SIGINT,
            # which turns 130 into a kill (-2).
            sys.stdout.flush()
            os._exit(INTERRUPTED_CODE)
        code = INTERRUPTED_CODE
    if argv is None and code == INTERRUPTED_CODE:
        # Interrupted inside the command (click turns the Ctrl-C into an abort): if it came while a
        # library's C code ran, the interpreter would end by re-raising SIGINT, as above.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(INTERRUPTED_CODE)
    if argv is None:
        # The command is over: a Ctrl-C while the interpreter shuts down (Python then restores
        # SIGINT's default action, unless it is ignored) must not turn the exit code into a kill.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    return code


def run(argv: list[str]) -> int:
    import warnings

    import typer
    from typer._click.exceptions import ClickException  # typer vendors click; its errors live here

    from feeder.errors import FeederError, InputError, InternalError
    from feeder.terminal import printable

    # A library's own warnings (pyogrio, numpy) are not the planner's: feeder says what matters itself.
    warnings.simplefilter("ignore")
    try:
        refuse_empty_arguments(argv)
        command = build_command()
        code = command.main(args=argv, prog_name="feeder", standalone_mode=False)
    except FeederError as error:
        checked = isinstance(error, InputError) and error.file in CHECKED_FILES and argv[:1] != ["check"]
        more = "; run `feeder check` on the district for the full list" if checked else ""
        print(f"error: {printable(str(error))}{more}", file=sys.stderr)
        return 2
    except typer.Abort:
        print(INTERRUPTED, file=sys.stderr)
        return INTERRUPTED_CODE
    except ClickException as error:  # bad usage (unknown flag, a value that is not a number): one line too
        print(f"error: {printable(usage_message(error, argv))}", file=sys.stderr)
        return error.exit_code
    except typer.Exit as done:
        return done.exit_code
    except SystemExit as done:
        return done.code if isinstance(done.code, int) else 0
    except KeyboardInterrupt:
        raise
    except RecursionError:
        print("error: an input file is nested too deeply to read; flatten it", file=sys.stderr)
        return 2
    except Exception as error:  # InternalError or any other: a bug, not bad input
        if CtrlC.pressed:
            print(INTERRUPTED, file=sys.stderr)
            return INTERRUPTED_CODE
        if isinstance(error, OSError) and error.errno == errno.ENAMETOOLONG:  # a path typed or pasted wrong
            print(
                f"error: {printable(str(error.filename))}: a name in this path is longer than the file system "
                "allows (255 bytes); use a shorter file or folder name",
                file=sys.stderr,
            )
            return 2
        kind = "" if isinstance(error, InternalError) else f"{type(error).__name__}: "
        print(
            f"internal error (a bug in feeder, not in your data): {kind}{printable(str(error))}; please report "
            "it with the command, the district folder and `feeder --version`",
            file=sys.stderr,
        )
        return 1
    if code == INTERRUPTED_CODE:  # typer turns Ctrl-C inside a command into a silent exit 130
        print(INTERRUPTED, file=sys.stderr)
    return code if isinstance(code, int) else 0


def build_command() -> Any:
    """The click command of the typer app; each command is imported only when it runs."""
    import typer

    from feeder.commands.catalog import LazyCommands
    from feeder.help_format import show_flags_as_flags

    show_flags_as_flags()
    app = typer.Typer(
        cls=LazyCommands,
        help="Feeder-pattern portfolios for school districts. Input files: docs/FORMAT.md in the feeder project.",
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
    )

    def feeder(
        version: bool = typer.Option(
            False, "--version", callback=show_version, is_eager=True, help="Show feeder's version and exit."
        ),
    ) -> None:
        """Feeder-pattern portfolios for school districts."""

    app.callback()(feeder)
    return typer.main.get_command(app)


def show_version(value: bool) -> None:
    """`feeder --version`: the installed version, which a bug report should name."""
    import typer

    if value:
        try:
            version = importlib.metadata.version("feeder")
        except importlib.metadata.PackageNotFoundError:
            version = "(not installed: run from a source tree)"
        print(f"feeder {version}")
        raise typer.Exit()


def usage_message(error: Any, argv: list[str]) -> str:
    """Click's usage error as one line, with the value as typed when a flag's value was refused."""
    message = " ".join(error.format_message().split())
    param = getattr(error, "param", None)
    for flag in (flag for flag in getattr(param, "opts", []) if flag.startswith("-")):
        for index, argument in enumerate(argv):
            value = argv[index + 1] if argument == flag and index + 1 < len(argv) else None
            if argument.startswith(flag + "="):
                value = argument[len(flag) + 1 :]
            if value is not None:
                message = f"{flag} '{value}': " + message.removeprefix(f"Invalid value for '{flag}': ")
                break
    context = getattr(error, "ctx", None)
    command = context.command_path if context is not None else "feeder"
    return f"{message} (see `{command} --help`)"


def refuse_empty_arguments(argv: list[str]) -> None:
    """`--out ''` would silently mean the current folder; no feeder argument may be empty."""
    from feeder.errors import OptionError

    for index, argument in enumerate(argv):
        if argument.startswith("--") and argument.endswith("=") and "=" in argument:
            raise OptionError(f"{argument[:-1]} is empty; give it a value")
        if argument.strip() == "":
            flag = argv[index - 1] if index and argv[index - 1].startswith("--") else "an argument"
            raise OptionError(f"{flag} is empty; give it a value (e.g. a folder name)")


if __name__ == "__main__":
    sys.exit(main())
