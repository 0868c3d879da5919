"""Feeder diagrams: elementary → middle → high columns with bands as wide as the students who move.

Drawn as plotly Sankey figures. A cohort's diagram shows its own schools; schools of
other portfolios at the far end of its flows are gathered into one node per level, and
students leaving the district into one more. The district's diagram has one node per
portfolio and level, so flows that cross portfolio lines show as bands between colours.
"""

from __future__ import annotations

import plotly.graph_objects as go

from feeder.io.schools import OUTSIDE
from feeder.maps.colors import plan_colours
from feeder.plan import Plan
from feeder.privacy import Privacy, privacy_of

LEVEL_COLOURS = {"elementary": "#4c9be8", "middle": "#f0a030", "high": "#c0392b"}
OUTSIDE_COLOUR = "#b8b8b8"
LEFT_DISTRICT = "Leaves the district"
LINK_HOVER = "%{source.label} → %{target.label}: %{customdata} students<extra></extra>"
FONT = {"family": "Helvetica, Arial, sans-serif", "size": 10}


def stage(grade_hi: float | None) -> str:
    """The diagram column of a school: where its top grade puts it (K-8 with middle, 6-12 with high)."""
    if grade_hi is None or grade_hi != grade_hi:  # missing grades: NA or NaN
        return "middle"
    return "elementary" if grade_hi <= 5 else "middle" if grade_hi <= 8 else "high"


def cohort_sankey(plan: Plan, portfolio: str) -> go.Figure:
    """The flows of one portfolio's schools, its neighbours gathered per level."""
    schools = plan.district.schools
    members = set(schools.loc[plan.labels == portfolio, "school_id"])
    name = dict(zip(schools["school_id"], schools["name"], strict=True))
    column = {s: stage(g) for s, g in zip(schools["school_id"], schools["grade_hi"], strict=True)}
    flows = plan.district.flows
    touching = flows[flows["from_id"].isin(members) | flows["to_id"].isin(members)]

    def node(school: str) -> tuple[str, str]:
        if school == OUTSIDE:
            return LEFT_DISTRICT, OUTSIDE_COLOUR
        if school in members:
            return name[school], LEVEL_COLOURS[column[school]]
        return f"Other portfolios: {column[school]}", OUTSIDE_COLOUR

    links = [(node(a), node(b), float(n)) for a, b, n in touching.itertuples(index=False)]
    return sankey(
        links, title=f"{portfolio}: students moving up, by school", privacy=privacy_of(plan.district)
    )


def district_sankey(plan: Plan) -> go.Figure:
    """Flows between (portfolio, level) groups across the whole district."""
    schools = plan.district.schools
    where = dict(zip(schools["school_id"], plan.labels, strict=True))
    column = {s: stage(g) for s, g in zip(schools["school_id"], schools["grade_hi"], strict=True)}
    colour = plan_colours(plan)

    def node(school: str) -> tuple[str, str]:
        if school == OUTSIDE:
            return LEFT_DISTRICT, OUTSIDE_COLOUR
        return f"{where[school]} · {column[school]}", colour[where[school]]

    links = [(node(a), node(b), float(n)) for a, b, n in plan.district.flows.itertuples(index=False)]
    return sankey(
        links,
        title="Students moving up, by portfolio and level",
        height=max(420, 26 * len(colour)),
        privacy=privacy_of(plan.district),
    )


def sankey(
    links: list[tuple[tuple[str, str], tuple[str, str], float]],
    *,
    title: str,
    privacy: Privacy,
    height: int = 300,
) -> go.Figure:
    """A Sankey of (source node, target node, students) with nodes (label, colour); repeated pairs summed.

    Under the privacy rule a band's hover shows its published count ("<10" or rounded) and its width
    holds only that (min_cell / 2 for a suppressed band), so the page's data hold no exact count.
    """
    nodes: dict[str, str] = {}
    totals: dict[tuple[str, str], float] = {}
    for (source, source_colour), (target, target_colour), students in links:
        nodes.setdefault(source, source_colour)
        nodes.setdefault(target, target_colour)
        totals[(source, target)] = totals.get((source, target), 0.0) + students
    index = {label: i for i, label in enumerate(nodes)}
    shown = [privacy.published(v) for v in totals.values()]
    widths = [privacy.min_cell / 2 if isinstance(v, str) else round(v, 1) for v in shown]
    figure = go.Figure(
        go.Sankey(
            arrangement="snap",
            valueformat=",.0f",
            valuesuffix=" students",
            node={"label": list(nodes), "color": list(nodes.values()), "pad": 6, "thickness": 12}
            | (
                {"hovertemplate": "%{label}: about %{value:,.0f} students<extra></extra>"}
                if privacy.active
                else {}
            ),
            link={
                "source": [index[s] for s, _ in totals],
                "target": [index[t] for _, t in totals],
                "value": widths,
                "color": "rgba(120,120,120,0.28)",
            }
            | (
                {"customdata": [privacy.text(v) for v in totals.values()], "hovertemplate": LINK_HOVER}
                if privacy.active
                else {}
            ),
        )
    )
    figure.update_layout(
        title={"text": title, "font": {"size": 12}},
        font=FONT,
        height=height,
        margin={"l": 8, "r": 8, "t": 30, "b": 8},
        template="none",
    )
    return figure


def figure_div(figure: go.Figure, div_id: str) -> str:
    """The figure as an HTML fragment that uses the plotly.min.js shipped beside the page."""
    return figure.to_html(
        full_html=False,
        include_plotlyjs=False,
        div_id=div_id,
        config={"displayModeBar": False, "responsive": True},
    )
