"""Reading flows.csv: students moving up a level, between district schools or OUT.

Flows run lower level to higher; self-loops, cycles and downward flows are refused at
their row; flows from unknown schools, and flows of 0 students, are dropped with a warning,
unless flows from unknown senders carry most of the students (the files then use different ids).
Flows from district schools to unknown ones (charters, private schools) leave the district.
A file of several school years (a `year` column) is averaged to students per year, and a file
`feeder infer` wrote says so in its first line, which keeps its flows labelled by their source.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd

from feeder.errors import InputError, at
from feeder.infer import ASSIGNMENTS_SOURCE, BOUNDARIES_SOURCE, RECORDS_SOURCE, ROUGH_SOURCE
from feeder.io.idmatch import match_lost_zeros, respelled_warning, scientific_note
from feeder.io.schools import MOST_STUDENTS, OUTSIDE, grade_name, raise_first, shown
from feeder.io.tables import (
    parse_numbers,
    read_text_table,
    require_columns,
)

MOST_STUDENTS_UNKNOWN = 0.5  # above this share of students from unknown senders, a flows file is refused
YEAR_COLUMNS = ("year", "school_year")
SCHOOL_YEAR = r"^(\d{4})[-/]\d{2}(?:\d{2})?$"  # 2023-24 (or 2023/2024) is the year 2023
ORIGIN = "# feeder: flows from "  # the first line of a flows.csv that `feeder infer` wrote
ORIGIN_NOTES = {
    RECORDS_SOURCE: "exact counts; feeder applies the small-cell rule to them",
    ASSIGNMENTS_SOURCE: "an estimate by feeder infer",
    BOUNDARIES_SOURCE: "an estimate by feeder infer",
    ROUGH_SOURCE: "an estimate by feeder infer",
}
SHOWN_IDS = 10  # unknown ids named in a warning
SHARE_SENDERS = 3  # schools that all send 1.0 in total: shares, not students
SHARE_TOLERANCE = 0.02  # thirds written 0.33 add up to 0.99


@dataclass(frozen=True)
class FlowYears:
    """The school years of a flows table's `column` ("" and no years when it has none)."""

    column: str
    years: tuple[str, ...]

    @property
    def count(self) -> int:
        return max(1, len(self.years))

    def note(self) -> str:
        """Why the students read are fewer than the file's sum (several years' flows add up)."""
        shown = ", ".join(self.years[:4]) + (" ..." if len(self.years) > 4 else "")
        return (
            f"flows are averaged over the {self.count} school years of column '{self.column}' ({shown}): "
            "students per year, a pair missing in a year counting 0 there"
        )


def flow_years(table: pd.DataFrame, path: Path) -> FlowYears:
    """The years of a flows table's `year` (or `school_year`) column; a blank cell among filled ones is
    refused at its row, since its flow could belong to any year."""
    column = next((name for name in YEAR_COLUMNS if name in table.columns), "")
    if not column or (table[column] == "").all():
        return FlowYears("", ())
    cells = table[column]
    raise_first(
        path,
        cells == "",
        column=column,
        message=f"{column} is empty while other rows give one; give every flow its school year",
    )
    return FlowYears(column, tuple(sorted(set(cells.str.replace(SCHOOL_YEAR, r"\1", regex=True)))))


def origin_line(source: str) -> str:
    """The comment line `feeder infer` writes above the flows it inferred from `source`, so that a
    copy put into a district folder keeps its label (and, from records, its small-cell rule)."""
    return f"{ORIGIN}{source} ({ORIGIN_NOTES[source]})"


def declared_source(comments: list[str]) -> str | None:
    """The source an origin line among `comments` names, or None (flows the district counted)."""
    for line in comments:
        if line.startswith(ORIGIN):
            named = line.removeprefix(ORIGIN)
            return next((source for source in ORIGIN_NOTES if named.startswith(source)), None)
    return None


