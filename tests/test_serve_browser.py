"""`feeder serve` in headless Chromium: the page shows what a re-design keeps (the plan's scorecard.json),
lock two schools on the map, re-design, get a plan that keeps them and the spec, and read what changed."""

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
from test_maps_browser import browser  # noqa: F401 (a fixture)

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
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "feeder.cli",
        "serve",
        str(lcps_path),
        "--plan",
        str(plan),
        "--port",
        str(port),
    ]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                break
        except OSError:
            assert process.poll() is None, process.stderr.read()
            assert time.monotonic() < deadline, "feeder serve never listened"
            time.sleep(0.2)
    yield f"http://127.0.0.1:{port}/", district
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            os.kill(process.pid, signal.SIGKILL)


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
