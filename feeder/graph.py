"""FeederGraph: who sends students to whom, and the feeder patterns that follow from it.

Two pandas tables are the representation the algorithms run on (vectorised, so 20,000
schools take about a second): `nodes` (one row per school, indexed by id) and `edges`
(one row per flow between district schools). `to_networkx()` exports the same data as a
`networkx.DiGraph` for analyses of your own. Nodes are school ids carrying every school attribute
(name, level, grade_lo, grade_hi, lat, lon, enrollment, programs, region, ...; missing
values are None) plus three flow totals: `students_sent` (to district schools),
`students_out` (leaving the district) and `students_received`. Edges are flows between
district schools with `students`, `share_out` (share of everything the sender sends,
students leaving the district included) and `share_in` (share of the receiver's intake
from district schools).

Leakage to `OUT` is a node attribute rather than an OUT node: an OUT node would be the
largest "school" of most districts, would join unrelated schools into one weakly
connected component and would have to be filtered out of every algorithm (patterns,
components, cohesion). Keeping it on the sender loses nothing, since OUT has no
attributes of its own.

Methods follow NetworkX habits: they return plain dicts, lists and floats. The graph is
a snapshot of the district it was built from; its tables are computed once.
"""

from __future__ import annotations

from functools import cached_property

import networkx as nx
import pandas as pd

from feeder.district import District
from feeder.io.schools import OUTSIDE
from feeder.metrics import SPLIT_SHARE

HEAD_GRADE = 9
PATTERN_LEVELS = ("elementary", "middle", "span")


