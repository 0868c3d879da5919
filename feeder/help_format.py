"""Help that shows on/off flags as flags.

typer (0.2x) prints a value type after every option, flags included: `--json <bool>`,
even `--help <bool>`, which invites `--json true` — refused, since a flag takes no
value. Flags are shown bare instead; every other option keeps its type.
"""

from __future__ import annotations

from typing import Any

from typer import core


def show_flags_as_flags() -> None:
    """Patch typer's option type column once so flags show no `<bool>` (a no-op on typers without it)."""
    original = getattr(core.TyperOption, "display_type_rich", None)
    if original is None or getattr(original, "shows_flags_bare", False):
        return

    def display_type_rich(self: core.TyperOption, ctx: Any) -> str | None:
        return None if self.is_flag else original(self, ctx)

    display_type_rich.shows_flags_bare = True  # type: ignore[attr-defined]
    core.TyperOption.display_type_rich = display_type_rich  # type: ignore[method-assign]
