"""What `feeder align` writes and prints: alignment.csv, alignment.json and a short summary.

Files are rendered to strings here (the command writes them atomically); the same result
always renders to the same bytes.
"""

from __future__ import annotations

import json

from rich.console import Console

from feeder.alignment.check import BAD, COLUMNS, GOOD, AlignmentResult
from feeder.plan import rounded
from feeder.privacy import Privacy, privacy_of

TOP_BREAKS = 10
# Student counts in alignment.json; each passes the privacy rule, and so does each rate (see `rates`).
COUNT_KEYS = frozenset(
    {"students", "continued", "broken", "aligned", "misaligned", "unknown", "opening_at_receiver_serves"}
)


def alignment_csv(result: AlignmentResult) -> str:
    """One row per (flow, family, sender value), ids followed by the schools' names so the table
    reads on its own; portfolio columns when a plan is known."""
    columns = COLUMNS + (["portfolio_from", "portfolio_to"] if result.plan is not None else [])
    table = result.table[columns].copy()
    schools = result.district.schools
    name_of = dict(zip(schools["school_id"], schools["name"], strict=True))
    table.insert(1, "from_name", table["from_id"].map(name_of))
    table.insert(3, "to_name", table["to_id"].map(name_of))
    privacy = privacy_of(result.district)
    if privacy.active:
        table = table.assign(students=[privacy.published(n) for n in table["students"]])
    return table.to_csv(index=False, lineterminator="\n", float_format="%.10g")


def alignment_json(result: AlignmentResult) -> str:
    """Totals per family, per feeder pattern and per portfolio, and the suggestions."""
    document = {
        "district": result.district.name,
        "rules": result.rules.source,
        "plan": result.plan.provenance.source if result.plan is not None else None,
        "flows_checked": int(result.table[["from_id", "to_id"]].drop_duplicates().shape[0]),
        "families": result.families,
        "patterns": result.patterns,
        "portfolios": result.portfolios,
        "suggestions": result.suggestions,
    }
    privacy = privacy_of(result.district)
    published = privacy.publish(rounded(rates(document, privacy)), keys=COUNT_KEYS)
    return json.dumps(published, indent=2, ensure_ascii=False) + "\n"


def rates(document: object, privacy: Privacy) -> object:
    """The document with every tally's rate as the privacy rule lets it be shown (Privacy.rate)."""
    if isinstance(document, list):
        return [rates(item, privacy) for item in document]
    if not isinstance(document, dict):
        return document
    found = {key: rates(item, privacy) for key, item in document.items()}
    if "rate" in document and "kind" in document:
        found["rate"] = privacy.rate(document[GOOD[document["kind"]]], document[BAD[document["kind"]]])
    return found


NO_PROGRAMS = (
    "no school lists a program (the `programs` column of schools.csv, docs/FORMAT.md): nothing to check"
)


def summary_lines(result: AlignmentResult) -> list[str]:
    """Readable lines: one per family, then the largest broken continuations (one line when no school
    lists a program: a line per family saying it applies to no one was noise)."""
    if lists_no_program(result):
        return [NO_PROGRAMS]
    lines = [family_line(result, name, entry) for name, entry in result.families.items()]
    top = result.suggestions[:TOP_BREAKS]
    if top:
        lines += ["", f"Largest breaks ({len(top)} of {len(result.suggestions)}):"]
        lines += [f"  {break_line(result, suggestion)}" for suggestion in top]
    return lines


def lists_no_program(result: AlignmentResult) -> bool:
    """Whether no school of the district lists a program: then no pathway can break, or be checked."""
    return bool((result.district.schools["programs"].astype(str).str.strip() == "").all())


def family_line(result: AlignmentResult, name: str, entry: dict) -> str:
    """'dual language: 1,234 of 5,678 students continued (21.7%), 4,444 broken'."""
    label = result.rules[name].describe("")
    good, bad = ("continued", "broken") if entry["kind"] == "continue" else ("aligned", "misaligned")
    if not entry["students"]:
        return f"{label}: no students on flows it applies to"
    privacy = privacy_of(result.district)
    rate = privacy.rate(entry[good], entry[bad])
    shown = privacy.text
    rate_text = "" if rate is None else f" ({rate:.0%})" if privacy.active else f" ({rate:.1%})"
    judged = entry[good] + entry[bad]
    line = f"{label}: {shown(entry[good])} of {shown(judged)} students {good}{rate_text}, {shown(entry[bad])} {bad}"
    return line + (f", {shown(entry['unknown'])} unknown" if entry.get("unknown") else "")


def break_line(result: AlignmentResult, suggestion: dict) -> str:
    """'184 students leave Spanish dual language at Alpha ES for Beta MS, which has none; nearest ...'."""
    family = result.rules[suggestion["family"]]
    has = suggestion["receiver_has"]
    offered = " and ".join(family.describe(value) for value in has.split(";")) if has else ""
    shown = privacy_of(result.district).text
    line = (
        f"{shown(suggestion['students'])} students leave {suggestion['program']} at {suggestion['from_name']} "
        f"for {suggestion['to_name']}, which has {'only ' + offered if offered else 'none'}; "
    )
    nearest = suggestion["nearest"]
    if nearest is None:
        line += "no other school that could take them offers it"
    else:
        line += f"nearest {nearest['level']} school with it: {nearest['name']}, {nearest['km']:.1f} km"
    if suggestion["opening_at_receiver_serves"] > suggestion["students"]:
        line += f" (opening it there would serve {shown(suggestion['opening_at_receiver_serves'])})"
    return line


def print_summary(result: AlignmentResult, console: Console | None = None) -> None:
    """Print the summary lines (school names are printed as-is, never as markup)."""
    console = console or Console(highlight=False)
    console.print(
        f"Alignment of {result.district.name} (rules: {result.rules.source})", style="bold", markup=False
    )
    for line in summary_lines(result):
        console.print(line, markup=False, soft_wrap=True)
