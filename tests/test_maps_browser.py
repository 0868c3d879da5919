"""The maps in a real browser: headless Chromium opens them from file:// with no network.

Needs Debian's chromium and chromium-driver (/usr/bin/chromium, /usr/bin/chromedriver)
and selenium; skipped with the reason when any is missing.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from feeder.district import load_district
from feeder.maps import cohort_file_names, render_maps
from feeder.plan import Plan

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample"
FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1400,900",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",  # no network but loopback (feeder serve)
)

pytestmark = pytest.mark.browser

webdriver = pytest.importorskip(
    "selenium.webdriver", reason="selenium is not installed (pip install selenium)"
)


@pytest.fixture(scope="module")
def browser() -> Iterator[webdriver.Chrome]:
    for path in (CHROMIUM, CHROMEDRIVER):
        if not path.exists():
            pytest.skip(f"{path} not found (apt-get install -y chromium chromium-driver)")
    profile = tempfile.mkdtemp(prefix="feeder-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (*FLAGS, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=webdriver.ChromeService(str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)


def district_plan(lcps_fallback: Path) -> Plan:
    """The sample district's plan; LCPS (by pyramid) where the sample is missing."""
    if (SAMPLE / "schools.csv").exists():
        return Plan.current(load_district(SAMPLE))
    district = load_district(lcps_fallback)
    return Plan(district, district.schools["pyramid"].to_numpy(dtype=object))


@pytest.fixture(scope="module")
def maps(tmp_path_factory: pytest.TempPathFactory) -> tuple[Plan, Path]:
    lcps = Path(__file__).resolve().parents[2] / "shared" / "data" / "lcps"
    if not (SAMPLE / "schools.csv").exists() and not (lcps / "schools.csv").exists():
        pytest.skip("neither the sample district nor LCPS is available")
    plan = district_plan(lcps)
    folder = tmp_path_factory.mktemp("maps")
    render_maps(plan, folder)
    return plan, folder


def open_page(browser: webdriver.Chrome, page: Path, selector: str, expected: int) -> int:
    """Load a map and wait (up to 20 s) until `expected` elements match `selector`."""
    browser.get_log("browser")  # drop what earlier pages logged
    browser.get(page.as_uri())
    count = 0
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        count = browser.execute_script("return document.querySelectorAll(arguments[0]).length", selector)
        if count >= expected:
            break
        time.sleep(0.1)
    return count


def script_errors(browser: webdriver.Chrome) -> list[dict]:
    """Console errors other than failed network requests (the street tiles, offline)."""
    return [e for e in browser.get_log("browser") if e["level"] == "SEVERE" and e.get("source") != "network"]


def test_overview_draws_every_school(
    browser: webdriver.Chrome, maps: tuple[Plan, Path], tmp_path: Path
) -> None:
    plan, folder = maps
    n = len(plan.district.schools)
    assert open_page(browser, folder / "index.html", "path.feeder-school", n) == n
    assert browser.execute_script("return typeof L") == "object"
    assert browser.execute_script(
        "return document.querySelectorAll('.feeder-legend-portfolio').length"
    ) == len(plan.sizes())
    layers = browser.execute_script(
        "return [...document.querySelectorAll('.leaflet-control-layers-overlays span')].map(s => s.textContent.trim())"
    )
    assert {"Portfolio areas", "Student flows", "Schools", "Meeting sites"} <= set(layers)
    assert script_errors(browser) == []
    browser.save_screenshot(str(tmp_path / "overview.png"))


def test_cohort_map_draws_its_members_and_meeting_site(
    browser: webdriver.Chrome, maps: tuple[Plan, Path], tmp_path: Path
) -> None:
    plan, folder = maps
    name, members = next(iter(plan.portfolios().items()))
    page = folder / cohort_file_names(sorted(plan.sizes()))[name]
    assert open_page(browser, page, "path.feeder-school", len(members)) == len(members)
    assert browser.execute_script("return document.querySelectorAll('path.feeder-meeting-site').length") == 1
    assert (
        browser.execute_script("return document.querySelectorAll('.feeder-members tr').length")
        == len(members) + 1
    )
    assert script_errors(browser) == []
    browser.save_screenshot(str(tmp_path / "cohort.png"))