class FeederGraph:
    """The feeder graph of one district and the algorithms planners ask of it.

    A pattern *head* is a school where students' paths end: every high school, every span
    school that serves grade 9 or above (6-12, K-12), and a span school without grades
    that receives students but sends none on. Every other school follows its *dominant*
    flow (largest students; ties go to the smallest destination id) level by level; the
    head it reaches is its pattern.
    """

    def __init__(self, district: District) -> None:
        self.district = district
        self.edges = edge_table(district.flows)
        self.nodes = node_table(district, self.edges)
        self.ids: list[str] = self.nodes.index.tolist()

    @cached_property
    def dominant(self) -> dict[str, str]:
        """Each sending school's dominant destination among district schools."""
        ranked = self.edges.sort_values(["from_id", "students", "to_id"], ascending=[True, False, True])
        first = ranked.drop_duplicates("from_id")
        return dict(zip(first["from_id"].tolist(), first["to_id"].tolist(), strict=True))

    @cached_property
    def heads(self) -> list[str]:
        """Schools that head a pattern, in schools-table order."""
        level, top = self.nodes["level"], self.nodes["grade_hi"]
        spans_high = (level == "span") & (top >= HEAD_GRADE).fillna(False)
        ends = (self.nodes["students_sent"] == 0) & (self.nodes["students_received"] > 0)
        spans_end = (level == "span") & top.isna() & ends
        return self.nodes.index[(level == "high") | spans_high | spans_end].tolist()

    @cached_property
    def _pattern(self) -> pd.Series:
        """School id → head of its pattern (None when unattached), from the forest of dominant edges.

        Each school has at most one dominant edge and heads keep none, so every weakly
        connected component holds at most one head; one without a head ends in a cycle or
        at a school that sends no students on.
        """
        heads = set(self.heads)
        forest = nx.DiGraph()
        forest.add_nodes_from(self.ids)
        forest.add_edges_from((s, t) for s, t in self.dominant.items() if s not in heads)
        head_of: dict[str, str | None] = {}
        for component in nx.weakly_connected_components(forest):
            head = next(iter(component & heads), None)
            head_of.update(dict.fromkeys(component, head))
        return pd.Series([head_of[school] for school in self.ids], index=self.nodes.index, dtype=object)

    def patterns(self) -> dict[str, list[str]]:
        """Head id → member ids (schools-table order) whose dominant path ends at that head."""
        members: dict[str, list[str]] = {head: [] for head in self.heads}
        for school, head in zip(self.ids, self._pattern.tolist(), strict=True):
            if head is not None and head != school:
                members[head].append(school)
        return members

    def unattached(self) -> list[str]:
        """Schools whose dominant path reaches no head (no flows, only leakage, or a dead end)."""
        return self.nodes.index[self._pattern.isna()].tolist()

    def pattern_of(self) -> dict[str, str | None]:
        """Every school's pattern head (heads map to themselves; unattached schools to None)."""
        return dict(zip(self.ids, self._pattern.tolist(), strict=True))

    def pattern_students(self) -> dict[str, float]:
        """Head id → students on flows whose two schools both belong to that pattern."""
        sender = self.edges["from_id"].map(self._pattern)
        inside = sender.notna() & (sender == self.edges["to_id"].map(self._pattern))
        return self._per_head(self.edges.loc[inside, "students"].groupby(sender[inside]).sum())

    def pattern_enrollment(self) -> dict[str, float]:
        """Head id → enrollment of the head and its members (missing enrollment counts as 0)."""
        return self._per_head(self.nodes["enrollment"].fillna(0.0).groupby(self._pattern).sum())

    def pattern_counts(self) -> dict[str, dict[str, int]]:
        """Head id → number of members per level (elementary, middle, span)."""
        members = self._pattern.notna() & (self._pattern != self.nodes.index)
        sizes = self.nodes["level"][members].groupby(self._pattern[members]).value_counts()
        table = sizes.unstack(fill_value=0).reindex(
            index=self.heads, columns=list(PATTERN_LEVELS), fill_value=0
        )
        return dict(zip(self.heads, table.to_dict("records"), strict=True))

    def _per_head(self, totals: pd.Series) -> dict[str, float]:
        """A per-pattern total as head id → float, in head order, 0 for patterns without any."""
        return dict(
            zip(self.heads, totals.reindex(self.heads, fill_value=0.0).astype(float).tolist(), strict=True)
        )

    def split_feeders(self, threshold: float = SPLIT_SHARE) -> dict[str, dict[str, float]]:
        """Schools sending more than `threshold` of their district-bound students past their dominant destination.

        Returns school id → {destination: share of the school's students sent to district
        schools}, dominant destination first, then by falling share. Students leaving the
        district are not in the denominator (METRICS.md counts split schools the same way).
        """
        edges = self.edges
        dominant = edges["to_id"] == edges["from_id"].map(self.dominant)
        elsewhere = edges["students"].where(~dominant, 0.0).groupby(edges["from_id"]).sum()
        split = elsewhere.index[elsewhere / self.nodes["students_sent"][elsewhere.index] > threshold]
        chosen = edges[edges["from_id"].isin(split)].sort_values(
            ["students", "to_id"], ascending=[False, True]
        )
        share = chosen["students"] / chosen["from_id"].map(self.nodes["students_sent"]).astype(float)
        by_school: dict[str, dict[str, float]] = {
            school: {} for school in self.nodes.index[self.nodes.index.isin(split)]
        }
        for school, destination, value in zip(
            chosen["from_id"].tolist(), chosen["to_id"].tolist(), share.tolist(), strict=True
        ):
            by_school[school][destination] = value
        return by_school

    def to_networkx(self) -> nx.DiGraph:
        """The feeder graph as a DiGraph: nodes in schools-table order with every attribute
        (None for missing values), one edge per flow with students, share_out and share_in."""
        return build_graph(self.nodes, self.edges)

    def leakage(self) -> dict[str, float]:
        """School id → students leaving the district (`OUT`), for schools that lose any."""
        out = self.nodes["students_out"]
        out = out[out > 0]
        return dict(zip(out.index.tolist(), out.tolist(), strict=True))

    def leakage_share(self) -> float:
        """Students leaving the district ÷ all students sent anywhere (0 when nobody moves)."""
        out, moving = self.leakage_counts()
        return out / moving if moving else 0.0

    def leakage_counts(self) -> tuple[float, float]:
        """Students leaving the district, and all students sent anywhere."""
        out = float(self.nodes["students_out"].sum())
        return out, out + float(self.nodes["students_sent"].sum())

    def summary(self) -> dict:
        """Everything `feeder graph` reports, as JSON-ready plain values in a fixed key order."""
        names = dict(zip(self.ids, self.nodes["name"].tolist(), strict=True))
        levels = dict(zip(self.ids, self.nodes["level"].tolist(), strict=True))
        students, enrollment, counts = (
            self.pattern_students(),
            self.pattern_enrollment(),
            self.pattern_counts(),
        )
        leakage, splits, unattached = self.leakage(), self.split_feeders(), self.unattached()
        flow = self.edges.set_index(["from_id", "to_id"])["students"]
        return {
            "district": self.district.name,
            "schools": len(self.nodes),
            "flows": len(self.edges),
            "students": round(float(self.edges["students"].sum()), 4),
            "patterns": [
                {
                    "head": head,
                    "name": names[head],
                    "level": levels[head],
                    "members": members,
                    "counts": counts[head],
                    "students": round(students[head], 4),
                    "enrollment": round(enrollment[head], 4),
                }
                for head, members in self.patterns().items()
            ],
            "split_feeders": [
                {
                    "school_id": school,
                    "name": names[school],
                    "dominant": self.dominant[school],
                    "shares": {to: round(share, 4) for to, share in shares.items()},
                    "students": {to: round(float(flow[school, to]), 4) for to in shares},
                }
                for school, shares in splits.items()
            ],
            "leakage": {
                "students": round(float(sum(leakage.values())), 4),
                "moving": round(self.leakage_counts()[1], 4),
                "share": round(self.leakage_share(), 4),
                "schools": {school: round(students, 4) for school, students in leakage.items()},
            },
            "unattached": unattached,
            "names": mentioned_names(names, splits=splits, leakage=leakage, unattached=unattached),
            "warnings": list(self.district.warnings),
        }


