"""Regenerate the README's screenshots from the bundled sample with headless Chromium.

    python scripts/screenshots.py   # writes docs/overview.png, docs/editing.png, docs/report.png

Designs the sample as `feeder run` does, draws its maps into a temporary folder and
photographs the overview page, then the same page in edit mode after three schools
move, then the first sheet of its printed report. Needs Debian's chromium and
chromium-driver and selenium (the test extra).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from selenium import webdriver

from feeder.alignment import check_alignment
from feeder.design import design
from feeder.district import load_district
from feeder.maps import render_maps
from feeder.report.cohorts import report_files
from feeder.sample import sample_path
from feeder.spec import DesignSpec

FLAGS = (
    "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--window-size=1440,900",
    "--host-resolver-rules=MAP * ~NOTFOUND",  # offline: the street tiles stay blank
)  # fmt: skip


def browser(profile: Path) -> webdriver.Chrome:
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in (*FLAGS, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    return webdriver.Chrome(service=webdriver.ChromeService("/usr/bin/chromedriver"), options=options)


def wait_for(driver: webdriver.Chrome, script: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not driver.execute_script(script):
        if time.monotonic() > deadline:
            raise TimeoutError(script)
        time.sleep(0.2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("docs"))
    args = parser.parse_args()
    district = load_district(sample_path())
    plan = design(district, spec=DesignSpec(within_region=district.has_regions), seed=0)
    with tempfile.TemporaryDirectory() as work:
        folder = Path(work) / "maps"
        render_maps(plan, folder)
        driver = browser(Path(work) / "profile")
        try:
            driver.get((folder / "index.html").as_uri())
            wait_for(driver, "return !!(window.feeder && window.feeder.scorecard)")
            time.sleep(1)
            driver.save_screenshot(str(args.out / "overview.png"))
            driver.find_element("css selector", "[data-ref=toggle]").click()
            moved = driver.execute_script(
                "var ids = FEEDER_EDIT.ids, plan = feeder.planCsv().split('\\n').slice(1);"
                "var labels = plan.map(function (row) { return row.split(',')[1]; });"
                "var done = [];"
                "for (var k = 0; k < FEEDER_EDIT.edges.length && done.length < 3; k++) {"
                "  var a = FEEDER_EDIT.edges[k][0], b = FEEDER_EDIT.edges[k][1];"
                "  if (labels[a] !== labels[b] && done.indexOf(ids[a]) < 0) {"
                "    feeder.assign(ids[a], labels[b]); done.push(ids[a]); } }"
                "feeder.select(done); return done;"
            )
            time.sleep(1)
            driver.save_screenshot(str(args.out / "editing.png"))
            report = Path(work) / "report"
            report.mkdir()
            for name, content in report_files(plan, check_alignment(district, plan)).items():
                (report / name).write_text(content, encoding="utf-8")
            driver.set_window_size(1000, 1000)
            driver.get((report / "report.html").as_uri())
            time.sleep(1)
            driver.save_screenshot(str(args.out / "report.png"))
        finally:
            driver.quit()
    print(f"wrote overview.png, editing.png ({len(moved)} schools moved) and report.png to {args.out}")


if __name__ == "__main__":
    main()
