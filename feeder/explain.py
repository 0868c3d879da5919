"""Why a school sits in its portfolio: where its students come from and go, and how far it is.

Plain data for the terminal (`feeder explain`) and for map popups: for one school of a
plan, its flows with district schools by portfolio (students and shares, in and out),
how many of its students stay inside its portfolio against the pull of each other one,
and the distance to its meeting site against the nearest other portfolio's.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from functools import partial
from typing import Any

import numpy as np
import pandas as pd

from feeder import metrics
from feeder.constraints import violations
from feeder.errors import OptionError
from feeder.geo import haversine_km
from feeder.io.idmatch import match_lost_zeros
from feeder.plan import Plan
from feeder.privacy import Privacy, privacy_of, shown_cohesion

COUNTS = ("students_in", "students_out")


@dataclass(frozen=True, kw_only=True)
class PortfolioFlow:
    """A school's flows with the schools of one portfolio (students in district flows)."""

    portfolio: str
    students_in: float
    students_out: float
    share_in: float | None  # None when the school receives (or sends) no one: no share to speak of
    share_out: float | None

    @property
    def students(self) -> float:
        return self.students_in + self.students_out


@dataclass(frozen=True, kw_only=True)
class SchoolExplanation:
    """One school's place in a plan; `as_dict()` is JSON-ready for a map popup."""

    school_id: str
    name: str
    portfolio: str
    students_in: float
    students_out: float
    flows: list[PortfolioFlow]
    meeting_site: str
    meeting_site_name: str
    km_to_meeting_site: float
    nearest_other_portfolio: str | None
    nearest_other_site: str | None
    nearest_other_site_name: str | None
    km_to_nearest_other_site: float | None
    reasons: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def published(self, privacy: Privacy) -> dict[str, Any]:
        """as_dict() as an output may show it: under the privacy rule, counts published and shares
        dropped (None), since a share of an exact total would reveal a small count."""
        document = self.as_dict()
        if not privacy.active:
            return document
        flows = [
            {
                **flow,
                **{key: privacy.published(flow[key]) for key in COUNTS},
                "share_in": None,
                "share_out": None,
            }
            for flow in document["flows"]
        ]
        return {**document, **{key: privacy.published(document[key]) for key in COUNTS}, "flows": flows}


def explain_school(plan: Plan, school_id: str) -> SchoolExplanation:
    """The explanation of one school; refused in one line when the id is not a school of the district."""
    matched, _ = match_lost_zeros(pd.Series([school_id.strip()], dtype=object), plan.district.ids)
    school = str(matched.iloc[0])
    if school not in set(plan.district.ids):
        raise OptionError(
            f"SCHOOL_ID '{school_id}' is not a school of {plan.district.name}; use a school_id of schools.csv"
        )
    return explain_schools(plan, only=[school])[school]


def explain_schools(plan: Plan, *, only: list[str] | None = None) -> dict[str, SchoolExplanation]:
    """Explanations of every school (or of `only`), sharing the plan-wide work (meeting sites)."""
    district, labels = plan.district, plan.labels
    ids = np.asarray(district.ids, dtype=object)
    names = district.schools["name"].to_numpy(dtype=object)
    lat, lon = district.schools["lat"].to_numpy(dtype=float), district.schools["lon"].to_numpy(dtype=float)
    sender, receiver, students = district.flow_positions
    privacy = privacy_of(district)
    sites = metrics.medoids(district, labels)
    site_list = sorted(sites)
    site_positions = np.array([sites[name] for name in site_list])
    wanted = range(len(ids)) if only is None else [district.ids.index(school) for school in only]
    baseline = Baseline(broken=frozenset(plan.violations()), cohesion=shown_cohesion(district, labels))
    result = {}
    for i in wanted:
        own = str(labels[i])
        incoming = by_portfolio(labels[sender[receiver == i]], students[receiver == i])
        outgoing = by_portfolio(labels[receiver[sender == i]], students[sender == i])
        total_in, total_out = sum(incoming.values()), sum(outgoing.values())
        flows = [
            PortfolioFlow(
                portfolio=name,
                students_in=incoming.get(name, 0.0),
                students_out=outgoing.get(name, 0.0),
                share_in=incoming.get(name, 0.0) / total_in if total_in else None,
                share_out=outgoing.get(name, 0.0) / total_out if total_out else None,
            )
            for name in sorted(set(incoming) | set(outgoing))
        ]
        flows.sort(key=lambda flow: (flow.portfolio != own, -flow.students, flow.portfolio))
        distance = haversine_km(lat[i], lon[i], lat[site_positions], lon[site_positions])
        others = [j for j, name in enumerate(site_list) if name != own]
        nearest = min(others, key=lambda j: (distance[j], j)) if others else None
        explanation = SchoolExplanation(
            school_id=str(ids[i]),
            name=str(names[i]),
            portfolio=own,
            students_in=total_in,
            students_out=total_out,
            flows=flows,
            meeting_site=str(ids[sites[own]]),
            meeting_site_name=str(names[sites[own]]),
            km_to_meeting_site=float(distance[site_list.index(own)]),
            nearest_other_portfolio=None if nearest is None else site_list[nearest],
            nearest_other_site=None if nearest is None else str(ids[site_positions[nearest]]),
            nearest_other_site_name=None if nearest is None else str(names[site_positions[nearest]]),
            km_to_nearest_other_site=None if nearest is None else float(distance[nearest]),
        )
        result[str(ids[i])] = with_reasons(
            explanation, privacy=privacy, move=partial(move_check, plan, baseline, i)
        )
    return result


