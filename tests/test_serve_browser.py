"""`feeder serve` in headless Chromium: the page shows what a re-design keeps (the plan's scorecard.json),
lock two schools on the map, re-design, get a plan that keeps them and the spec, and read what changed
and what the locks cost."""

from __future__ import annotations

import io
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from test_maps_browser import browser  # noqa: F401 (a fixture: conftest's reaches no host, not even 127.0.0.1)

from feeder.compare import matching
from feeder.district import load_district

pytestmark = pytest.mark.browser


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def server(lcps_path: Path, tmp_path_factory: pytest.TempPathFactory):
    """`feeder serve` on Loudoun, starting from a plan of its high-school pyramids, with a scorecard.json
    beside it whose spec (10-20 schools, at most 13,000 students) a re-design must keep."""
    district = load_district(lcps_path)
    plan = tmp_path_factory.mktemp("plan") / "pyramids.csv"
    plan.write_text(
        district.schools[["school_id", "pyramid"]]
        .rename(columns={"pyramid": "portfolio"})
        .to_csv(index=False)
    )
    spec = {"min_size": 10, "max_size": 20, "max_enrollment": 13000}
    (plan.parent / "scorecard.json").write_text(json.dumps({"spec": spec}))
    process, port = start_serving(lcps_path, plan)
    yield f"http://127.0.0.1:{port}/", district
    stop(process)


def test_redesign_keeps_the_plans_spec_and_says_what_changed(browser, server) -> None:  # noqa: F811
    url, district = server
    browser.get(url)
    deadline = time.monotonic() + 30
    while not browser.execute_script("return !!(window.feeder && window.feeder.lock)"):
        assert time.monotonic() < deadline, "the edit mode never started"
        time.sleep(0.1)
    assert browser.execute_script("return feeder.scorecard().min_size") == 10  # judged by the plan's spec
    schools = district.schools
    first = schools.loc[schools["level"] == "high", "school_id"].iloc[0]
    pyramid = schools.set_index("school_id")["pyramid"]
    second = pyramid[(pyramid == pyramid[first]) & (pyramid.index != first)].index[0]
    for school in (first, second):
        browser.execute_script("feeder.lock(arguments[0])", school)
    browser.find_element("css selector", "[data-ref=toggle]").click()
    keeps = browser.find_element("css selector", "[data-ref=keeps]")
    assert (
        keeps.is_displayed()
        and keeps.text == "Re-design keeps: 10-20 schools · at most 13,000 students · contiguous"
    )
    button = browser.find_element("css selector", "[data-ref=redesign]")
    assert button.is_displayed()
    before = browser.execute_script("return feeder.planCsv()")
    button.click()
    deadline = time.monotonic() + 180
    while browser.execute_script("return feeder.planCsv()") == before:
        assert time.monotonic() < deadline, "the re-designed plan never arrived"
        time.sleep(0.2)
    plan = pd.read_csv(io.StringIO(browser.execute_script("return feeder.planCsv()")), dtype=str)
    portfolio = dict(zip(plan["school_id"], plan["portfolio"], strict=True))
    assert set(portfolio) == set(district.ids)
    assert portfolio[first] == portfolio[second] == pyramid[first]
    sizes = plan["portfolio"].value_counts()
    assert sizes.min() >= 10 and sizes.max() <= 20
    students = (
        schools.set_index("school_id")["enrollment"]
        .fillna(0)
        .groupby(plan.set_index("school_id")["portfolio"])
    )
    assert students.sum().max() <= 13000
    old = pd.read_csv(io.StringIO(before), dtype=str)["portfolio"].to_numpy()
    partner = matching(old, plan["portfolio"].to_numpy())
    # schools in another portfolio, portfolios matched one-to-one as `feeder compare` matches them
    moved = sum(partner[b] != a for a, b in zip(old, plan["portfolio"], strict=True))
    message = browser.find_element("css selector", "[data-ref=message]").text
    assert re.fullmatch(
        rf"Proposal applied: {moved} schools? moved, cohesion \d+\.\d % → \d+\.\d %; Undo discards it\.",
        message,
    ), message
    cost = browser.find_element("css selector", "[data-ref=message] + .feeder-redesign-note")
    assert cost.is_displayed() and re.fullmatch(
        r"Last re-design: the locks cost (\d\.\d{4}|no) cohesion \(the same search without them: "
        r"cohesion \d\.\d{4}, \d+ schools? placed differently\)\.",
        cost.text,
    ), cost.text


