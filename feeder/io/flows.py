"""Reading flows.csv: students moving up a level, between district schools or OUT.

Flows run lower level to higher; self-loops, cycles and downward flows are refused at
their row; flows naming unknown schools, and flows of 0 students, are dropped with a warning,
unless flows from unknown senders carry most of the students (the files then use different ids).
"""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd

from feeder.errors import at
from feeder.io.idmatch import match_lost_zeros, respelled_warning, scientific_note
from feeder.io.schools import MOST_STUDENTS, OUTSIDE, grade_name, raise_first
from feeder.io.tables import (
    parse_numbers,
    read_text_table,
    require_columns,
)

MOST_STUDENTS_UNKNOWN = 0.5  # above this share of students from unknown senders, a flows file is refused


def read_flows(path: Path, schools: gpd.GeoDataFrame, warnings: list[str]) -> pd.DataFrame:
    """Read flows.csv: positive students, lower level to higher, unknown ids dropped with a warning."""
    table = read_text_table(path)
    require_columns(table, path, ("from_id", "to_id", "students"))
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
    unknown = ~idle & (
        ~flows["from_id"].isin(known) | ~(flows["to_id"].isin(known) | (flows["to_id"] == OUTSIDE))
    )
    if unknown.any():
        names = sorted(
            set(flows.loc[unknown, "from_id"]) - set(known)
            | set(flows.loc[unknown, "to_id"]) - set(known) - {OUTSIDE}
        )
        warnings.append(
            f"{path.name}: {int(unknown.sum())} flow(s) name schools not in the schools table and are left out: "
            + ", ".join(names[:10])
            + (" ..." if len(names) > 10 else "")
        )
    refuse_unmatched_ids(flows[~idle], unknown[~idle], known, path)
    mostly = mostly_unknown(flows[~idle], unknown[~idle], known)
    if mostly is not None:
        row, column, message = mostly
        raise at(path, message, row=row, column=column)
    refuse_self_loops(flows, idle, path)
    check_directions(flows, unknown | idle, schools, path)
    refuse_cycles(flows, unknown | idle, path)
    flows = flows[~unknown & ~idle]
    return flows.groupby(["from_id", "to_id"], sort=False, as_index=False)["students"].sum()


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