def by_portfolio(portfolios: np.ndarray, students: np.ndarray) -> dict[str, float]:
    """Students summed per portfolio name."""
    totals: dict[str, float] = {}
    for name, count in zip(portfolios, students, strict=True):
        totals[str(name)] = totals.get(str(name), 0.0) + float(count)
    return totals


@dataclass(frozen=True)
class Baseline:
    """What a plan already breaks and its cohesion: computed once, then each move is compared with it."""

    broken: frozenset[str]
    cohesion: float | None


def move_check(plan: Plan, baseline: Baseline, school: int, target: str) -> str:
    """What moving `school` into `target` would do, checked on the plan's own rules: the first
    rule it would break, or the cohesion it would give (a hand-edited plan may well be better
    with the school moved back; saying a rule forbids it there would be false)."""
    labels = plan.labels.copy()
    labels[school] = target
    broken = [
        reason for reason in violations(plan.district, labels, plan.spec) if reason not in baseline.broken
    ]
    if broken:
        return f"moving it there would break a rule: {broken[0]}"
    now, then = baseline.cohesion, shown_cohesion(plan.district, labels)
    if now is None or then is None:
        return "moving it there would break no rule"
    if then < now:
        return f"moving it there breaks no rule but keeps fewer students together (cohesion {now:.4f} → {then:.4f})"
    return f"moving it there breaks no rule and keeps at least as many students together (cohesion {now:.4f} → {then:.4f}): worth considering"


def with_reasons(
    explanation: SchoolExplanation, *, privacy: Privacy, move: Callable[[str], str] | None = None
) -> SchoolExplanation:
    """Add the one or two sentences a planner reads first (counts as the privacy rule shows them);
    `move` says what moving the school to its strongest pull elsewhere would do."""
    own = explanation.portfolio
    total = explanation.students_in + explanation.students_out
    reasons = []
    if total == 0:
        reasons.append("it has no student flows with district schools: only distance and sizes place it")
    else:
        inside = sum(flow.students for flow in explanation.flows if flow.portfolio == own)
        others = [flow for flow in explanation.flows if flow.portfolio != own]
        share = "" if privacy.active else f" ({inside / total:.0%})"
        line = f"{privacy.text(inside)} of its {privacy.text(total)} flow students{share} stay inside {own}"
        if others and privacy.text(inside) == privacy.text(total):  # rounded alike, yet some leave
            line = f"nearly all of its {privacy.text(total)} flow students stay inside {own}"
        if others:
            line += f"; the strongest pull elsewhere is {others[0].portfolio} ({privacy.text(others[0].students)})"
        reasons.append(line)
        if others and others[0].students > inside:
            verdict = move(others[0].portfolio) if move is not None else "moving it there was not checked"
            reasons.append(f"more of its students flow to {others[0].portfolio} than inside {own}: {verdict}")
    if explanation.nearest_other_portfolio is not None:
        reasons.append(
            f"its meeting site, {explanation.meeting_site_name} ({explanation.meeting_site}), is "
            f"{explanation.km_to_meeting_site:.1f} km away; the nearest other one, "
            f"{explanation.nearest_other_site_name} ({explanation.nearest_other_site}, "
            f"{explanation.nearest_other_portfolio}), is {explanation.km_to_nearest_other_site:.1f} km"
        )
    return SchoolExplanation(**{**explanation.__dict__, "reasons": reasons})
