"""Ctrl-C at any moment reads as an interruption, never as a bug, even inside the libraries' imports.

Only the standard library is imported here: this module runs before anything heavy loads.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager

INTERRUPTED_CODE = 130


class CtrlC:
    """Remembers that Ctrl-C was pressed: a KeyboardInterrupt inside a library's import or C code
    can surface as another exception (e.g. "ImportError: initialization failed") or be swallowed
    altogether, and either must still read as an interruption."""

    pressed = False

    @classmethod
    def handler(cls, signum: int, frame: object) -> None:
        cls.pressed = True
        raise KeyboardInterrupt

    @classmethod
    def install(cls) -> bool:
        """Take over SIGINT, unless someone else has (a notebook) or it is ignored (a background job);
        says whether it did."""
        main_thread = threading.current_thread() is threading.main_thread()
        if main_thread and signal.getsignal(signal.SIGINT) is signal.default_int_handler:
            signal.signal(signal.SIGINT, cls.handler)
            return True
        return False


@contextmanager
def libraries_loading(*, message: str) -> Iterator[None]:
    """Around the package's imports: an interruption, however the library reports it, prints one line
    and exits 130 (as the command does later), instead of a traceback or a run that ignores it.
    Where someone else owns Ctrl-C (a notebook) or a person types Python, it stays a KeyboardInterrupt."""
    installed = CtrlC.install()
    try:
        yield
    except KeyboardInterrupt:
        CtrlC.pressed = True
    except Exception:
        if not CtrlC.pressed:
            raise
    finally:
        if installed:  # a program importing feeder keeps Python's own Ctrl-C afterwards
            signal.signal(signal.SIGINT, signal.default_int_handler)
    if CtrlC.pressed and (not installed or hasattr(sys, "ps1")):
        CtrlC.pressed = False  # a notebook or an interactive session: its own Ctrl-C, not an exit
        raise KeyboardInterrupt
    if CtrlC.pressed:
        print(message, file=sys.stderr, flush=True)
        # Not SystemExit: when the interrupt landed inside a library's C initialisation, the
        # interpreter would still end by re-raising SIGINT (exit status -2 instead of 130).
        os._exit(INTERRUPTED_CODE)
