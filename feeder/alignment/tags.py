"""Program tags of the `programs` column, parsed and validated against the district file.

A tag is `family:value` or a bare `family` (value ""). Malformed tags are refused with the
schools file, row and column 'programs', because a typo like `dual_language:` would
otherwise silently read as "no program" and show up as a break.
"""

from __future__ import annotations

from feeder.alignment.rules import FAMILY_NAME, Rules
from feeder.district import District
from feeder.errors import at
from feeder.io.schools import SCHOOL_FILES

Programs = dict[str, frozenset[str]]
"""One school's programs: family → the values it carries ("" for a bare tag)."""


def school_programs(district: District, rules: Rules) -> dict[str, Programs]:
    """school_id → its programs, refusing the first malformed tag or doubled match value."""
    source = schools_file(district)
    ids = district.schools["school_id"]
    programs = {}
    for position, (school, cell) in enumerate(zip(ids, district.schools["programs"], strict=True)):
        parsed = parse_programs(cell, source, position, school)
        for family in rules.families:
            if family.kind == "match":
                check_single_value(parsed, family.name, source, position, school)
        programs[school] = parsed
    return programs


def parse_programs(cell: str, source: str, position: int, school: str) -> Programs:
    """Parse one `programs` cell; empty segments (a trailing `;`) are tolerated."""
    found: dict[str, set[str]] = {}
    for raw in str(cell).split(";"):
        tag = raw.strip().lower()
        if not tag:
            continue
        family, _, value = (part.strip() for part in tag.partition(":"))
        problem = tag_problem(tag, family, value)
        if problem:
            raise at(
                source,
                f"school '{school}': tag '{raw.strip()}' {problem}",
                row=position + 2,
                column="programs",
            )
        found.setdefault(family, set()).add(value)
    return {family: frozenset(values) for family, values in found.items()}


def tag_problem(tag: str, family: str, value: str) -> str:
    """Why a tag is malformed, or "" when it is fine."""
    if not family:
        return "has no family (write family:value, e.g. dual_language:spanish)"
    if not FAMILY_NAME.fullmatch(family):
        return f"has a bad family '{family}' (lower-case letters, digits, _ or -, starting with a letter)"
    if ":" in tag and not value:
        return "has an empty value (write family:value, or the bare family)"
    if ":" in value:
        return "has more than one ':' (write family:value)"
    return ""


def schools_file(district: District) -> str:
    """Name of the file the schools were read from (row numbers refer to it)."""
    return next((name for name in SCHOOL_FILES if (district.path / name).exists()), "schools.csv")


def check_single_value(programs: Programs, family: str, source: str, position: int, school: str) -> None:
    """A match family needs exactly one value per school that carries it."""
    values = programs.get(family, frozenset())
    if "" in values:
        raise at(
            source,
            f"school '{school}': match family '{family}' needs a value ({family}:VALUE)",
            row=position + 2,
            column="programs",
        )
    if len(values) > 1:
        raise at(
            source,
            f"school '{school}' carries {len(values)} values of match family '{family}' "
            f"({', '.join(sorted(values))}); give it one",
            row=position + 2,
            column="programs",
        )
