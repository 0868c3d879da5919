"""The map key explains every mark a page can show: the lock outline where locks can appear, and the
ring around a school whose site the load warnings doubt (with the popup line saying why)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from conftest import LCPS
from test_data_notes import loudoun_schools
from test_maps import data, features
from test_maps_browser import browser, open_page, script_errors  # noqa: F401 (browser is a fixture)

from feeder.district import load_district
from feeder.maps import render_maps
from feeder.plan import Plan
from feeder.spec import DesignSpec

LOCKED_ENTRY = re.compile(r'<li class="feeder-legend-key feeder-key-locked"( hidden)?>')
CHECK = "Location to check"


@pytest.fixture(scope="module")
def moved(tmp_path_factory: pytest.TempPathFactory) -> Plan:
    """Loudoun's pyramids with Moorefield Station ES (MSE) geocoded 55 km south; the spec locks two schools."""
    path = tmp_path_factory.mktemp("moved")
    schools = loudoun_schools()
    schools["portfolio"] = schools["pyramid"]
    schools.to_csv(path / "schools.csv", index=False)
    shutil.copy(LCPS / "flows.csv", path / "flows.csv")
    district = load_district(path)
    spec = DesignSpec(min_size=4, max_size=40, locks=(("LCH", "Pyramid A"), ("WHS", "Pyramid A")))
    return Plan.current(district, spec=spec)


@pytest.fixture(scope="module")
def pages(moved: Plan, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("maps")
    render_maps(moved, folder)
    return folder


def read(folder: Path, name: str) -> str:
    return (folder / name).read_text(encoding="utf-8")


def test_the_lock_outline_is_in_the_key_of_the_page_that_can_lock(pages: Path, moved: Plan) -> None:
    overview = LOCKED_ENTRY.findall(read(pages, "index.html"))
    assert overview == [""], "the overview (the editor) explains the dashed outline of a locked school"
    assert "Locked school" in read(pages, "index.html").split('class="feeder-map-key"')[1]
    for page in pages.glob("cohort-*.html"):  # no editor there: no school is ever drawn locked
        assert not LOCKED_ENTRY.search(read(pages, page.name)), page.name


def test_the_lock_entry_waits_hidden_until_a_school_is_locked(make_district, tmp_path: Path) -> None:
    from test_maps import FLOWS, SCHOOLS

    render_maps(Plan.current(load_district(make_district(SCHOOLS, FLOWS))), tmp_path)
    assert LOCKED_ENTRY.findall(read(tmp_path, "index.html")) == [" hidden"]


def test_a_school_the_load_warnings_doubt_is_ringed_explained_and_keyed(pages: Path) -> None:
    overview = read(pages, "index.html")
    ringed = features(overview, "checks")
    assert [f["properties"]["id"] for f in ringed] == ["MSE"]
    assert ringed[0]["geometry"] == next(
        f["geometry"] for f in features(overview, "schools") if f["properties"]["id"] == "MSE"
    )
    mse = next(f for f in features(overview, "schools") if f["properties"]["id"] == "MSE")
    rows = dict(map(tuple, mse["properties"]["rows"]))
    assert rows[CHECK].startswith("school &#x27;MSE&#x27; (Moorefield Station Es) is 4")
    assert rows[CHECK].endswith("check its lat/lon (a geocoder&#x27;s wrong match?)")
    assert "far from the other schools: check its site" in overview.split('class="feeder-map-key"')[1]
    others = [f for f in features(overview, "schools") if f["properties"]["id"] != "MSE"]
    assert not any(CHECK in dict(map(tuple, f["properties"]["rows"])) for f in others)
    for page in pages.glob("cohort-*.html"):
        text = read(pages, page.name)
        drawn = {f["properties"]["id"] for key in ("schools", "others") for f in features(text, key)}
        assert ("checks" in data(text)) == ("MSE" in drawn), page.name
        assert ("far from the other schools" in text) == ("MSE" in drawn), page.name


def test_a_district_without_doubtful_sites_has_no_ring_and_no_entry(make_district, tmp_path: Path) -> None:
    from test_maps import FLOWS, SCHOOLS

    render_maps(Plan.current(load_district(make_district(SCHOOLS, FLOWS))), tmp_path)
    overview = read(tmp_path, "index.html")
    assert "checks" not in data(overview)
    assert "far from the other schools" not in overview


@pytest.mark.browser
def test_the_ring_is_drawn_and_the_lock_entry_follows_the_locks(browser, pages: Path, moved: Plan) -> None:  # noqa: F811
    n = len(moved.district.schools)
    assert open_page(browser, pages / "index.html", "path.feeder-school", n) == n
    assert browser.execute_script("return document.querySelectorAll('path.feeder-check').length") == 1
    entry = "return document.querySelector('.feeder-key-locked').hidden"
    assert browser.execute_script(entry) is False  # the spec locks LCH and WHS
    browser.execute_script("feeder.edit(true); feeder.unlock('LCH'); feeder.unlock('WHS');")
    assert browser.execute_script(entry) is True
    browser.execute_script("feeder.lock('MSE');")
    assert browser.execute_script(entry) is False
    assert script_errors(browser) == []
