"""Data notes: what loading a district warned of reaches the files a district shares, not only the terminal.

Loudoun with Moorefield Station ES (MSE) moved 55 km south stands in for LAUSD's Twentieth Street ES
geocoded into Pasadena: the loader warns of it, and the map, report and workbook must say so too.
"""

from __future__ import annotations

import io
import json
import shutil
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest
from conftest import LCPS
from openpyxl import load_workbook
from test_privacy import records

from feeder.cli import main
from feeder.district import load_district
from feeder.io.workbook import plan_workbook
from feeder.maps.key import map_key
from feeder.maps.model import build_model
from feeder.maps.pages import overview_panel
from feeder.plan import Plan
from feeder.privacy import data_notes, with_min_cell
from feeder.words import counted

MOVED = "school &#x27;MSE&#x27; (Moorefield Station Es) is 4"  # escaped in HTML; "44 km from ..."
UNKNOWN_STUDENTS = 3  # records naming a school not in schools.csv: a count below the small-cell threshold


def loudoun_schools() -> pd.DataFrame:
    if not (LCPS / "schools.csv").exists():
        pytest.skip(f"real LCPS data not found at {LCPS}")
    schools = pd.read_csv(LCPS / "schools.csv", dtype={"school_id": str})
    schools.loc[schools["school_id"] == "MSE", "lat"] -= 0.5  # 55 km south, out of Loudoun
    return schools


@pytest.fixture(scope="module")
def moved(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Loudoun (flows.csv) with MSE's site 55 km off."""
    path = tmp_path_factory.mktemp("moved")
    loudoun_schools().to_csv(path / "schools.csv", index=False)
    shutil.copy(LCPS / "flows.csv", path / "flows.csv")
    return path


@pytest.fixture(scope="module")
def from_records(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The same, flows from enrollment records, 3 of whose students go on to a school not in schools.csv
    (the loader's warning counts them: "3 record(s) name 1 school(s) not in the schools table")."""
    schools = loudoun_schools()
    flows = pd.read_csv(LCPS / "flows.csv", dtype={"from_id": str, "to_id": str})
    table = records(schools, flows)
    unknown = pd.DataFrame(
        [(f"9{i:06d}", 2024, "PRIV9", 6) for i in range(UNKNOWN_STUDENTS)], columns=table.columns
    )
    path = tmp_path_factory.mktemp("records")
    schools.to_csv(path / "schools.csv", index=False)
    pd.concat([table, unknown]).to_csv(path / "enrollment.csv", index=False)
    return path


def moved_note(notes: list[str]) -> bool:
    return any(note.startswith("school 'MSE' (Moorefield Station Es) is 4") for note in notes)


def test_the_map_lists_the_data_notes_on_every_page_and_its_key_points_to_them(
    moved: Path, tmp_path: Path
) -> None:
    district = load_district(moved)
    assert moved_note(district.warnings)
    assert main(["map", str(moved), "--out", str(tmp_path)]) == 0
    pages = sorted(tmp_path.glob("*.html"))
    assert len(pages) == 1 + district.schools["pyramid"].nunique()  # the overview and a page per pattern
    for page in pages:
        html = page.read_text()
        panel, key = html.split('<div class="feeder-map-key">')
        assert "<h2>Data notes</h2>" in panel and MOVED in panel.split("<h2>Data notes</h2>")[1], page.name
        assert f"{counted(len(district.warnings), 'data note')} on the input, listed in the side panel" in key


def test_the_report_has_a_data_notes_section_on_its_district_page(moved: Path, tmp_path: Path) -> None:
    assert main(["report", str(moved), "--out", str(tmp_path)]) == 0
    first_page = (tmp_path / "report.html").read_text().split('<section class="page portfolios">')[0]
    assert "<h3>Data notes</h3>" in first_page and MOVED in first_page.split("<h3>Data notes</h3>")[1]


def test_the_workbooks_about_sheet_has_one_row_per_data_note(moved: Path) -> None:
    district = load_district(moved)
    plan = Plan(district, district.schools["pyramid"].to_numpy(dtype=object))
    about = load_workbook(io.BytesIO(plan_workbook(plan)))["about"]
    rows = [(a.value, b.value) for a, b in about.iter_rows(max_col=2)]
    assert [text for label, text in rows if label == "data note"] == district.warnings
    assert moved_note(district.warnings)


def test_a_district_without_warnings_shares_no_data_notes(moved: Path) -> None:
    district = replace(load_district(moved), warnings=[])
    plan = Plan(district, district.schools["pyramid"].to_numpy(dtype=object))
    about = load_workbook(io.BytesIO(plan_workbook(plan)))["about"]
    assert "data note" not in [row[0].value for row in about.iter_rows(max_col=1)]
    model = build_model(plan)
    assert "data note" not in (overview_panel(model, {}) + map_key(model)).lower()


def test_from_records_only_notes_on_the_schools_table_are_published(
    from_records: Path, tmp_path: Path
) -> None:
    """The records warning quotes 3 students: under the small-cell rule it stays on the terminal, while
    the schools table's geocode warning is still shared; with the rule off (--min-cell 0) both are."""
    district = load_district(from_records)
    counted = [note for note in district.warnings if "record(s) name 1 school(s)" in note]
    assert counted and counted[0].startswith(f"enrollment.csv: {UNKNOWN_STUDENTS} record(s)")
    published = data_notes(district)
    assert moved_note(published) and not any("record(s)" in note for note in published)
    assert data_notes(with_min_cell(district, 0)) == district.warnings
    assert main(["map", str(from_records), "--out", str(tmp_path / "map")]) == 0
    overview = (tmp_path / "map" / "index.html").read_text()
    assert MOVED in overview and "record(s)" not in overview
    assert main(["map", str(from_records), "--out", str(tmp_path / "open"), "--min-cell", "0"]) == 0
    assert f"{UNKNOWN_STUDENTS} record(s) name 1 school(s)" in (tmp_path / "open" / "index.html").read_text()


def test_design_and_run_scorecards_carry_the_data_notes(from_records: Path, tmp_path: Path) -> None:
    """scorecard.json of `design` (and `run`, which writes it the same way) lists the published notes: the
    geocode one, not the records warning that counts 3 students."""
    assert main(["design", str(from_records), "--out", str(tmp_path / "d"), "--effort", "quick"]) == 0
    notes = json.loads((tmp_path / "d" / "scorecard.json").read_text())["data_warnings"]
    assert moved_note(notes) and not any("record(s)" in note for note in notes)
    assert notes == data_notes(load_district(from_records))
