"""Printing text that came from input files safely: never as rich markup, never as terminal control codes."""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable

from rich.markup import escape

UNPRINTABLE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
LONGEST_WORD, HEAD, TAIL = 400, 300, 50  # a longer run without spaces is shown as HEAD…TAIL
LONG_WORD = re.compile(rf"\S{{{LONGEST_WORD + 1},}}")


def printable(text: str) -> str:
    """Control characters (ESC, BEL, CSI ...) shown as escapes such as \\x1b, so no input drives the
    terminal; a run without spaces longer than any path or name (a 100,000-character id) shown by its
    ends, which rich would otherwise take minutes to wrap."""
    shown = UNPRINTABLE.sub(lambda match: repr(match.group())[1:-1], str(text))
    return LONG_WORD.sub(lambda match: f"{match.group()[:HEAD]}…{match.group()[-TAIL:]}", shown)


def markup_safe(text: str) -> str:
    """Input text to embed in a rich markup string: brackets escaped, control characters shown."""
    return escape(printable(text))


def say(line: str, *, err: bool = False) -> None:
    """One plain line (no markup) to stdout or stderr."""
    print(printable(line), file=sys.stderr if err else sys.stdout, flush=True)


def show_warnings(warnings: Iterable[str]) -> None:
    """The district's warnings, on stderr, so no command computes silently on partial data."""
    for warning in warnings:
        say(f"warning: {warning}", err=True)