def test_popup_shows_hostile_names_as_text(browser: webdriver.Chrome, make_district, tmp_path: Path) -> None:
    evil = "<img src=x onerror=document.title='owned'><script>document.title='owned'</script>"
    schools = [
        {
            "school_id": "E1",
            "name": evil,
            "level": "elementary",
            "lat": "39.10",
            "lon": "-77.50",
            "portfolio": "A",
        },
        {
            "school_id": "M1",
            "name": "{{ 7*7 }}",
            "level": "middle",
            "lat": "39.12",
            "lon": "-77.52",
            "portfolio": "A",
        },
    ]
    plan = Plan.current(load_district(make_district(schools, [("E1", "M1", 50)])))
    render_maps(plan, tmp_path)
    assert open_page(browser, tmp_path / "index.html", "path.feeder-school", 2) == 2
    browser.execute_script(
        "document.querySelector('path.feeder-school').dispatchEvent(new MouseEvent('click', {bubbles: true}))"
    )
    heading = browser.execute_script(
        "var h = document.querySelector('.leaflet-popup-content h3'); return h && h.textContent"
    )
    assert heading == evil  # the first school drawn, shown as text
    assert browser.title != "owned"
    assert script_errors(browser) == []


@pytest.mark.slow
def test_thousand_schools_open_and_zoom_quickly(browser: webdriver.Chrome, tmp_path: Path) -> None:
    from synthetic import generate_district, write_district

    schools, flows = generate_district(1000, seed=5)
    plan = Plan.current(load_district(write_district(tmp_path / "district", schools, flows)))
    render_maps(plan, tmp_path / "maps")
    start = time.monotonic()
    assert open_page(browser, tmp_path / "maps" / "index.html", "path.feeder-school", 1000) == 1000
    loaded = time.monotonic() - start
    zoom = browser.execute_async_script(
        """
        var done = arguments[arguments.length - 1];
        var map = Object.values(window).find(v => v instanceof L.Map);
        var start = performance.now();
        map.once('zoomend', () => requestAnimationFrame(() => done(performance.now() - start)));
        map.setZoom(map.getZoom() + 1, {animate: false});
        """
    )
    assert loaded < 15, f"index.html took {loaded:.1f} s to draw"
    assert zoom < 2000, f"a zoom step took {zoom:.0f} ms"
    assert script_errors(browser) == []


def test_map_key_reads_without_scrolling_at_1280_by_720(
    browser: webdriver.Chrome, maps: tuple[Plan, Path]
) -> None:
    plan, folder = maps
    browser.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": 1280, "height": 720, "deviceScaleFactor": 1, "mobile": False},
    )
    try:
        n = len(plan.district.schools)
        assert open_page(browser, folder / "index.html", "path.feeder-school", n) == n
        browser.execute_script("feeder.lock(FEEDER_EDIT.ids[0])")  # the key's last entry shows with a lock
        assert browser.execute_script("return document.querySelector('.feeder-key-locked').hidden") is False
        key = browser.execute_script(
            "var r = document.querySelector('.feeder-map-key').getBoundingClientRect();"
            "return [r.left, r.top, r.right, r.bottom, innerWidth, innerHeight]"
        )
        left, top, right, bottom, width, height = key
        assert (width, height) == (1280, 720)
        assert left >= 420 and right <= width and top >= 0 and bottom <= height  # on the map, all visible
        # the lowest key entry is really on screen, not covered by the map or cut off
        last = browser.execute_script(
            "var items = document.querySelectorAll('.feeder-map-key li'); var r = items[items.length - 1]"
            ".getBoundingClientRect(); var hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);"
            "return items[items.length - 1].contains(hit)"
        )
        assert last
    finally:
        browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