def origin_note(source: str) -> str:
    """What a flows.csv with an origin line is read as."""
    rule = "published by the small-cell rule" if source == RECORDS_SOURCE else "labelled as an estimate"
    return f"its first line says feeder infer wrote it from {source}: its flows are read as such and {rule}"


def read_flows(path: Path, schools: gpd.GeoDataFrame, warnings: list[str]) -> tuple[pd.DataFrame, str]:
    """Read flows.csv: the flows (positive students per year, lower level to higher, unknown senders
    dropped with a warning) and their source, `flows.csv` or the one its origin line names."""
    comments: list[str] = []
    table = read_text_table(path, comments=comments)
    source = declared_source(comments)
    if source is not None:
        warnings.append(f"{path.name}: {origin_note(source)}")
    try:
        return flows_of(table, path, schools, warnings), source or "flows.csv"
    except InputError as error:
        raise error.below(len(comments)) from None


def flows_of(table: pd.DataFrame, path: Path, schools: gpd.GeoDataFrame, warnings: list[str]) -> pd.DataFrame:
    """The flows of flows.csv's table (read_flows), rows counted from its header."""
    require_columns(table, path, ("from_id", "to_id", "students"))
    years = flow_years(table, path)
    students = parse_numbers(table, path, "students", maximum=MOST_STUDENTS)
    for column in ("from_id", "to_id"):
        raise_first(path, table[column] == "", column=column, message=f"{column} is empty")
    raise_first(path, students.isna(), column="students", message="students is empty")
    raise_first(
        path,
        students < 0,
        column="students",
        message="'{cell}' students; a flow carries 0 students or more",
        cells=table["students"],
    )
    idle = students == 0
    if idle.all():
        raise at(path, "every flow carries 0 students; give the students who move", row=2, column="students")
    if idle.any():
        warnings.append(f"{path.name}: {idle_flows_note(int(idle.sum()))}")
    flows = pd.DataFrame({"from_id": table["from_id"], "to_id": table["to_id"], "students": students})
    known = schools["school_id"].tolist()
    restore_lost_zeros(flows, known, path, warnings)
    stranger = ~idle & ~flows["from_id"].isin(known)
    elsewhere = ~idle & ~stranger & ~flows["to_id"].isin([*known, OUTSIDE])
    if stranger.any():
        warnings.append(
            f"{path.name}: {int(stranger.sum())} flow(s) come from schools not in the schools table and are "
            f"left out: {listing(flows.loc[stranger, 'from_id'])}"
        )
    if elsewhere.any():
        warnings.append(f"{path.name}: {leaving_note(int(elsewhere.sum()), flows.loc[elsewhere, 'to_id'])}")
    refuse_unmatched_ids(flows[~idle], (stranger | elsewhere)[~idle], known, path)
    mostly = mostly_unknown(flows[~idle], (stranger | elsewhere)[~idle], known)
    if mostly is not None:
        row, column, message = mostly
        raise at(path, message, row=row, column=column)
    flows.loc[elsewhere, "to_id"] = OUTSIDE
    refuse_self_loops(flows, idle, path)
    check_directions(flows, stranger | idle, schools, path)
    refuse_cycles(flows, stranger | idle, path)
    flows = flows[~stranger & ~idle]
    summed = flows.groupby(["from_id", "to_id"], sort=False, as_index=False)["students"].sum()
    if years.count > 1:
        warnings.append(f"{path.name}: {years.note()}")
        summed["students"] /= years.count
    sent = summed.groupby("from_id")["students"].sum()
    for note in (shares_note(sent), empty_senders_note(sent, schools.set_index("school_id")["enrollment"])):
        if note is not None:
            warnings.append(f"{path.name}: {note}")
    return summed


def shares_note(sent: pd.Series) -> str | None:
    """Flows given as shares of each school's leavers (every school sends 1.0 in total), not as
    students: cohesion weighs a school of 900 as one of 90, and every count shown is wrong.
    `sent`: students per year each district school sends, indexed by school_id."""
    if len(sent) < SHARE_SENDERS or not np.allclose(sent, 1.0, atol=SHARE_TOLERANCE):
        return None
    return (
        f"flows look like shares: every school sends 1.0 in total ({len(sent)} schools); give student "
        "counts (the students who move on each year), not the share each flow takes"
    )


