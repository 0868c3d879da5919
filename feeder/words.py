"""Program tags in words a family reads: `dual_language:spanish` → "Dual language: Spanish".

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
