"""`feeder alternatives`: distinct plans, none beaten on cohesion, enrollment CV and mean km at once."""

from __future__ import annotations

import itertools
import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import plotly.io
import pytest
from hypothesis import given
from hypothesis import strategies as st
from synthetic import generate_district, write_district

import feeder.alternatives
import feeder.report.tradeoff_chart
from feeder.alternatives import OBJECTIVES, Alternative, TradeOffs, dominates, grid, spread, trade_offs
from feeder.cli import main
from feeder.district import load_district
from feeder.maps import cohort_file_names
from feeder.privacy import data_notes
from feeder.report.pdf import BROWSERS
from feeder.sample import sample_path
from feeder.spec import DesignSpec

METRICS = [key for key, _ in OBJECTIVES]


def beaten(a: pd.Series, b: pd.Series) -> bool:
    """b is at least as good as a on all three metrics and better on one (independent of the code)."""
    no_worse = b.cohesion >= a.cohesion and b.enrollment_cv <= a.enrollment_cv and b.mean_km <= a.mean_km
    better = b.cohesion > a.cohesion or b.enrollment_cv < a.enrollment_cv or b.mean_km < a.mean_km
    return no_worse and better


def check_alternatives(out: Path, *, count: int) -> pd.DataFrame:
    table = pd.read_csv(out / "alternatives.csv", dtype={"name": str})
    assert 1 <= len(table) <= count and table["name"].is_unique
    groups = []
    for row in table.itertuples():
        folder = out / row.name
        plan = pd.read_csv(folder / "portfolios.csv", dtype=str)
        card = json.loads((folder / "scorecard.json").read_text())
        for key in METRICS:
            assert getattr(row, key) == pytest.approx(card[key], abs=1e-6)
        assert card["violations"] == []
        assert (folder / "index.html").exists()
        groups.append(
            frozenset(frozenset(ids) for ids in plan.groupby("portfolio")["school_id"].apply(frozenset))
        )
    assert len(set(groups)) == len(groups), "two alternatives are the same plan"
    for (_, a), (_, b) in itertools.permutations(table.iterrows(), 2):
        assert not beaten(a, b), f"{a['name']} is beaten by {b['name']}"
    page = (out / "tradeoffs.html").read_text()
    assert "<script src=" not in page and "Plotly.newPlot" in page and "default plan" in page
    return table


@pytest.fixture(scope="module")
def loudoun(tmp_path_factory: pytest.TempPathFactory, lcps_path: Path) -> Path:
    """`feeder alternatives` on Loudoun, --count above the front's size (minutes: run once)."""
    out = tmp_path_factory.mktemp("alternatives")
    assert main(["alternatives", str(lcps_path), "--out", str(out), "--count", "10"]) == 0
    return out


