"""Reading a re-design request: locks on top of the server's spec, checked like the CLI checks its
options."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, replace
from typing import Any

import pandas as pd

from feeder.district import District
from feeder.errors import OptionError
from feeder.io.idmatch import match_lost_zeros
from feeder.recorded_spec import flag
from feeder.spec import DesignSpec

INTEGERS = ("min_size", "max_size", "k", "seed", "max_high_schools")
NUMBERS = ("stability", "balance", "max_enrollment")
FLAGS = ("within_region", "contiguous")
OPTIONAL = ("k", "max_high_schools", "max_enrollment")  # null: no such limit
KNOWN = ("locks", *INTEGERS, *NUMBERS, *FLAGS)


@dataclass(frozen=True, kw_only=True)
class DesignRequest:
    """What the page asked for: the server's spec with the page's locks added, and the seed."""

    spec: DesignSpec
    seed: int


def option_name(key: str) -> str:
    """'--min-size', 'min-size' and 'min_size' all name one option."""
    return key.strip().lstrip("-").replace("-", "_")


def parse_design_request(body: Any, district: District, *, spec: DesignSpec) -> DesignRequest:
    """The request on top of the server's `spec`; OptionError (→ HTTP 400) naming the first bad field.

    The page cannot change the spec: a spec field it sends must equal the server's, so a page (or
    a script) never loosens a cap or a size range the planner started `feeder serve` with.
    """
    if not isinstance(body, dict):
        raise OptionError("the request body must be a JSON object of design options")
    options = {option_name(str(key)): value for key, value in body.items()}
    unknown = sorted(set(options) - set(KNOWN))
    if unknown:
        raise OptionError(f"unknown option '{unknown[0]}' (known: {', '.join(KNOWN)})")
    values: dict[str, Any] = {}
    for name in (*INTEGERS, *NUMBERS, *FLAGS):
        if name not in options:
            continue
        value = options[name]
        if value is None and name in OPTIONAL:
            values[name] = None
        elif name in INTEGERS:
            values[name] = integer(name, value)
        elif name in NUMBERS:
            values[name] = number(name, value)
        elif not isinstance(value, bool):
            raise OptionError(f"'{name}' must be true or false")
        else:
            values[name] = value
    seed = values.pop("seed", 0)
    for name, value in values.items():
        if value != getattr(spec, name):
            fix = flag(name, 0 if value is None else value)  # serve's 0: no such limit
            raise OptionError(
                f"'{name}' {json.dumps(value)} differs from this server's spec ({json.dumps(getattr(spec, name))}): "
                f"the page cannot change the spec; restart feeder serve with {fix}"
            )
    locks = dict(spec.locks)
    for school, name in read_locks(options.get("locks", {}), district).items():
        if locks.setdefault(school, name) != name:
            raise OptionError(
                f"'locks': school '{school}' is locked to '{locks[school]}' by this server's spec "
                "(--lock or scorecard.json); lock it there, or restart feeder serve with another --lock"
            )
    return DesignRequest(spec=replace(spec, locks=tuple(sorted(locks.items()))), seed=seed)


def integer(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise OptionError(f"'{name}' must be a whole number, not {value!r}")
    return value


def number(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise OptionError(f"'{name}' must be a finite number, not {value!r}")
    return float(value)


def read_locks(locks: Any, district: District) -> dict[str, str]:
    """{school_id: portfolio}: every id a school of the district (an id that lost its leading zeros
    matched back, as in a locks file), every name non-empty text."""
    if not isinstance(locks, dict):
        raise OptionError("'locks' must be an object mapping school ids to portfolio names")
    written = pd.Series(list(locks), dtype=object)
    matched, _ = match_lost_zeros(written, district.ids)
    known = set(district.ids)
    result: dict[str, str] = {}
    for school, id_written, portfolio in zip(matched, written, locks.values(), strict=True):
        if school not in known:
            raise OptionError(f"'locks': '{id_written}' is not a school of the district")
        if not isinstance(portfolio, str) or not portfolio.strip():
            raise OptionError(f"'locks': school '{id_written}' needs a portfolio name (text)")
        if result.setdefault(school, portfolio.strip()) != portfolio.strip():
            raise OptionError(f"'locks': school '{school}' is locked twice, to different portfolios")
    return result
