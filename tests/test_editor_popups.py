"""Editor popups follow every move: "Students by portfolio" and "Sends" read as Python writes them for
the edited plan. (The overview page holds no Sankey diagram; the report's are not editable.)"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from test_maps_browser import browser, script_errors  # noqa: F401 (browser is a fixture)
from test_maps_edit_browser import SAMPLE, load, python_plan, records_district

from feeder.district import load_district
from feeder.maps import render_maps
from feeder.maps.features import draw
from feeder.maps.model import build_model
from feeder.plan import Plan

pytestmark = pytest.mark.browser

ROWS = ("Students by portfolio", "Sends")
PAGE_ROWS = """
var wanted = arguments[0], rows = {};
feeder.layers.schools.eachLayer(function (marker) {
  var p = marker.feature.properties, mine = {};
  p.rows.forEach(function (row) { if (wanted.indexOf(row[0]) >= 0) { mine[row[0]] = row[1]; } });
  rows[p.id] = mine;
});
return rows;
"""


def page_rows(browser) -> dict[str, dict[str, str]]:  # noqa: F811
    """Each school's popup rows that depend on flows, as the page would open them now."""
    return browser.execute_script(PAGE_ROWS, list(ROWS))


def python_rows(plan: Plan) -> dict[str, dict[str, str]]:
    """The same rows as Python writes them for `plan` (a fresh map of it)."""
    schools = draw(build_model(plan)).schools
    return {
        s["properties"]["id"]: {label: value for label, value in s["properties"]["rows"] if label in ROWS}
        for s in schools
    }


def mover_and_target(plan: Plan) -> tuple[str, str]:
    """A middle school with flows both ways, and another portfolio to move it to."""
    schools = plan.district.schools
    mover = schools.loc[schools["level"] == "middle", "school_id"].iloc[0]
    return mover, next(name for name in sorted(plan.sizes()) if name != plan.assignment[mover])


def test_popups_follow_a_move_as_python_writes_them(browser, tmp_path: Path) -> None:  # noqa: F811
    plan = Plan.current(load_district(SAMPLE))
    render_maps(plan, tmp_path / "maps")
    load(browser, plan, tmp_path / "maps")
    assert page_rows(browser) == python_rows(plan)
    mover, target = mover_and_target(plan)
    browser.execute_script("feeder.assign(arguments[0], arguments[1])", mover, target)
    edited = python_plan(plan, browser.execute_script("return feeder.planCsv()"), tmp_path)
    expected = python_rows(edited)
    assert expected != python_rows(plan)
    assert page_rows(browser) == expected
    browser.execute_script("feeder.undo()")
    assert page_rows(browser) == python_rows(plan)
    assert script_errors(browser) == []


def test_a_records_district_keeps_exact_rows_until_a_move_then_estimates(browser, tmp_path: Path) -> None:  # noqa: F811
    """With flows from student records the page holds published counts only: a popup keeps the text
    Python wrote from exact counts while none of the school's flows changed sides; after a move its
    rows are sums of published counts, published again and marked ≈."""
    plan = Plan.current(load_district(records_district(tmp_path / "lcps")))
    render_maps(plan, tmp_path / "maps")
    load(browser, plan, tmp_path / "maps")
    drawn = python_rows(plan)
    assert page_rows(browser) == drawn
    mover, target = mover_and_target(plan)
    browser.execute_script("feeder.assign(arguments[0], arguments[1])", mover, target)
    now = page_rows(browser)
    assert "≈" in now[mover]["Students by portfolio"] and "≈" in now[mover]["Sends"]
    home = plan.assignment[mover]
    assert f"{home} (this portfolio)" in drawn[mover]["Students by portfolio"]
    assert f"{home}: from ≈ " in now[mover]["Students by portfolio"]  # its old portfolio is another now
    unchanged = [school for school, rows in now.items() if "≈" not in "".join(rows.values())]
    assert unchanged and all(now[school] == drawn[school] for school in unchanged)
    for rows in now.values():  # every count shown is "<10" or a multiple of 10
        for count in re.findall(r"(?<![\w&#])(\d[\d,]*)(?! %)", " ".join(rows.values())):
            assert int(count.replace(",", "")) % 10 == 0, rows
    assert script_errors(browser) == []
