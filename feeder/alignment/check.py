"""Checking program alignment student by student along the feeder flows.

Each flow between district schools is checked against each rule family that applies to
it (flows to OUT never are): a `continue` family applies when the sender carries it, a
`match` family to every flow. One row per (flow, family, sender value) records the
students and a status; every summary is a sum of those rows, so the report, the map
layer and the designer's weights all count the same students.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from feeder.alignment.rules import Family, Rules, default_rules
from feeder.alignment.suggest import suggestions
from feeder.alignment.tags import Programs, school_programs
from feeder.district import District
from feeder.graph import FeederGraph
from feeder.plan import Plan

GOOD = {"continue": "continued", "match": "aligned"}
BAD = {"continue": "broken", "match": "misaligned"}
COLUMNS = ["from_id", "to_id", "family", "value_from", "value_to", "students", "status"]


@dataclass(frozen=True)
class AlignmentResult:
    """The per-flow table and its summaries.

    table: one row per (flow, family, sender value), sorted by from_id, to_id, family,
        value_from; columns COLUMNS plus pattern (the sender's feeder pattern head, ""
        when unattached) and, when a plan is known, portfolio_from, portfolio_to.
    families: family → student totals by status and the rate (see `tally`).
    patterns / portfolios: the same per sending school's pattern / portfolio, with its breaks.
    suggestions: one per broken row, largest first (see feeder.alignment.suggest).
    """

    district: District
    rules: Rules
    plan: Plan | None
    table: pd.DataFrame
    families: dict[str, dict[str, Any]]
    patterns: list[dict[str, Any]]
    portfolios: list[dict[str, Any]] | None
    suggestions: list[dict[str, Any]]


def check_alignment(
    district: District, plan: Plan | None = None, *, rules: Rules | None = None
) -> AlignmentResult:
    """Check every district flow against the rules (default rules when None).

    Without a plan, the district's current `portfolio` column is used when every school
    has one; otherwise there is no per-portfolio view.
    """
    rules = rules or default_rules()
    if plan is None and district.has_current_plan:
        plan = Plan.current(district)
    programs = school_programs(district, rules)
    table = flow_rows(district, rules, programs)
    pattern = FeederGraph(district).pattern_of()
    table.insert(len(COLUMNS), "pattern", table["from_id"].map(lambda school: pattern[school] or ""))
    if plan is not None:
        assignment = plan.assignment
        table["portfolio_from"] = table["from_id"].map(assignment)
        table["portfolio_to"] = table["to_id"].map(assignment)
    return AlignmentResult(
        district=district,
        rules=rules,
        plan=plan,
        table=table,
        families=tally(table, rules),
        patterns=grouped(table, rules, "pattern", district),
        portfolios=grouped(table, rules, "portfolio_from", district) if plan is not None else None,
        suggestions=suggestions(district, rules, programs, breaks(table)),
    )


def flow_rows(district: District, rules: Rules, programs: dict[str, Programs]) -> pd.DataFrame:
    """The per-(flow, family, value) table, sorted for byte-stable output."""
    flows = district.internal_flows()
    rows = [
        row
        for sender, receiver, students in zip(
            flows["from_id"], flows["to_id"], flows["students"], strict=True
        )
        for family in rules.families
        for row in family_rows(family, sender, receiver, float(students), programs)
    ]
    table = pd.DataFrame(rows, columns=COLUMNS).astype({"students": float})
    order = ["from_id", "to_id", "family", "value_from"]
    return table.sort_values(order, kind="stable").reset_index(drop=True)


def family_rows(
    family: Family, sender: str, receiver: str, students: float, programs: dict[str, Programs]
) -> list[tuple]:
    """Rows one family contributes for one flow (none when a continue family is absent at the sender)."""
    sent = programs[sender].get(family.name, frozenset())
    received = programs[receiver].get(family.name, frozenset())
    if family.kind == "match":
        value_from, value_to = next(iter(sent), ""), next(iter(received), "")
        status = match_status(value_from, value_to)
        return [(sender, receiver, family.name, value_from, value_to, students, status)]
    shown = ";".join(sorted(value for value in received if value))
    return [
        (sender, receiver, family.name, value, shown, students, continue_status(family, value, received))
        for value in sorted(sent)
    ]


def continue_status(family: Family, value: str, received: frozenset[str]) -> str:
    return GOOD["continue"] if family.continues(value, received) else BAD["continue"]


def match_status(value_from: str, value_to: str) -> str:
    if not (value_from and value_to):
        return "unknown"
    return GOOD["match"] if value_from == value_to else BAD["match"]


def tally(table: pd.DataFrame, rules: Rules) -> dict[str, dict[str, Any]]:
    """Per family: students checked, by status, and the rate good ÷ (good + bad).

    `unknown` students (match only) are reported but left out of the rate, since nothing
    is known about them; the rate is None when no students were judged.
    """
    totals = table.groupby(["family", "status"])["students"].sum()
    result = {}
    for family in rules.families:
        good, bad = GOOD[family.kind], BAD[family.kind]
        counts = {status: float(totals.get((family.name, status), 0.0)) for status in (good, bad)}
        unknown = float(totals.get((family.name, "unknown"), 0.0))
        entry: dict[str, Any] = {"kind": family.kind, "students": sum(counts.values()) + unknown} | counts
        if family.kind == "match":
            entry["unknown"] = unknown
        judged = counts[good] + counts[bad]
        entry["rate"] = counts[good] / judged if judged else None
        result[family.name] = entry
    return result


def grouped(table: pd.DataFrame, rules: Rules, column: str, district: District) -> list[dict[str, Any]]:
    """The family tally per value of `column` (sender's pattern or portfolio), with its breaks.

    Breaks (broken and misaligned rows) are listed largest first so an administrator reads
    the ones in their own cohort first.
    """
    names = dict(zip(district.schools["school_id"], district.schools["name"], strict=True))
    key = "pattern" if column == "pattern" else "portfolio"
    result = []
    for group, rows in table.groupby(column, sort=True):
        entry: dict[str, Any] = {key: group or None}
        if key == "pattern":
            entry["name"] = names.get(group)
        entry["families"] = tally(rows, rules)
        entry["breaks"] = breaks(rows).to_dict("records")
        result.append(entry)
    return result


def breaks(table: pd.DataFrame) -> pd.DataFrame:
    """Broken and misaligned rows, largest first (ties by ids for a stable order)."""
    bad = table[table["status"].isin(BAD.values())]
    ordered = bad.sort_values(
        ["students", "from_id", "to_id", "family", "value_from"], ascending=[False, True, True, True, True]
    )
    return ordered[COLUMNS].reset_index(drop=True)


def broken_edges(result: AlignmentResult) -> pd.DataFrame:
    """Broken continuations for the map layer: from_id, to_id, students, family, value_from."""
    table = result.table
    broken = table[table["status"] == BAD["continue"]]
    return broken[["from_id", "to_id", "students", "family", "value_from"]].reset_index(drop=True)


def pathway_weights(district: District, rules: Rules | None = None) -> pd.Series:
    """Students on each internal flow (rows of `district.internal_flows()`) whose program continues.

    A flow counts once, with all its students, when any continue family carries on along
    it. The designer adds W * this to the flow weights it keeps inside portfolios, so a
    larger W trades plain cohesion for keeping program pathways (a dual-language
    elementary and the middle school continuing it) within one administrator's cohort.
    """
    rules = rules or default_rules()
    flows = district.internal_flows()
    table = flow_rows(district, rules, school_programs(district, rules))
    continued = table.loc[table["status"] == GOOD["continue"], ["from_id", "to_id"]]
    on_pathway = pd.MultiIndex.from_frame(flows[["from_id", "to_id"]]).isin(
        pd.MultiIndex.from_frame(continued)
    )
    return flows["students"].where(on_pathway, 0.0).rename("pathway_students")
