"""Feeder diagrams: elementary → middle → high columns with bands as wide as the students who move.

Drawn as plotly Sankey figures. A cohort's diagram shows its own schools; schools of
other portfolios at the far end of its flows are gathered into one node per level, and
students leaving the district into one more. The district's diagram has one node per
portfolio and level, so flows that cross portfolio lines show as bands between colours.

Every node is placed in its level's column (elementary, middle, high; leaving the district at the right)
and spaced so no two labels of a column overlap: plotly's own layout puts a node by its links, so
"Other portfolios: middle", which sends nothing on, landed in the high-school column.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import pandas as pd
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
COLUMNS = {"elementary": 0.001, "middle": 0.42, "high": 0.999}  # plotly ignores a node at x 0; middle
# left of centre, as its labels run right towards the high schools' labels, which run left
MARGIN = {"l": 8, "r": 8, "t": 44, "b": 8}
PAD_PX = 12  # between nodes: more than a label's height at FONT's size, so no two labels of a column meet


def stage(grade_hi: float | None) -> str:
    """The diagram column of a school: where its top grade puts it (K-8 with middle, 6-12 with high)."""
    if grade_hi is None or pd.isna(grade_hi):  # missing grades (a span school's are not implied by its level)
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

    def node(school: str) -> Node:
        if school == OUTSIDE:
            return LEFT_DISTRICT, OUTSIDE_COLOUR, "high"
        if school in members:
            return name[school], LEVEL_COLOURS[column[school]], column[school]
        return f"Other portfolios: {column[school]}", OUTSIDE_COLOUR, column[school]

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

    def node(school: str) -> Node:
        if school == OUTSIDE:
            return LEFT_DISTRICT, OUTSIDE_COLOUR, "high"
        return f"{where[school]} · {column[school]}", colour[where[school]], column[school]

    links = [(node(a), node(b), float(n)) for a, b, n in plan.district.flows.itertuples(index=False)]
    return sankey(
        links,
        title="Students moving up, by portfolio and level",
        height=max(420, 26 * len(colour)),
        privacy=privacy_of(plan.district),
    )


Node = tuple[str, str, str]  # label, colour, column (a level)


def sankey(
    links: list[tuple[Node, Node, float]],
    *,
    title: str,
    privacy: Privacy,
    height: int = 300,
) -> go.Figure:
    """A Sankey of (source node, target node, students) with nodes (label, colour); repeated pairs summed.

    Under the privacy rule a band's hover shows its published count ("<10" or rounded) and its width
    holds only that (min_cell / 2 for a suppressed band), so the page's data hold no exact count.
    """
    nodes: dict[str, tuple[str, str]] = {}
    totals: dict[tuple[str, str], float] = {}
    for (source, *source_look), (target, *target_look), students in links:
        nodes.setdefault(source, (source_look[0], source_look[1]))
        nodes.setdefault(target, (target_look[0], target_look[1]))
        totals[(source, target)] = totals.get((source, target), 0.0) + students
    index = {label: i for i, label in enumerate(nodes)}
    shown = [privacy.published(v) for v in totals.values()]
    widths = [privacy.min_cell / 2 if isinstance(v, str) else round(v, 1) for v in shown]
    bands = [(index[s], index[t], w) for (s, t), w in zip(totals, widths, strict=True)]
    columns = [column for _, column in nodes.values()]
    grey = [colour == OUTSIDE_COLOUR for colour, _ in nodes.values()]
    labels = list(nodes)
    order = sorted(range(len(nodes)), key=lambda i: (grey[i], labels[i]))  # schools A-Z, then the rest
    height, ys = placed(columns, bands, order=order, height=height)
    figure = go.Figure(
        go.Sankey(
            arrangement="snap",
            valueformat=",.0f",
            valuesuffix=" students",
            node={
                "label": list(nodes),
                "color": [colour for colour, _ in nodes.values()],
                "pad": PAD_PX,
                "thickness": 12,
                "align": "left",
                "x": [COLUMNS[column] for column in columns],
                "y": ys,
            }
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
        margin=MARGIN,
        template="none",
        annotations=[
            {
                "x": COLUMNS[level],
                "y": 1,
                "yanchor": "bottom",
                "xref": "paper",
                "yref": "paper",
                "text": level,
                "showarrow": False,
                "xanchor": "left" if level == "elementary" else "right" if level == "high" else "center",
                "font": {"color": "#666666"},
            }
            for level in COLUMNS
            if level in columns
        ],
    )
    return figure


def placed(
    columns: list[str], bands: list[tuple[int, int, float]], *, order: list[int], height: int
) -> tuple[int, list[float]]:
    """The figure's height and each node's vertical centre (0 top, 1 bottom), nodes stacked PAD_PX apart
    in their column in `order`, each column centred. Node heights are plotly's: students times the scale
    its own layout picks (`scale`). The height first leaves the pads room, then grows while that makes the
    tallest column fit better (a column holding more students than any of plotly's own stays too tall:
    plotly then stacks its nodes on past the bottom, still apart)."""
    students = values(len(columns), bands)
    crowded = max(columns.count(level) for level in COLUMNS)
    height = max(height, MARGIN["t"] + MARGIN["b"] + (crowded - 1) * PAD_PX + 8 * crowded)
    deficit = math.inf
    while True:
        inner = height - MARGIN["t"] - MARGIN["b"]
        size = [value * scale(students, bands, inner) for value in students]
        centres = [0.0] * len(columns)
        needed = 0.0
        for level in COLUMNS:
            top = -float(PAD_PX)
            members = [i for i in order if columns[i] == level]
            for i in members:
                centres[i] = top + PAD_PX + size[i] / 2
                top += PAD_PX + size[i]
            needed = max(needed, top)
            for i in members:
                centres[i] += max(0.0, (inner - top) / 2)
        if needed <= inner or needed - inner >= deficit:
            return height, [round(max(centre / inner, 0.001), 4) for centre in centres]
        deficit = needed - inner
        height += int(deficit) + 1


def values(count: int, bands: Iterable[tuple[int, int, float]]) -> list[float]:
    """Each node's students: the larger of what flows in and what flows out (as plotly sizes it)."""
    into, out = [0.0] * count, [0.0] * count
    for source, target, width in bands:
        out[source] += width
        into[target] += width
    return [max(a, b) for a, b in zip(into, out, strict=True)]


def scale(sizes: list[float], bands: list[tuple[int, int, float]], inner: float) -> float:
    """Pixels per student in plotly's drawing: d3-sankey's, from the columns its own layout gives
    (node.align "left": a node's column is its longest chain of incoming bands), each column's students
    and pads fitting the plot's height."""
    depth = [0] * len(sizes)
    for _ in range(len(sizes)):
        for source, target, _ in bands:
            depth[target] = max(depth[target], depth[source] + 1)
    return min(
        (inner - (depth.count(column) - 1) * PAD_PX)
        / sum(sizes[i] for i in range(len(sizes)) if depth[i] == column)
        for column in set(depth)
    )


def figure_div(figure: go.Figure, div_id: str) -> str:
    """The figure as an HTML fragment that uses the plotly.min.js shipped beside the page."""
    return figure.to_html(
        full_html=False,
        include_plotlyjs=False,
        div_id=div_id,
        config={"displayModeBar": False, "responsive": True},
    )