LOCKS = "school_id,portfolio\nLCH,North\nWHS,North\nMSE,South A\nHUT,South B\n"  # the audit's lock file


@pytest.fixture(scope="module")
def designed(lcps_path: Path, tmp_path_factory: pytest.TempPathFactory):
    """`feeder design --lock --max-high-schools 3 --effort quick` on Loudoun, then `feeder serve` of its
    portfolios.csv: the spec (locks and cap) comes from the scorecard.json beside it."""
    from feeder.cli import main

    folder = tmp_path_factory.mktemp("designed")
    (folder / "locks.csv").write_text(LOCKS)
    out = folder / "out"
    command = ["design", str(lcps_path), "--out", str(out), "--lock", str(folder / "locks.csv")]
    assert main([*command, "--max-high-schools", "3", "--effort", "quick"]) == 0
    process, port = start_serving(lcps_path, out / "portfolios.csv")
    yield f"http://127.0.0.1:{port}/", out
    stop(process)


def start_serving(district: Path, plan: Path, *options: str) -> tuple[subprocess.Popen, int]:
    """`feeder serve DISTRICT --plan PLAN [OPTIONS]` on a free port, once it listens."""
    port = free_port()
    command = [sys.executable, "-m", "feeder.cli", "serve", str(district), "--plan", str(plan), *options]
    process = subprocess.Popen(
        [*command, "--port", str(port)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    deadline = time.monotonic() + 60
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return process, port
        except OSError:
            assert process.poll() is None, process.stderr.read()
            assert time.monotonic() < deadline, "feeder serve never listened"
            time.sleep(0.2)


def stop(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            os.kill(process.pid, signal.SIGKILL)


def open_served(browser, url: str) -> None:  # noqa: F811
    browser.get(url)
    deadline = time.monotonic() + 30
    while not browser.execute_script("return !!(window.feeder && window.feeder.lock)"):
        assert time.monotonic() < deadline, "the edit mode never started"
        time.sleep(0.1)


def outline(browser, school: str) -> dict[str, str | None]:  # noqa: F811
    """The stroke attributes of a school's symbol on the map."""
    return browser.execute_script(
        "var id = arguments[0], layer; feeder.layers.schools.eachLayer(function (m) {"
        "  if (m.feature.properties.id === id) { layer = m; } });"
        "var path = layer.getElement();"
        "return {stroke: path.getAttribute('stroke'), dash: path.getAttribute('stroke-dasharray'),"
        " cap: path.getAttribute('stroke-linecap')}",
        school,
    )


def test_the_plans_recorded_locks_show_locked_and_download(browser, designed, tmp_path: Path) -> None:  # noqa: F811
    """The audit: serve kept the scorecard.json locks in every re-design, but the page showed them free
    and "Download locks" left them out. They are locked at load, look like a hand lock, cannot be
    moved or unlocked (the server would keep them anyway), download, and a re-design accepts them."""
    url, _ = designed
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    browser.execute_cdp_cmd("Page.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)})
    open_served(browser, url)
    expected = pd.read_csv(io.StringIO(LOCKS), dtype=str)
    locks = pd.read_csv(io.StringIO(browser.execute_script("return feeder.locksCsv()")), dtype=str)
    assert sorted(map(tuple, locks.to_numpy())) == sorted(map(tuple, expected.to_numpy()))
    browser.find_element("css selector", "[data-ref=toggle]").click()
    assert (
        browser.find_element("css selector", "[data-ref=selection]").text == "0 schools selected · 4 locked"
    )
    hand = browser.execute_script(
        "return FEEDER_EDIT.ids.find(function (id) { return !/^(LCH|WHS|MSE|HUT)$/.test(id); })"
    )
    browser.execute_script("feeder.lock(arguments[0])", hand)
    assert outline(browser, "MSE") == outline(browser, hand)  # a spec lock looks like a hand lock
    assert outline(browser, "MSE")["dash"] is not None
    browser.execute_script("feeder.unlock(arguments[0])", hand)
    assert browser.execute_script("return feeder.assign('MSE', 'North')") == 0
    browser.execute_script("feeder.select(['MSE', 'LCH'])")
    browser.find_element("css selector", "[data-ref=unlock]").click()
    assert browser.find_element("css selector", "[data-ref=message]").text.startswith(
        "2 schools stay locked: the plan's spec locks them"
    )
    browser.find_element("css selector", "[data-ref=clear]").click()
    browser.find_element("css selector", "[data-ref=saveLocks]").click()
    saved = downloads / "locks.csv"
    deadline = time.monotonic() + 10
    while not saved.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert saved.read_text(encoding="utf-8") == browser.execute_script("return feeder.locksCsv()")
    button = browser.find_element("css selector", "[data-ref=redesign]")
    button.click()
    deadline = time.monotonic() + 300
    message = browser.find_element("css selector", "[data-ref=message]")
    while message.text.startswith("Re-designing"):
        assert time.monotonic() < deadline, "the re-design never answered"
        time.sleep(0.2)
    assert message.text.startswith(("Proposal applied", "The re-design kept")), message.text
    plan = pd.read_csv(io.StringIO(browser.execute_script("return feeder.planCsv()")), dtype=str)
    portfolio = dict(zip(plan["school_id"], plan["portfolio"], strict=True))
    assert {school: portfolio[school] for school in expected["school_id"]} == dict(
        zip(expected["school_id"], expected["portfolio"], strict=True)
    )


def test_a_broken_recorded_cap_shows_live_as_feeder_score_words_it(
    browser,  # noqa: F811
    designed,
    lcps_path: Path,
) -> None:
    """The plan was designed with --max-high-schools 3: an edit giving a portfolio a fourth high school
    shows the broken rule in the scorecard at once, in `feeder score`'s words, and Undo clears it."""
    from feeder.plan import Plan
    from feeder.recorded_spec import resolve_spec

    url, out = designed
    district = load_district(lcps_path)
    spec = resolve_spec(district=district, plan_file=out / "portfolios.csv", given={}, locks=None).spec
    assert spec.max_high_schools == 3
    open_served(browser, url)
    rule = "return document.querySelector('[data-ref=scorecard] tr:last-child').textContent"
    assert browser.execute_script("return feeder.scorecard().violations") == []
    assert browser.execute_script(rule) == "violationsnonethe plan meets every rule of its spec"
    plan = Plan.from_csv(district, out / "portfolios.csv", spec=spec)
    high = district.schools["level"].eq("high").to_numpy()
    counts = pd.Series(high, index=plan.labels).groupby(level=0).sum()
    full = counts.idxmax()
    assert counts[full] == 3
    mover = next(
        school
        for school, label, is_high in zip(district.ids, plan.labels, high, strict=True)
        if is_high and label != full and school not in {"LCH", "WHS", "MSE", "HUT"}
    )
    browser.execute_script("feeder.assign(arguments[0], arguments[1])", mover, full)
    page = browser.execute_script("return feeder.scorecard().violations")
    edited = pd.read_csv(io.StringIO(browser.execute_script("return feeder.planCsv()")), dtype=str)
    labels = edited["portfolio"].to_numpy(dtype=object)
    assert page == Plan(district, labels, spec=spec).score()["violations"]
    assert f"high schools cap: portfolios above --max-high-schools 3 high schools: {full} (4)" in page
    shown = browser.execute_script(rule)
    assert shown.startswith("violations") and f"{full} (4)" in shown
    browser.execute_script("feeder.undo()")
    assert browser.execute_script("return feeder.scorecard().violations") == []


def test_a_redesign_cut_short_by_the_time_limit_says_so(browser, designed, lcps_path: Path) -> None:  # noqa: F811
    """`feeder serve --time-limit`: a re-design stopped by it says so, as the lock cost does."""
    _, out = designed
    process, port = start_serving(lcps_path, out / "portfolios.csv", "--time-limit", "0.5")
    try:
        open_served(browser, f"http://127.0.0.1:{port}/")
        browser.find_element("css selector", "[data-ref=toggle]").click()
        browser.find_element("css selector", "[data-ref=redesign]").click()
        note = "[data-ref=message] + .feeder-redesign-note"
        deadline = time.monotonic() + 120
        while not browser.execute_script(
            f"var e = document.querySelector('{note}'); return !!(e && !e.hidden)"
        ):
            assert time.monotonic() < deadline, browser.find_element(
                "css selector", "[data-ref=message]"
            ).text
            time.sleep(0.2)
        assert re.fullmatch(
            r"Last re-design: stopped at --time-limit \(a longer one may find a better plan\); the locks cost "
            r".* \(stopped at --time-limit\)\.",
            browser.find_element("css selector", note).text,
        )
    finally:
        stop(process)