def empty_senders_note(sent: pd.Series, enrollment: pd.Series) -> str | None:
    """Schools of enrollment 0 that send students (`sent` as in shares_note, `enrollment` by school_id):
    a closed school still in the files, or an enrollment lost in the export."""
    empty = sent[(enrollment.reindex(sent.index) == 0).to_numpy() & (sent > 0).to_numpy()]
    if empty.empty:
        return None
    described = [f"{school} sends {students:,.1f}" for school, students in empty.items()]
    return (
        f"schools with enrollment 0 send students ({shown(described)}): closed, or an "
        "enrollment lost? (give the enrollment, or remove a closed school's row and flows)"
    )


def listing(ids: pd.Series) -> str:
    """The distinct ids a warning names, the first SHOWN_IDS of them."""
    names = sorted(set(ids))
    return ", ".join(names[:SHOWN_IDS]) + (" ..." if len(names) > SHOWN_IDS else "")


def leaving_note(count: int, receivers: pd.Series) -> str:
    """Flows to schools outside the district (charters, private or neighbouring schools named by their
    own ids) are students the district loses, as OUT is: named so that a mistyped id can be caught."""
    return (
        f"{count} flow(s) go to schools not in the schools table and count as leaving the district "
        f"(to_id OUT): {listing(receivers)} (if one is a district school, fix its id)"
    )


def idle_flows_note(count: int) -> str:
    """Rows of 0 students are left out: a zero is no movement (exports list every pair of schools)."""
    return f"{count} flow(s) of 0 students left out (a 0 moves no one)"


def restore_lost_zeros(flows: pd.DataFrame, known: list[str], path: Path, warnings: list[str]) -> None:
    """Match ids a spreadsheet respelled (`262` or `262.0` for `0262`, `out` for OUT) back, with a warning."""
    restored = 0
    for column, ids in (("from_id", known), ("to_id", [*known, OUTSIDE])):
        flows[column], count = match_lost_zeros(flows[column], ids)
        restored += count
    if restored:
        warnings.append(respelled_warning(path.name, restored))


def all_leaving_note() -> str:
    """Why a district whose every flow goes OUT gets a plan without a cohesion."""
    return (
        "every flow leaves the district (to_id OUT), so cohesion cannot be measured and portfolios follow "
        "geography and the other goals alone"
    )


def refuse_unmatched_ids(flows: pd.DataFrame, unknown: pd.Series, known: list[str], path: Path) -> None:
    """When no flow names district schools the two files use different ids; leaving every flow out would
    design on no flows at all, so refuse instead of warning."""
    if not unknown.all():
        return
    column = "to_id" if flows["from_id"].iloc[0] in known else "from_id"
    raise at(
        path,
        f"none of the {len(flows)} flows names a school of schools.csv ('{flows[column].iloc[0]}' is no "
        f"school_id there, e.g. '{known[0]}'); write from_id and to_id with the ids of schools.csv"
        + scientific_note(flows[column].iloc[0], known[0]),
        row=2,
        column=column,
    )


def mostly_unknown(
    flows: pd.DataFrame, unknown: pd.Series, known: Collection[str]
) -> tuple[int, str, str] | None:
    """Row, column and wording when flows from unknown senders carry most of the students.

    Leaving them out would design on the few students left (ids of two schemes mixed, or another
    district's flows). Flows from district schools to unknown ones (charters, private or
    neighbouring schools named by their own ids) only leave the district, however many students
    they carry. `flows` holds from_id, to_id and students, indexed by data row (0 = file row 2).
    """
    strangers = unknown & ~flows["from_id"].isin(known)
    lost = float(flows["students"][strangers].sum())
    total = float(flows["students"].sum())
    if not strangers.any() or lost <= MOST_STUDENTS_UNKNOWN * total:
        return None
    first = int(np.flatnonzero(strangers.to_numpy())[0])
    example, known_id = flows["from_id"].iloc[first], next(iter(known))
    return (
        int(flows.index[first]) + 2,
        "from_id",
        f"{int(strangers.sum())} of the {len(flows)} flows, carrying {lost / total:.0%} of the students, come "
        f"from schools not in schools.csv ('{example}' is no school_id there, e.g. '{known_id}'); write "
        "from_id and to_id with the ids of schools.csv (to_id OUT for students who leave the district)"
        + scientific_note(example, known_id),
    )