def test_loudoun_alternatives(loudoun: Path, lcps_path: Path) -> None:
    out = loudoun
    # --count above the front's size: every distinct non-dominated plan designed is kept
    table = check_alternatives(out, count=10)
    assert len(table) >= 3
    assert table["default"].sum() == 1, "the default plan (best cohesion on Loudoun) is one of them"
    assert table.loc[table["default"], "moved_from_default"].item() == 0
    assert table["enrollment_cv"].min() < 0.5 * table.loc[table["default"], "enrollment_cv"].item()
    notes = data_notes(load_district(lcps_path))
    for name in table["name"]:  # what loading warned of travels with every plan shared
        assert json.loads((out / name / "scorecard.json").read_text())["data_warnings"] == notes
    if any(shutil.which(browser) for browser in BROWSERS):
        assert (out / "tradeoffs.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


# Labels: "5-portfolios-balance-0.05" and "6-portfolios-balance-0", two plans of nearly the same
# balance and cohesion, were printed over each other on Loudoun's chart.
DRAWN_LABELS = """
const box = e => { const r = e.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; };
const chart = document.getElementById('tradeoffs');
return {
  labels: Array.from(chart.querySelectorAll('.annotation-text, .textpoint text'))
    .filter(e => e.textContent.trim()).map(e => [e.textContent, box(e)]),
  markers: Array.from(chart.querySelectorAll('.scatterlayer path.point')).map(box),
};
"""


def overlap(a: list[float], b: list[float]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


@pytest.mark.browser
def test_no_chart_label_overlaps_another_or_a_marker(loudoun: Path, browser) -> None:
    browser.get((loudoun / "tradeoffs.html").as_uri())
    drawn = browser.execute_script(DRAWN_LABELS)
    names = set(pd.read_csv(loudoun / "alternatives.csv", dtype={"name": str})["name"])
    assert {text for text, _ in drawn["labels"]} == names, "every plan kept is named on the chart"
    for (a, box_a), (b, box_b) in itertools.combinations(drawn["labels"], 2):
        assert not overlap(box_a, box_b), f"'{a}' overlaps '{b}'"
    for text, box in drawn["labels"]:
        assert not any(overlap(box, marker) for marker in drawn["markers"]), (
            f"'{text}' covers a plan's marker"
        )


def test_alternatives_without_a_browser_write_the_page_and_say_why_there_is_no_png(
    tmp_path, capsys, monkeypatch
) -> None:
    """plotly 7 reports a missing Chrome as a RuntimeError: the command died as an internal error (exit 1)
    after designing every plan, on any machine without Chrome or Chromium."""

    def no_chrome(*args, **kwargs):
        raise RuntimeError("\nKaleido requires Google Chrome to be installed.\n")

    monkeypatch.setattr(plotly.io, "to_image", no_chrome)
    folder = write_district(tmp_path / "district", *generate_district(60, seed=1))
    out = tmp_path / "alternatives"
    assert main(["alternatives", str(folder), "--out", str(out), "--k", "3", "--count", "2"]) == 0
    assert "tradeoffs.png was not written: plotly's image export needs Chrome or Chromium" in " ".join(
        capsys.readouterr().err.split()
    )
    assert (out / "tradeoffs.html").exists() and not (out / "tradeoffs.png").exists()


@pytest.mark.parametrize("jobs", [1, 2])
def test_progress_counts_every_design_once_in_order(tmp_path, jobs) -> None:
    """LAUSD's alternatives took minutes without a word; the command now shows designed / total."""
    district = load_district(write_district(tmp_path / "district", *generate_district(60, seed=1)))
    calls: list[tuple[int, int]] = []
    spec = DesignSpec(min_size=12, max_size=24, k=3)
    trade_offs(district, spec=spec, count=2, jobs=jobs, progress=lambda *call: calls.append(call))
    total = 1 + len(grid(spec, default_count=3, n=len(district.schools)))
    assert total >= 3
    assert calls == [(done, total) for done in range(1, total + 1)]


def test_sample_alternatives_with_a_fixed_count(tmp_path) -> None:
    out = tmp_path / "alternatives"
    assert (
        main(["alternatives", str(sample_path()), "--out", str(out), "--k", "14", "--count", "3", "--no-png"])
        == 0
    )
    table = check_alternatives(out, count=3)
    assert (table["n_portfolios"] == 14).all()
    assert not (out / "tradeoffs.png").exists()


@pytest.fixture(scope="module")
def designed() -> dict:
    """Plans by (district, spec, seed), shared by this module's tests."""
    return {}


@pytest.fixture
def design_once(monkeypatch: pytest.MonkeyPatch, designed: dict) -> None:
    """Each Loudoun design runs once for this module's tests (a plan depends only on district,
    spec and seed); only designs run in this process (--jobs 1, or a pool faked in-process) are kept."""
    real = feeder.alternatives.design

    def once(district, *, spec, seed, jobs=None):
        key = (district.name, spec, seed)
        if key not in designed:
            designed[key] = real(district, spec=spec, seed=seed, jobs=jobs)
        return designed[key]

    monkeypatch.setattr(feeder.alternatives, "design", once)


@pytest.fixture
def pool_sizes(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The worker counts the designs' process pool is asked for; its work runs in this process."""
    sizes: list[int] = []

    class InProcessPool:
        def __init__(self, max_workers: int) -> None:
            sizes.append(max_workers)

        def __enter__(self) -> InProcessPool:
            return self

        def __exit__(self, *exc: object) -> None:
            return None

        def map(self, work, items) -> Iterator:
            return map(work, items)

    monkeypatch.setattr(feeder.alternatives, "ProcessPoolExecutor", InProcessPool)
    return sizes


def test_jobs_far_above_the_designs_start_one_process_per_design(
    tmp_path, lcps_path, monkeypatch, design_once, pool_sizes
) -> None:
    """--jobs 100000 opened a pool of 100000 processes (the fuzz saw ~900 and 4 GB before killing it),
    each design in it starting its own restarts' processes. Like `design`, the pool now stops at the
    pieces of work (one process per design), and each design in it runs in its worker alone."""
    jobs_given: list[int | None] = []
    once = feeder.alternatives.design

    def recorded(district, *, spec, seed, jobs=None):
        jobs_given.append(jobs)
        return once(district, spec=spec, seed=seed, jobs=jobs)

    monkeypatch.setattr(feeder.alternatives, "design", recorded)
    out = tmp_path / "alternatives"
    command = ["alternatives", str(lcps_path), "--out", str(out), "--k", "5", "--count", "2", "--no-png"]
    assert main([*command, "--jobs", "100000"]) == 0
    designs = len(grid(DesignSpec(k=5), default_count=5, n=len(load_district(lcps_path).schools)))
    assert pool_sizes == [designs] and designs == 3
    # the default plan alone first (its restarts on up to --jobs processes), then the grid's, one process each
    assert jobs_given == [100000] + [1] * designs
    check_alternatives(out, count=2)


def test_a_rerun_retires_the_earlier_runs_plans_but_keeps_a_planners_files(
    tmp_path, lcps_path, monkeypatch, design_once
) -> None:
    """A second run into the same folder left the first run's plan folders (with their maps) and
    tradeoffs.png beside its own: a planner took them for part of the new set. The files feeder wrote
    for the earlier run go in the new run's publication; a planner's file and its folder stay."""
    out = tmp_path / "alternatives"
    command = ["alternatives", str(lcps_path), "--out", str(out)]
    monkeypatch.setattr(feeder.report.tradeoff_chart, "chart_png", lambda figure: b"\x89PNG\r\n\x1a\n")
    assert main([*command, "--k", "5", "--jobs", "1"]) == 0  # in this process: the designs of the test above
    first = sorted(pd.read_csv(out / "alternatives.csv", dtype={"name": str})["name"])
    noted, edited = [name for name in first if name.startswith("5-portfolios-")][:2]
    first_default = visible(out / "default")
    (out / noted / "notes.txt").write_text("board asked about this one")
    (out / edited / "scorecard.json").write_text("{}")
    assert (out / "tradeoffs.png").exists()

    assert main([*command, "--k", "4", "--count", "2", "--no-png"]) == 0
    table = check_alternatives(out, count=2)
    assert len(table) == 2 and (table["n_portfolios"] == 4).all()
    assert visible(out) == sorted(["alternatives.csv", "tradeoffs.html", *table["name"], noted, edited])
    assert sorted(path.name for path in (out / noted).iterdir()) == ["notes.txt"]
    assert visible(out / edited) == ["scorecard.json"]
    assert (out / edited / "scorecard.json").read_text() == "{}"
    for name in table["name"]:
        portfolios = pd.read_csv(out / name / "portfolios.csv", dtype=str)["portfolio"].unique()
        pages = cohort_file_names(sorted(portfolios)).values()
        assert visible(out / name) == sorted(["index.html", "portfolios.csv", "scorecard.json", *pages])
    assert set(first_default) - set(visible(out / "default")), "the first default plan's maps had a page more"


def visible(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.iterdir() if not path.name.startswith("."))


def fake(name: str, point: tuple[float, float, float], is_default: bool = False) -> Alternative:
    card = {key: sign * value for (key, sign), value in zip(OBJECTIVES, point, strict=True)}
    return Alternative(name=name, plan=None, card=card, k=None, balance=0.0, is_default=is_default)  # type: ignore[arg-type]


@given(
    points=st.lists(
        st.tuples(*[st.integers(0, 20).map(lambda x: x / 20)] * 3), min_size=1, max_size=12, unique=True
    ),
    count=st.integers(1, 8),
)
def test_spread_keeps_default_and_extremes_of_the_front(points, count) -> None:
    front = [fake(f"p{i}", p, is_default=i == 0) for i, p in enumerate(points)]
    front = [a for a in front if not any(dominates(b.point(), a.point()) for b in front)]
    kept = spread(front, count)
    assert len(kept) == min(count, len(front)) and len({a.name for a in kept}) == len(kept)
    if front[0].is_default:
        assert front[0] in kept
    if count >= 4:
        for column in range(3):
            assert max(a.point()[column] for a in kept) == max(a.point()[column] for a in front)


def test_plans_left_out_by_count_are_not_called_beaten() -> None:
    """Five plans none beats on all three, --count 2: the three left out are drawn and named as
    left out by --count (the chart called them "beaten on all three"), a beaten one as beaten."""
    front = [
        fake(f"p{i}", (0.9 + i / 100, -(0.1 + i / 50), -(3 + i / 10)), is_default=i == 0) for i in range(5)
    ]
    beaten_plan = fake("beaten", (0.8, -0.5, -5.0))
    for each in [*front, beaten_plan]:
        each.card.update(n_portfolios=5, k12_complete=1.0)  # what a point's hover text shows
    result = TradeOffs(chosen=spread(front, 2), front=front, tried=[*front, beaten_plan])
    assert len(result.left_out) == 3
    figure = feeder.report.tradeoff_chart.tradeoff_figure(result, title="t")
    by_trace = {trace.name: sorted(trace.text) for trace in figure.data}
    assert by_trace["also beaten on none, left out by --count 2"] == sorted(a.name for a in result.left_out)
    assert by_trace["other plans tried (duplicates, or beaten on all three)"] == ["beaten"]
