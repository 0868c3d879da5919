"""Reading flows.csv: students moving up a level, between district schools or OUT.

Flows run lower level to higher; self-loops, cycles and downward flows are refused at
their row; flows naming unknown schools are dropped with a warning.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd

from feeder.errors import at
from feeder.io.idmatch import match_lost_zeros
from feeder.io.schools import MOST_STUDENTS, OUTSIDE, grade_name, raise_first
from feeder.io.tables import (
    parse_numbers,
    read_text_table,
    require_columns,
)


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
        students <= 0,
        column="students",
        message="'{cell}' students; every flow must carry more than 0",
        cells=table["students"],
    )
    flows = pd.DataFrame({"from_id": table["from_id"], "to_id": table["to_id"], "students": students})
    known = schools["school_id"].tolist()
    restore_lost_zeros(flows, known, path, warnings)
    unknown = ~flows["from_id"].isin(known) | ~(flows["to_id"].isin(known) | (flows["to_id"] == OUTSIDE))
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
    refuse_self_loops(flows, path)
    check_directions(flows, unknown, schools, path)
    refuse_cycles(flows, unknown, path)
    flows = flows[~unknown]
    return flows.groupby(["from_id", "to_id"], sort=False, as_index=False)["students"].sum()


def restore_lost_zeros(flows: pd.DataFrame, known: list[str], path: Path, warnings: list[str]) -> None:
    """Match ids a spreadsheet stripped of leading zeros (`262` for `0262`) back to the district's, with a warning."""
    restored = 0
    for column in ("from_id", "to_id"):
        flows[column], count = match_lost_zeros(flows[column], known)
        restored += count
    if restored:
        warnings.append(
            f"{path.name}: {restored} school id(s) had lost (or gained) leading zeros, as in a spreadsheet, and "
            "were matched to the schools table's ids"
        )


def refuse_self_loops(flows: pd.DataFrame, path: Path) -> None:
    """A flow from a school to itself is not a move between schools."""
    raise_first(
        path,
        flows["from_id"] == flows["to_id"],
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