def refuse_self_loops(flows: pd.DataFrame, idle: pd.Series, path: Path) -> None:
    """A flow from a school to itself is not a move between schools (a 0 one is left out anyway)."""
    raise_first(
        path,
        (flows["from_id"] == flows["to_id"]) & ~idle,
        column="to_id",
        message="flow from '{cell}' to itself; a flow moves students to another school, so remove this row",
        cells=flows["from_id"],
    )


def refuse_cycles(flows: pd.DataFrame, unknown: pd.Series, path: Path) -> None:
    """Students cannot come back to a school they left (checked even where grades are unknown)."""
    kept = (~unknown & (flows["to_id"] != OUTSIDE)).to_numpy()
    graph = nx.DiGraph(list(zip(flows["from_id"][kept], flows["to_id"][kept], strict=True)))
    try:
        cycle = nx.find_cycle(graph)
    except nx.NetworkXNoCycle:
        return
    closing = cycle[-1]
    rows = np.flatnonzero(
        ((flows["from_id"] == closing[0]) & (flows["to_id"] == closing[1])).to_numpy() & kept
    )
    path_text = " → ".join([edge[0] for edge in cycle] + [cycle[0][0]])
    raise at(
        path,
        f"flows go round in a cycle ({path_text}); students cannot return to a school they left: "
        "fix the levels/grades of these schools or remove one of these flows",
        row=int(rows[0]) + 2,
        column="to_id",
    )


def check_directions(flows: pd.DataFrame, unknown: pd.Series, schools: gpd.GeoDataFrame, path: Path) -> None:
    """Refuse a flow that goes down or sideways in grades.

    A receiver must top out above its sender, or at the same grade while starting later
    (a K-8 sending to a 6-8 middle school at the 5 → 6 move is normal).
    """
    top = dict(zip(schools["school_id"], schools["grade_hi"], strict=True))
    bottom = dict(zip(schools["school_id"], schools["grade_lo"], strict=True))
    level = dict(zip(schools["school_id"], schools["level"], strict=True))
    for row, (sender, receiver) in enumerate(zip(flows["from_id"], flows["to_id"], strict=True)):
        if unknown.iloc[row] or receiver == OUTSIDE:
            continue
        low, high = top[sender], top[receiver]
        if pd.isna(low) or pd.isna(high):
            continue
        if high < low or (high == low and not later_start(bottom[sender], bottom[receiver])):
            way, fix = (
                ("goes down a level", "swap from_id and to_id if they are reversed")
                if high < low
                else (f"does not go up a level (both end at grade {grade_name(high)})", "remove the row")
            )
            raise at(
                path,
                f"flow from {level[sender]} school '{sender}' ({grades_text(bottom[sender], low)}) to "
                f"{level[receiver]} school '{receiver}' ({grades_text(bottom[receiver], high)}) {way}; flows run "
                f"elementary → middle → high: {fix}, or fix the schools' levels/grades in schools.csv",
                row=row + 2,
                column="to_id",
            )


def grades_text(lowest: float, highest: float) -> str:
    """`K-5`, or `?-8` when the lowest grade is unknown."""
    return f"{'?' if pd.isna(lowest) else grade_name(lowest)}-{grade_name(highest)}"


def later_start(sender_lowest: float, receiver_lowest: float) -> bool:
    """The receiver starts at a later grade (unknown starts give the flow the benefit of the doubt)."""
    return pd.isna(sender_lowest) or pd.isna(receiver_lowest) or bool(receiver_lowest > sender_lowest)
