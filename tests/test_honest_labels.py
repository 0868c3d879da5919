"""Estimated flows are labelled in every shared output; map folders show one plan only."""

from __future__ import annotations

import html
import io
import json
import shutil
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from feeder.cli import main
from feeder.district import load_district
from feeder.graph import FeederGraph
from feeder.maps.stamp import GENERATOR
from feeder.provenance import LABELS, estimate_note, flows_label

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"
BANNER = 'class="feeder-banner"'


@pytest.fixture(scope="module")
def no_flows(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample without flows.csv: flows are a rough estimate from the school sites."""
    folder = tmp_path_factory.mktemp("sample") / "no-flows"
    folder.mkdir()
    shutil.copy(SAMPLE / "schools.csv", folder / "schools.csv")
    return folder


@pytest.fixture(scope="module")
def designed(no_flows: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("designed")
    assert main(["design", str(no_flows), "--out", str(out)]) == 0
    return out


def test_scorecard_names_the_estimated_source(designed: Path) -> None:
    card = json.loads((designed / "scorecard.json").read_text())
    assert card["flows_source"] == "sites (rough estimate)"


def test_summary_and_workbook_carry_the_estimate_line(designed: Path) -> None:
    first = (designed / "summary.csv").read_text(encoding="utf-8").splitlines()[0]
    assert first.startswith("# Flows are estimated from sites (rough estimate)")
    assert (
        len(pd.read_csv(designed / "summary.csv", comment="#"))
        == json.loads((designed / "scorecard.json").read_text())["n_portfolios"]
    )
    book = openpyxl.load_workbook(io.BytesIO((designed / "plan.xlsx").read_bytes()))
    assert book.sheetnames[0] == "about", "the note must be the first thing a planner sees"
    cells = [value for row in book["about"].iter_rows(values_only=True) for value in row]
    assert "sites (rough estimate)" in cells
    assert any(isinstance(v, str) and v.startswith("Flows are estimated") for v in cells)


def test_every_map_page_shows_the_banner(no_flows: Path, tmp_path: Path) -> None:
    assert main(["map", str(no_flows), "--out", str(tmp_path)]) == 0
    pages = sorted(tmp_path.glob("*.html"))
    assert len(pages) > 2
    for page in pages:
        assert BANNER in page.read_text(encoding="utf-8"), page.name


def test_counted_flows_get_no_banner_and_no_note(tmp_path: Path) -> None:
    assert main(["map", str(SAMPLE), "--out", str(tmp_path / "maps")]) == 0
    assert all(BANNER not in page.read_text(encoding="utf-8") for page in (tmp_path / "maps").glob("*.html"))
    assert flows_label(load_district(SAMPLE)) == "flows.csv"


def test_every_inference_source_keeps_its_label() -> None:
    from dataclasses import replace

    from feeder.infer import ASSIGNMENTS_SOURCE, BOUNDARIES_SOURCE, RECORDS_SOURCE, ROUGH_SOURCE

    district = load_district(SAMPLE)
    assert flows_label(district) == "flows.csv" and estimate_note(district) is None
    for source in (RECORDS_SOURCE, ASSIGNMENTS_SOURCE, BOUNDARIES_SOURCE, ROUGH_SOURCE):
        estimated = replace(district, flows_source=source)
        assert flows_label(estimated) == source and source in LABELS
        assert estimate_note(estimated).startswith(f"Flows are estimated from {source} and")


def test_rerunning_removes_stale_cohort_pages_and_keeps_foreign_files(tmp_path: Path) -> None:
    maps = tmp_path / "maps"
    assert main(["map", str(SAMPLE), "--out", str(maps)]) == 0
    first = {page.name for page in maps.glob("cohort-*.html")}
    (maps / "notes.txt").write_text("mine")
    (maps / "cohort-handmade.html").write_text("<html><body>my own page</body></html>")
    schools = pd.read_csv(SAMPLE / "schools.csv", dtype=str)
    plan = pd.DataFrame({"school_id": schools["school_id"], "portfolio": "Area " + schools["region"]})
    plan.to_csv(tmp_path / "plan.csv", index=False)
    assert main(["map", str(SAMPLE), "--plan", str(tmp_path / "plan.csv"), "--out", str(maps)]) == 0
    second = {page.name for page in maps.glob("cohort-*.html")} - {"cohort-handmade.html"}
    assert second == {f"cohort-area-{region.lower()}.html" for region in set(schools["region"])}
    assert not first & second
    assert (maps / "notes.txt").read_text() == "mine"
    assert (maps / "cohort-handmade.html").exists()
    assert all(GENERATOR in (maps / name).read_text(encoding="utf-8") for name in second)


def test_map_without_a_plan_draws_the_feeder_patterns(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    folder = tmp_path / "district"
    folder.mkdir()
    schools = pd.read_csv(SAMPLE / "schools.csv", dtype=str).drop(columns="portfolio")
    schools = schools.drop_duplicates(["lat", "lon"])  # the maps' areas need one school per site
    schools.to_csv(folder / "schools.csv", index=False)
    flows = pd.read_csv(SAMPLE / "flows.csv", dtype=str)
    kept = set(schools["school_id"]) | {"OUT"}
    flows[flows["from_id"].isin(kept) & flows["to_id"].isin(kept)].to_csv(folder / "flows.csv", index=False)
    assert main(["map", str(folder), "--out", str(tmp_path / "maps")]) == 0
    assert "feeder patterns" in capsys.readouterr().out
    graph = FeederGraph(load_district(folder))
    expected = len(graph.heads) + (1 if graph.unattached() else 0)
    assert len(list((tmp_path / "maps").glob("cohort-*.html"))) == expected
    names = dict(zip(graph.district.schools["school_id"], graph.district.schools["name"], strict=True))
    index = (tmp_path / "maps" / "index.html").read_text(encoding="utf-8")
    assert all(html.escape(f"{names[head]} pattern") in index for head in graph.heads)