def mentioned_names(
    names: dict[str, str],
    *,
    splits: dict[str, dict[str, float]],
    leakage: dict[str, float],
    unattached: list[str],
) -> dict[str, str]:
    """The names of the schools the summary lists by id (split feeders' destinations, leaking and
    unattached schools), so a reader of ids like 1964733 sees which school each is."""
    mentioned = {to for shares in splits.values() for to in shares} | set(leakage) | set(unattached)
    return {school: names[school] for school in sorted(mentioned)}


def edge_table(flows: pd.DataFrame) -> pd.DataFrame:
    """Flows between district schools with share_out (OUT included) and share_in."""
    sent_anywhere = flows.groupby("from_id")["students"].sum()
    edges = flows[flows["to_id"] != OUTSIDE].reset_index(drop=True)
    intake = edges.groupby("to_id")["students"].transform("sum")
    return edges.assign(
        share_out=edges["students"] / edges["from_id"].map(sent_anywhere).astype(float),
        share_in=edges["students"] / intake,
    )


def node_table(district: District, edges: pd.DataFrame) -> pd.DataFrame:
    """School attributes indexed by id, with students sent, leaving and received."""
    nodes = pd.DataFrame(district.schools.drop(columns="geometry")).set_index("school_id", drop=False)
    flows = district.flows
    out = flows[flows["to_id"] == OUTSIDE].groupby("from_id")["students"].sum()
    nodes["students_sent"] = edges.groupby("from_id")["students"].sum().reindex(nodes.index, fill_value=0.0)
    nodes["students_out"] = out.reindex(nodes.index, fill_value=0.0)
    nodes["students_received"] = edges.groupby("to_id")["students"].sum().reindex(nodes.index, fill_value=0.0)
    return nodes


def build_graph(nodes: pd.DataFrame, edges: pd.DataFrame) -> nx.DiGraph:
    """The DiGraph: nodes in schools-table order (None for missing values), one edge per flow."""
    graph = nx.DiGraph()
    plain = nodes.drop(columns="school_id").astype(object)
    values = plain.where(plain.notna(), None).to_numpy().tolist()
    columns = plain.columns.tolist()
    graph.add_nodes_from(
        (school, dict(zip(columns, row, strict=True)))
        for school, row in zip(nodes.index.tolist(), values, strict=True)
    )
    names = ("students", "share_out", "share_in")
    attributes = (dict(zip(names, row, strict=True)) for row in edges[list(names)].to_numpy().tolist())
    graph.add_edges_from(zip(edges["from_id"].tolist(), edges["to_id"].tolist(), attributes, strict=True))
    return graph
