"""`feeder compare`: B's portfolios matched to A's by most shared schools, then every school that moved."""

from __future__ import annotations

import json

import networkx as nx
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from feeder.cli import main
from feeder.compare import compare, destination
from feeder.district import load_district
from feeder.maps.compare import compare_page
from feeder.plan import Plan
from feeder.sample import sample_path


@pytest.fixture(scope="module")
def sample():
    return load_district(sample_path())


@st.composite
def perturbations(draw, names: list[str]):
    """A few schools each leaving a different portfolio for another one, and a renaming of all."""
    sources = draw(st.lists(st.sampled_from(names), min_size=1, max_size=6, unique=True))
    moves = [(source, draw(st.sampled_from([n for n in names if n != source]))) for source in sources]
    picks = [draw(st.integers(0, 11)) for _ in moves]
    order = draw(st.permutations(names))
    return moves, picks, dict(zip(names, [f"new {name}" for name in order], strict=True))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_moved_schools_are_exactly_the_ones_moved_whatever_the_names(sample, data) -> None:
    today = Plan.current(sample)
    a = today.labels
    moves, picks, rename = data.draw(perturbations(sorted(set(a))))
    b = a.copy()
    expected = {}
    for (source, target), pick in zip(moves, picks, strict=True):
        school = np.flatnonzero(a == source)[pick]
        b[school] = target
        expected[sample.ids[school]] = (source, rename[target])
    b = np.array([rename[name] for name in b], dtype=object)
    moved = compare(today, Plan(sample, b)).moved
    found = {row.school_id: (row["from"], row.to) for _, row in moved.iterrows()}
    assert found == expected


def optimum_moved(a: np.ndarray, b: np.ndarray) -> int:
    """Schools outside the best one-to-one matching, found with networkx instead of scipy."""
    graph = nx.Graph()
    for (x, y), count in pd.Series(list(zip(a, b, strict=True))).value_counts().items():
        graph.add_edge(("a", x), ("b", y), weight=int(count))
    matching = nx.max_weight_matching(graph)
    return len(a) - sum(graph.edges[edge]["weight"] for edge in matching)


def test_compare_loudoun_pyramids_with_a_designed_plan(tmp_path, lcps_path) -> None:
    schools = pd.read_csv(lcps_path / "schools.csv", dtype=str)
    pyramids = tmp_path / "pyramids.csv"
    schools[["school_id", "pyramid"]].rename(columns={"pyramid": "portfolio"}).to_csv(pyramids, index=False)
    assert main(["design", str(lcps_path), "--out", str(tmp_path / "designed")]) == 0
    designed = tmp_path / "designed" / "portfolios.csv"
    out = tmp_path / "compare"
    assert (
        main(["compare", str(lcps_path), str(pyramids), str(designed), "--out", str(out), "--min-size", "4"])
        == 0
    )
    moved = pd.read_csv(out / "moved.csv", dtype=str)
    assert list(moved.columns) == ["school_id", "name", "from", "to", "to_continues"]
    a = schools.set_index("school_id")["pyramid"]
    b = pd.read_csv(designed, dtype=str).set_index("school_id")["portfolio"].loc[a.index]
    assert len(moved) == optimum_moved(a.to_numpy(), b.to_numpy())
    assert (moved["from"].to_numpy() == a.loc[moved["school_id"]].to_numpy()).all()
    assert (moved["to"].to_numpy() == b.loc[moved["school_id"]].to_numpy()).all()
    report = json.loads((out / "compare.json").read_text())
    assert report["n_moved"] == len(moved)
    card_a, card_b = report["a"]["scorecard"], report["b"]["scorecard"]
    assert report["deltas"]["cohesion"] == pytest.approx(card_b["cohesion"] - card_a["cohesion"])
    page = (out / "compare.html").read_text()
    assert "<script src=" not in page and "L.map(" in page
    assert page.count("moves from") == len(moved)


def test_compare_refuses_a_missing_plan_in_one_line(tmp_path, capsys) -> None:
    code = main(
        [
            "compare",
            str(sample_path()),
            str(tmp_path / "a.csv"),
            str(tmp_path / "b.csv"),
            "--out",
            str(tmp_path / "o"),
        ]
    )
    assert code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "a.csv" in err
    assert not (tmp_path / "o").exists()


def two_plans_named_alike(tmp_path, sample) -> tuple[str, str]:
    """Today's sample plan as `before/portfolios.csv` and `after/portfolios.csv`, the usual way plans are kept."""
    paths = []
    for folder in ("before", "after"):
        (tmp_path / folder).mkdir()
        path = tmp_path / folder / "portfolios.csv"
        sample.schools[["school_id", "portfolio"]].to_csv(path, index=False)
        paths.append(str(path))
    return paths[0], paths[1]


def test_an_error_in_one_of_two_files_called_the_same_says_which(tmp_path, capsys, sample) -> None:
    before, after = two_plans_named_alike(tmp_path, sample)
    broken = pd.read_csv(after, dtype=str)
    broken.loc[3, "school_id"] = "NOT-A-SCHOOL"
    broken.to_csv(after, index=False)
    assert main(["compare", str(sample_path()), before, after, "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: after/portfolios.csv, row 5, column 'school_id'"), err


def test_long_plan_names_head_the_table_whole(tmp_path, capsys, sample) -> None:
    before, after = two_plans_named_alike(tmp_path, sample)
    long_folder = tmp_path / "plan_the_board_saw_in_november_after_the_hearings"
    (tmp_path / "after").rename(long_folder)
    after = str(long_folder / "portfolios.csv")
    assert main(["compare", str(sample_path()), before, after, "--out", str(tmp_path / "o")]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[:2] == ["A: before/portfolios.csv", f"B: {long_folder.name}/portfolios.csv"]


def test_a_plan_compared_with_itself_keeps_both_columns(tmp_path, capsys, sample) -> None:
    before, _ = two_plans_named_alike(tmp_path, sample)
    assert main(["compare", str(sample_path()), before, before, "--out", str(tmp_path / "o")]) == 0
    header = next(line for line in capsys.readouterr().out.splitlines() if "metric" in line)
    assert [cell.strip() for cell in header.strip("┃").split("┃")] == ["metric", "A", "B", "change"]


def test_a_move_into_a_portfolio_named_like_its_old_one_says_which_place_it_continues(sample) -> None:
    """B calls A's East-ES-1 area "East-ES-2" and the reverse: a school moving between them would
    read "East-ES-1 → East-ES-1" (no move) without the A portfolio B's continues."""
    today = Plan.current(sample)
    first, second = sorted(set(today.labels))[:2]
    swapped = np.array(
        [{first: second, second: first}.get(label, label) for label in today.labels], dtype=object
    )
    mover = int(np.flatnonzero(today.labels == first)[0])
    swapped[mover] = first  # B's `first` continues A's `second`: the school does move
    result = compare(today, Plan(sample, swapped))
    row = result.moved.set_index("school_id").loc[sample.ids[mover]]
    assert (row["from"], row["to"], row["to_continues"]) == (first, first, second)
    assert destination(row["to"], row["to_continues"]) == f"{first} (continues {second})"
    page = compare_page(today, Plan(sample, swapped), result, name_a="A", name_b="B")
    assert f"moves from {first} to {first} (continues {second})" in page
    assert len(result.moved) == 1
