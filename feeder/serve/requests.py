"""Reading a re-design request: JSON options by their CLI names, checked like the CLI checks them."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import pandas as pd

from feeder.district import District
from feeder.errors import OptionError
from feeder.io.idmatch import match_lost_zeros
from feeder.spec import DesignSpec

INTEGERS = ("min_size", "max_size", "k", "seed", "max_high_schools")
NUMBERS = ("stability", "balance", "max_enrollment")
FLAGS = ("within_region", "contiguous")
KNOWN = ("locks", *INTEGERS, *NUMBERS, *FLAGS)


@dataclass(frozen=True)
class DesignRequest:
    """What the page asked for: the spec (locks included) and the seed."""

    spec: DesignSpec
    seed: int


def option_name(key: str) -> str:
    """'--min-size', 'min-size' and 'min_size' all name one option."""
    return key.strip().lstrip("-").replace("-", "_")


def parse_design_request(body: Any, district: District) -> DesignRequest:
    """The request's spec; OptionError (→ HTTP 400) naming the first bad field."""
    if not isinstance(body, dict):
        raise OptionError("the request body must be a JSON object of design options")
    options = {option_name(str(key)): value for key, value in body.items()}
    unknown = sorted(set(options) - set(KNOWN))
    if unknown:
        raise OptionError(f"unknown option '{unknown[0]}' (known: {', '.join(KNOWN)})")
    values: dict[str, Any] = {}
    for name in INTEGERS:
        if options.get(name) is not None:
            values[name] = integer(name, options[name])
    for name in NUMBERS:
        if options.get(name) is not None:
            values[name] = number(name, options[name])
    for name in FLAGS:
        if name in options:
            if not isinstance(options[name], bool):
                raise OptionError(f"'{name}' must be true or false")
            values[name] = options[name]
    locks = read_locks(options.get("locks", {}), district)
    seed = values.pop("seed", 0)
    return DesignRequest(spec=DesignSpec(**values, locks=tuple(sorted(locks.items()))), seed=seed)


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
