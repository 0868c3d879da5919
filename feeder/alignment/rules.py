"""Alignment rules: which program families are checked along feeder flows, and how.

The format is documented in `feeder/rules/default.toml`, the file used when no rules
are given. A bad rules file fails with one line naming the file and the key (and the
line when it can be found), so a planner can fix it without reading Python.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from feeder.errors import FeederError
from feeder.words import words

FAMILY_NAME = re.compile(r"[a-z][a-z0-9_-]*")
KINDS = ("continue", "match")
SAME = ("value", "family")
KEYS = ("kind", "same", "label")


@dataclass(frozen=True)
class Family:
    """One checked program family.

    kind: "continue" (the sender's program should carry on at the receiver) or "match"
        (both ends should share the one value every school carries).
    same: for continue, "value" (same tag needed) or "family" (any tag of the family).
    label: how summaries name the family ("dual language").
    """

    name: str
    kind: str
    same: str = "value"
    label: str = ""

    def continues(self, value: str, received: frozenset[str]) -> bool:
        """Whether `value` of this continue family carries on at a school carrying `received`."""
        return value in received if self.same == "value" else bool(received)

    def describe(self, value: str) -> str:
        """Readable program name: 'Spanish dual language', or the label alone for a bare tag."""
        label = self.label or self.name.replace("_", " ")
        return f"{words(value)} {label}" if value else label


@dataclass(frozen=True)
class Rules:
    """The checked families in file order, and the file they came from."""

    families: tuple[Family, ...]
    source: str

    def __getitem__(self, name: str) -> Family:
        return next(family for family in self.families if family.name == name)

    @property
    def names(self) -> list[str]:
        return [family.name for family in self.families]


def default_rules() -> Rules:
    """The rules shipped with feeder (feeder/rules/default.toml)."""
    text = resources.files("feeder").joinpath("rules", "default.toml").read_text(encoding="utf-8")
    return parse_rules(text, "default.toml")


def load_rules(path: str | Path) -> Rules:
    """Read a rules TOML file; anything malformed is one FeederError naming file and key/line."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise FeederError(f"{path}: rules file not found") from None
    except (OSError, UnicodeDecodeError) as error:
        raise FeederError(f"{path}: cannot read the rules file ({error})") from None
    return parse_rules(text, path.name)


def parse_rules(text: str, source: str) -> Rules:
    """Validate the TOML text of a rules file named `source`."""
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise FeederError(f"{source}: not valid TOML ({error})") from None
    except RecursionError:
        raise FeederError(
            f"{source}: nested too deeply to be a rules file; see feeder/rules/default.toml"
        ) from None
    for key in document:
        if key != "families":
            raise problem(
                source, text, key, "unknown top-level key (put each family in a [families.NAME] table)"
            )
    tables = document.get("families")
    if not isinstance(tables, dict) or not tables:
        raise problem(source, text, "families", "no [families.NAME] tables; the rules check nothing")
    families = tuple(parse_family(source, text, name, table) for name, table in tables.items())
    return Rules(families=families, source=source)


def parse_family(source: str, text: str, name: str, table: Any) -> Family:
    """Validate one [families.NAME] table."""
    key = f"families.{name}"
    if not FAMILY_NAME.fullmatch(name):
        raise problem(
            source,
            text,
            key,
            f"'{name}' is not a family name (lower-case letters, digits, _ or -, starting with a letter)",
        )
    if not isinstance(table, dict):
        raise problem(source, text, key, 'must be a table with at least kind = "continue" or "match"')
    for option in table:
        if option not in KEYS:
            raise problem(source, text, f"{key}.{option}", f"unknown key (use {', '.join(KEYS)})")
    kind = choice(source, text, table, key, "kind", KINDS, None)
    same = choice(source, text, table, key, "same", SAME, "value")
    if kind == "match" and "same" in table:
        raise problem(source, text, f"{key}.same", "applies to continue families only")
    label = table.get("label", "")
    if not isinstance(label, str):
        raise problem(source, text, f"{key}.label", "must be a string")
    return Family(name=name, kind=kind, same=same, label=label.strip())


def choice(
    source: str, text: str, table: dict, key: str, option: str, allowed: tuple[str, ...], default: str | None
) -> str:
    """One of `allowed`, or the default when absent (None: required)."""
    if option not in table:
        if default is None:
            raise problem(source, text, key, f"missing {option} (use {' or '.join(allowed)})")
        return default
    value = table[option]
    if value not in allowed:
        raise problem(
            source, text, f"{key}.{option}", f"unknown {option} {value!r} (use {' or '.join(allowed)})"
        )
    return value


def problem(source: str, text: str, key: str, message: str) -> FeederError:
    """A FeederError naming the file, the line holding `key` (when found) and the key."""
    line = line_of(text, key)
    where = f"{source}, line {line}" if line else source
    return FeederError(f"{where}, key '{key}': {message}")


def line_of(text: str, key: str) -> int | None:
    """1-based line where a dotted key is written as [table] header or `key =`, if plainly written."""
    *tables, last = key.split(".")
    header = re.compile(
        r"\s*\[\s*" + r"\s*\.\s*".join(f'"?{re.escape(p)}"?' for p in [*tables, last]) + r"\s*\]"
    )
    assignment = re.compile(rf'\s*"?{re.escape(last)}"?\s*=')
    parent = re.compile(r"\s*\[\s*" + r"\s*\.\s*".join(f'"?{re.escape(p)}"?' for p in tables) + r"\s*\]")
    inside = not tables
    for number, line in enumerate(text.splitlines(), start=1):
        if header.match(line):
            return number
        if line.lstrip().startswith("["):
            inside = bool(tables) and bool(parent.match(line))
        elif inside and assignment.match(line):
            return number
    return None
