"""Words a planner reads: counts with their nouns ("1 school", "23 schools"), and program tags
as a family reads them: `dual_language:spanish` → "Dual language: Spanish".

Tags are `family:value` (see the alignment rules); families with a usual English
phrasing get it ("STEM magnet"), any other reads as "Family name: Value".
"""

from __future__ import annotations

ACRONYMS = {"ap", "cte", "esl", "gate", "ib", "jrotc", "stem", "steam", "ell", "av", "it"}
FAMILIES = {
    "ib": "International Baccalaureate (IB)",
    "dual_language": "Dual language",
    "linked_learning": "Linked Learning",
}
SUFFIXED = {"magnet": "magnet", "academy": "academy"}  # "<Value> magnet"


def words(text: str, *, capital: bool = True) -> str:
    """snake_case → words, acronyms in capitals, the first word capitalised when asked."""
    parts = [p for p in text.replace("-", "_").split("_") if p]
    out = [p.upper() if p.lower() in ACRONYMS else p.lower() for p in parts]
    if capital and out and not out[0].isupper():
        out[0] = out[0].capitalize()
    return " ".join(out)


def program_name(tag: str) -> str:
    """One program tag in words."""
    family, _, value = (part.strip() for part in tag.strip().partition(":"))
    family = family.lower()
    if not value:
        return FAMILIES.get(family, words(family))
    if family in SUFFIXED:
        return f"{words(value)} {SUFFIXED[family]}"
    return f"{FAMILIES.get(family, words(family))}: {words(value)}"


def counted(n: int, noun: str) -> str:
    """'1 school', '23 schools' (the noun's plural is its -s form)."""
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


def plan_shape(card: dict) -> str:
    """'8 portfolios of 12-24 schools', '1 portfolio of 23 schools': a scorecard's count and sizes."""
    sizes = (
        f"{card['smallest']}"
        if card["smallest"] == card["largest"]
        else f"{card['smallest']}-{card['largest']}"
    )
    return f"{counted(card['n_portfolios'], 'portfolio')} of {sizes} schools"
