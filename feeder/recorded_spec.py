"""The spec a plan file was designed with: the scorecard.json `feeder design` wrote beside it.

A plan designed with caps, a size range or region nesting is judged and re-designed by them:
`feeder serve` re-designs with it (an option given on its command line overrides one field) and
`feeder explain` checks moves against it.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from feeder.district import District
from feeder.errors import OptionError, at
from feeder.spec import DesignSpec

SCORECARD = "scorecard.json"
INTEGERS = ("min_size", "max_size")
OPTIONAL_INTEGERS = ("k", "max_high_schools")
FLAGS = ("within_region", "contiguous")
NUMBERS = ("stability", "balance")
OPTIONAL_NUMBERS = ("max_enrollment",)
FIELDS = (*INTEGERS, *OPTIONAL_INTEGERS, *FLAGS, *NUMBERS, *OPTIONAL_NUMBERS)


@dataclass(frozen=True)
class ServedSpec:
    """The spec and where it came from, in words for the terminal."""

    spec: DesignSpec
    source: str


def resolve_spec(
    *,
    district: District,
    plan_file: Path | None,
    given: dict[str, Any],
    locks: tuple[tuple[str, str], ...] | None,
) -> ServedSpec:
    """scorecard.json's spec beside `plan_file` (when there is one), each `given` option (the spec
    field's name → value) and `locks` (from --lock) replacing its field; else the defaults."""
    recorded = None if plan_file is None else Path(plan_file).parent / SCORECARD
    if recorded is not None and recorded.is_file():
        base = read_scorecard_spec(recorded, district=district)
        origin = f"the spec in {recorded}"
    else:
        base = DesignSpec()
        origin = "the defaults" if plan_file is None else f"the defaults (no {SCORECARD} beside {plan_file})"
    overrides = dict(given) | ({} if locks is None else {"locks": locks})
    spec = replace(base, **overrides)  # DesignSpec checks the combination, naming the flags
    named = [flag(name, value) for name, value in given.items()] + ([] if locks is None else ["--lock"])
    source = origin + (f", with {', '.join(named)} from the command line" if named else "")
    return ServedSpec(spec=spec, source=source)


def read_scorecard_spec(path: Path, *, district: District) -> DesignSpec:
    """The `spec` section of a scorecard.json; InputError naming the file and the field."""
    fix = f"fix it, or move {path.name} away to serve the plan with the default spec"
    try:
        card = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as problem:
        raise at(path, f"cannot read it as JSON ({problem}); {fix}") from None
    section = card.get("spec") if isinstance(card, dict) else None
    if not isinstance(section, dict):
        raise at(path, f"has no 'spec' section (feeder design writes one); {fix}")
    values: dict[str, Any] = {}
    for name in FIELDS:
        if name not in section:
            continue
        value = section[name]
        if not fits(name, value):
            raise at(path, f"spec field '{name}' cannot be {value!r}; {fix}")
        values[name] = float(value) if name in NUMBERS + OPTIONAL_NUMBERS and value is not None else value
    values["locks"] = recorded_locks(path, section.get("locks", {}), district=district, fix=fix)
    try:
        return DesignSpec(**values)
    except OptionError as problem:
        raise at(path, f"its spec is impossible ({problem}); {fix}") from None


def fits(name: str, value: Any) -> bool:
    """Whether `value` has the type spec field `name` takes (JSON has no int/bool distinction of its own)."""
    whole = isinstance(value, int) and not isinstance(value, bool)
    number = whole or (isinstance(value, float) and math.isfinite(value))
    if name in INTEGERS:
        return whole
    if name in OPTIONAL_INTEGERS:
        return value is None or whole
    if name in FLAGS:
        return isinstance(value, bool)
    if name in NUMBERS:
        return number
    return value is None or number


def recorded_locks(path: Path, groups: Any, *, district: District, fix: str) -> tuple[tuple[str, str], ...]:
    """The scorecard's lock groups ({lock name: [school ids]}) as the spec's (school, name) pairs."""
    if not isinstance(groups, dict) or not all(
        isinstance(schools, list) and all(isinstance(school, str) for school in schools)
        for schools in groups.values()
    ):
        raise at(path, f"spec field 'locks' must map lock names to lists of school ids; {fix}")
    known = set(district.ids)
    pairs = tuple(sorted((school, str(name)) for name, schools in groups.items() for school in schools))
    unknown = [school for school, _ in pairs if school not in known]
    if unknown:
        raise at(path, f"spec field 'locks' names '{unknown[0]}', not a school of {district.name}; {fix}")
    return pairs


def flag(name: str, value: Any) -> str:
    """The command-line option that sets spec field `name` to `value` (to name it in a message)."""
    if name == "contiguous":
        return "--contiguous" if value else "--no-contiguous"
    if name == "within_region":
        return "--within-region" if value else "--across-regions"
    shown = f"{value:g}" if isinstance(value, float) else value
    return f"--{name.replace('_', '-')} {shown}"