LABELS_AFTER_ZOOM = """
var done = arguments[arguments.length - 1], step = arguments[0];
var map = Object.values(window).find(v => v instanceof L.Map);
map.once('zoomend', () => setTimeout(() => {
  var spans = [...document.querySelectorAll('.feeder-area-label span')];
  var shown = spans.filter(s => getComputedStyle(s).visibility !== 'hidden')
    .map(s => { var b = s.getBoundingClientRect(); return [b.left, b.top, b.right, b.bottom]; });
  done({zoom: map.getZoom(), all: spans.length, shown: shown});
}, 100));
map.setZoom(map.getZoom() + step, {animate: false});
"""


def overlapping(boxes: list[list[float]]) -> list[tuple[int, int]]:
    return [
        (i, j)
        for i, a in enumerate(boxes)
        for j, b in enumerate(boxes[:i])
        if a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]
    ]


def test_area_names_never_cover_each_other_and_return_when_zoomed_in(
    browser: webdriver.Chrome, maps: tuple[Plan, Path]
) -> None:
    """LAUSD's 35 portfolio names piled up over its centre at the opening zoom."""
    plan, folder = maps
    n = len(plan.district.schools)
    assert open_page(browser, folder / "index.html", "path.feeder-school", n) == n
    out = browser.execute_async_script(LABELS_AFTER_ZOOM, -2)
    assert out["all"] == len(plan.sizes())
    assert overlapping(out["shown"]) == []
    assert len(out["shown"]) < out["all"], "two zoom steps out, some names must give way"
    back = browser.execute_async_script(LABELS_AFTER_ZOOM, 4)
    assert overlapping(back["shown"]) == []
    assert len(back["shown"]) > len(out["shown"])
    assert script_errors(browser) == []


def test_every_school_on_a_shared_campus_shows_and_takes_its_own_click(
    browser: webdriver.Chrome, maps: tuple[Plan, Path]
) -> None:
    """Schools on one site (the sample has 23 on 8 campuses, five high schools at Esteban Torres)
    fan out around it: zoomed in on each campus (to 18, where a school 18 m away on the same campus,
    Carson Senior High, has room), the centre of every member's symbol is that
    symbol, not another school stacked on it, and a click there opens the member's own popup."""
    plan, folder = maps
    schools = plan.district.schools
    sites = schools.groupby([schools["lat"].round(5), schools["lon"].round(5)]).indices
    campuses = {site: members for site, members in sites.items() if len(members) > 1}
    assert campuses  # the sample has shared campuses; LCPS (the fallback) would need one
    n = len(schools)
    assert open_page(browser, folder / "index.html", "path.feeder-school", n) == n
    for (lat, lon), members in campuses.items():
        browser.execute_script(
            "var map = Object.values(window).find(v => v instanceof L.Map);"
            "map.closePopup(); map.setView([arguments[0], arguments[1]], 18, {animate: false});",
            lat,
            lon,
        )
        for school_id in sorted(schools["school_id"].iloc[members]):
            name = schools.loc[schools["school_id"] == school_id, "name"].iloc[0]
            on_top, title = browser.execute_script(CLICK_CENTRE, school_id)
            assert on_top, f"{name} is hidden under another school at ({lat}, {lon})"
            assert title == name


# Whether a school's symbol is the topmost element at its centre, and the title of the popup a
# click there opens (computed right before the click: an opened popup pans the map).
CLICK_CENTRE = """
var wanted = arguments[0], element = null;
var map = Object.values(window).find(v => v instanceof L.Map);
map.closePopup();
document.querySelectorAll(".leaflet-popup").forEach(function (faded) { faded.remove(); });  // still fading out
feeder.layers.schools.eachLayer(function (layer) {
  if (layer.feature.properties.id === wanted) { element = layer.getElement(); }
});
var box = element.getBoundingClientRect(), x = box.left + box.width / 2, y = box.top + box.height / 2;
var top = document.elementFromPoint(x, y);
top.dispatchEvent(new MouseEvent("click", {bubbles: true, clientX: x, clientY: y}));
var title = document.querySelector(".leaflet-popup-content h3");
return [top === element, title && title.textContent];
"""
