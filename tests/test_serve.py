"""`feeder serve`: the re-design API answers plans that meet the request, refuses bad requests in one
line, can be cancelled, and never writes into the district folder."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from starlette.testclient import TestClient

from feeder.district import load_district
from feeder.plan import Plan
from feeder.serve import create_app

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"


@pytest.fixture(scope="module")
def lcps_client(lcps_path: Path):
    district = load_district(lcps_path)
    plan = Plan(district, np.array(district.schools["pyramid"], dtype=object))
    with TestClient(create_app(plan, page="<html><head></head><body>map</body></html>")) as client:
        yield client


def folder_state(folder: Path) -> dict[str, tuple[int, int]]:
    return {str(p): (p.stat().st_size, p.stat().st_mtime_ns) for p in sorted(folder.rglob("*"))}


def test_redesign_meets_the_requested_sizes(lcps_client, lcps_path):
    before = folder_state(lcps_path)
    answer = lcps_client.post("/api/design", json={"min_size": 15, "max-size": 20, "seed": 1})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    district = load_district(lcps_path)
    assert set(body["plan"]) == set(district.ids)
    sizes = np.unique(list(body["plan"].values()), return_counts=True)[1]
    assert sizes.min() >= 15 and sizes.max() <= 20
    assert body["scorecard"]["min_size"] == 15 and body["scorecard"]["max_size"] == 20
    assert body["scorecard"]["size_ok"] is True
    assert folder_state(lcps_path) == before, "the server wrote into the district folder"


@pytest.mark.parametrize(
    ("body", "status", "says"),
    [
        ({"min_size": 30, "max_size": 20}, 400, "--min-size 30 is above --max-size 20"),
        ({"colour": "red"}, 400, "unknown option 'colour'"),
        ({"k": "five"}, 400, "'k' must be a whole number"),
        ({"locks": {"NO-SUCH-SCHOOL": "A"}}, 400, "'NO-SUCH-SCHOOL' is not a school of the district"),
        ({"min_size": 50, "max_size": 60}, 422, "cannot form portfolios of 50-60 schools"),
        ([1, 2], 400, "must be a JSON object"),
    ],
)
def test_bad_requests_get_one_line_reasons(lcps_client, body, status, says):
    answer = lcps_client.post("/api/design", json=body)
    assert answer.status_code == status, answer.text
    reason = answer.json()["error"]
    assert says in reason and "\n" not in reason


def test_non_finite_numbers_are_refused(lcps_client):
    answer = lcps_client.post("/api/design", content=b'{"stability": NaN}')
    assert answer.status_code == 400 and "'stability' must be a finite number" in answer.json()["error"]


def test_non_json_body_is_refused(lcps_client):
    answer = lcps_client.post("/api/design", content=b"min_size=12", headers={"content-type": "text/plain"})
    assert answer.status_code == 400 and "not JSON" in answer.json()["error"]


def test_a_running_redesign_can_be_cancelled_and_blocks_a_second_one(lcps_client):
    answers: list = []
    worker = threading.Thread(
        target=lambda: answers.append(lcps_client.post("/api/design", json={"seed": 2}))
    )
    worker.start()
    deadline = time.monotonic() + 20
    while not lcps_client.get("/api/design").json()["running"]:
        assert time.monotonic() < deadline, "the re-design never started"
        time.sleep(0.01)
    busy = lcps_client.post("/api/design", json={})
    assert busy.status_code == 409 and "already running" in busy.json()["error"]
    assert lcps_client.delete("/api/design").json() == {"cancelled": True}
    worker.join(timeout=30)
    assert answers[0].status_code == 409 and answers[0].json()["error"] == "the re-design was cancelled"
    assert lcps_client.get("/api/design").json()["running"] is False


def test_the_page_is_served_with_its_plan(lcps_client, lcps_path):
    assert lcps_client.get("/").text.startswith("<html>")
    plan = lcps_client.get("/api/plan").json()["plan"]
    district = load_district(lcps_path)
    assert plan == dict(zip(district.ids, district.schools["pyramid"], strict=True))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_the_command_prints_its_url_and_stops_cleanly_on_ctrl_c(tmp_path):
    port = free_port()
    command = [sys.executable, "-m", "feeder.cli", "serve", str(SAMPLE), "--port", str(port)]
    server = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path
    )
    try:
        line = server.stdout.readline()
        assert f"http://127.0.0.1:{port}/" in line
        deadline = time.monotonic() + 30
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                assert time.monotonic() < deadline, "the server never listened"
                time.sleep(0.1)
        server.send_signal(signal.SIGINT)
        out, err = server.communicate(timeout=30)
    finally:
        if server.poll() is None:
            os.kill(server.pid, signal.SIGKILL)
    assert server.returncode == 0, err
    assert "Traceback" not in err
    assert out.strip().endswith("stopped")
    assert list(tmp_path.iterdir()) == []


def test_redesign_keeps_locked_schools_together_and_named(lcps_client, lcps_path):
    district = load_district(lcps_path)
    high = district.schools.loc[district.schools["level"] == "high", "school_id"].tolist()
    locks = {high[0]: "Alpha", high[1]: "Alpha", high[2]: "Beta"}
    answer = lcps_client.post("/api/design", json={"locks": locks, "max_enrollment": 30000})
    assert answer.status_code == 200, answer.text
    plan = answer.json()["plan"]
    assert plan[high[0]] == plan[high[1]] == "Alpha" and plan[high[2]] == "Beta"
    assert answer.json()["scorecard"]["spec"]["max_enrollment"] == 30000
    enrollment = dict(zip(district.ids, district.schools["enrollment"].fillna(0), strict=True))
    totals: dict[str, float] = {}
    for school, portfolio in plan.items():
        totals[portfolio] = totals.get(portfolio, 0.0) + enrollment[school]
    assert max(totals.values()) <= 30000


def test_impossible_locks_are_refused_with_the_reason(lcps_client, lcps_path):
    district = load_district(lcps_path)
    schools = district.ids[:25]
    answer = lcps_client.post("/api/design", json={"locks": dict.fromkeys(schools, "Too big")})
    assert answer.status_code in (400, 422), answer.text
    assert "Too big" in answer.json()["error"]
