"""`feeder serve`: the re-design API answers plans that keep the served spec (the plan's scorecard.json,
then the command line) and the page's locks, refuses bad requests in one line, can be cancelled, and
never writes into the district folder."""

from __future__ import annotations

import importlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from starlette.testclient import TestClient

from feeder.cli import main
from feeder.district import load_district
from feeder.plan import Plan
from feeder.recorded_spec import resolve_spec
from feeder.serve import create_app
from feeder.serve.page import served_page
from feeder.spec import DesignSpec

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"
ORIGIN = "http://127.0.0.1:8765"
JSON = {"content-type": "application/json"}


@pytest.fixture(scope="module")
def lcps_client(lcps_path: Path):
    district = load_district(lcps_path)
    plan = Plan(district, np.array(district.schools["pyramid"], dtype=object))
    app = create_app(plan, page="<html><head></head><body>map</body></html>")
    with TestClient(app, base_url=ORIGIN) as client:
        yield client


def folder_state(folder: Path) -> dict[str, tuple[int, int]]:
    return {str(p): (p.stat().st_size, p.stat().st_mtime_ns) for p in sorted(folder.rglob("*"))}


def test_redesign_keeps_the_servers_sizes(lcps_path):
    district = load_district(lcps_path)
    plan = Plan(
        district,
        np.array(district.schools["pyramid"], dtype=object),
        spec=DesignSpec(min_size=15, max_size=20),
    )
    before = folder_state(lcps_path)
    with TestClient(create_app(plan, page="<html></html>"), base_url=ORIGIN) as client:
        answer = client.post("/api/design", json={"seed": 1})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert set(body["plan"]) == set(district.ids)
    sizes = np.unique(list(body["plan"].values()), return_counts=True)[1]
    assert sizes.min() >= 15 and sizes.max() <= 20
    assert body["scorecard"]["min_size"] == 15 and body["scorecard"]["max_size"] == 20
    assert body["scorecard"]["size_ok"] is True
    assert body["lock_cost"] is None and body["time_limit_hit"] is False  # no locks, no --time-limit
    assert folder_state(lcps_path) == before, "the server wrote into the district folder"


@pytest.mark.parametrize(
    ("body", "status", "says"),
    [
        ({"min_size": 10, "max_size": 20}, 400, "'min_size' 10 differs from this server's spec (12)"),
        ({"colour": "red"}, 400, "unknown option 'colour'"),
        ({"k": "five"}, 400, "'k' must be a whole number"),
        ({"locks": {"NO-SUCH-SCHOOL": "A"}}, 400, "'NO-SUCH-SCHOOL' is not a school of the district"),
        ([1, 2], 400, "must be a JSON object"),
    ],
)
def test_bad_requests_get_one_line_reasons(lcps_client, body, status, says):
    answer = lcps_client.post("/api/design", json=body)
    assert answer.status_code == status, answer.text
    reason = answer.json()["error"]
    assert says in reason and "\n" not in reason


def test_non_finite_numbers_are_refused(lcps_client):
    answer = lcps_client.post("/api/design", content=b'{"stability": NaN}', headers=JSON)
    assert answer.status_code == 400 and "'stability' must be a finite number" in answer.json()["error"]


def test_non_json_body_is_refused(lcps_client):
    answer = lcps_client.post("/api/design", content=b"min_size=12", headers=JSON)
    assert answer.status_code == 400 and "not JSON" in answer.json()["error"]
    deep = b"[" * 10_000  # deeper than Python's parser recurses: it was a 500
    answer = lcps_client.post("/api/design", content=deep, headers=JSON)
    assert answer.status_code == 400 and "not JSON" in answer.json()["error"]
    answer = lcps_client.post("/api/design", content=b" " * (2**20 + 1), headers=JSON)
    assert answer.status_code == 413 and "over 1,048,576 bytes" in answer.json()["error"]


@pytest.mark.parametrize(
    ("method", "headers", "status", "says"),
    [
        ("GET", {"host": "evil.example"}, 400, "Invalid host header"),  # a DNS-rebinding page
        ("GET", {"host": "127.0.0.1.evil.example:8765"}, 400, "Invalid host header"),
        ("POST", {"content-type": "text/plain"}, 415, "content-type: application/json"),  # a form or a simple fetch
        ("POST", {**JSON, "origin": "http://evil.example"}, 403, "requests from http://evil.example are refused"),
        ("DELETE", {"origin": "http://evil.example"}, 403, "requests from http://evil.example are refused"),
    ],
)  # fmt: skip
def test_other_sites_cannot_read_the_district_or_start_a_design(lcps_client, method, headers, status, says):
    answer = lcps_client.request(method, "/api/design", content=b'{"seed": 4}', headers=headers)
    assert answer.status_code == status and says in answer.text
    assert lcps_client.get("/api/design").json()["running"] is False


def test_the_apps_own_page_passes_the_origin_check(lcps_client):
    for origin in (ORIGIN, None):  # the served page's fetch, and a script such as curl
        headers = JSON | ({"origin": origin} if origin else {})
        answer = lcps_client.post("/api/design", content=b'{"k": "five"}', headers=headers)
        assert answer.status_code == 400 and "'k' must be a whole number" in answer.json()["error"]


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


def started_server(folder: Path) -> tuple[subprocess.Popen, int]:
    """`feeder serve` on the sample at a free port, run from `folder` (which must stay empty)."""
    port = free_port()
    command = [sys.executable, "-m", "feeder.cli", "serve", str(SAMPLE), "--port", str(port)]
    server = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=folder)
    return server, port


def test_the_command_prints_its_url_and_stops_cleanly_on_ctrl_c(tmp_path):
    server, port = started_server(tmp_path)
    try:
        assert (
            server.stdout.readline()
            == "re-design keeps: 12-24 schools · across regions · contiguous (the defaults)\n"
        )
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


def test_impossible_locks_are_refused_with_the_reason(lcps_client, lcps_path):
    district = load_district(lcps_path)
    schools = district.ids[:25]
    answer = lcps_client.post("/api/design", json={"locks": dict.fromkeys(schools, "Too big")})
    assert answer.status_code in (400, 422), answer.text
    assert "Too big" in answer.json()["error"]


def test_a_port_in_use_is_one_line_before_any_url(tmp_path):
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        port = other.getsockname()[1]
        command = [sys.executable, "-m", "feeder.cli", "serve", str(SAMPLE), "--port", str(port)]
        done = subprocess.run(command, capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert done.returncode == 2 and "http://" not in done.stdout  # the URL led to the other program
    assert done.stderr == f"error: --port {port}: another program listens there; choose another port\n"


def test_ctrl_c_during_a_redesign_stops_the_server_at_once(tmp_path):
    """uvicorn waits for open requests before it stops: the running re-design must be cancelled."""
    server, port = started_server(tmp_path)
    try:
        assert "re-design keeps" in server.stdout.readline() and "http://" in server.stdout.readline()
        client = f"http://127.0.0.1:{port}/api/design"
        request = urllib.request.Request(client, data=b'{"seed": 5}', headers=JSON)
        answers: list = []
        worker = threading.Thread(target=lambda: answers.append(answer_status(request)))
        deadline = time.monotonic() + 60
        worker.start()
        while not json.loads(urllib.request.urlopen(client, timeout=5).read())["running"]:
            assert time.monotonic() < deadline, "the re-design never started"
            time.sleep(0.05)
        stopping = time.monotonic()
        server.send_signal(signal.SIGINT)
        out, err = server.communicate(timeout=60)
        waited = time.monotonic() - stopping
        worker.join(timeout=10)
    finally:
        if server.poll() is None:
            os.kill(server.pid, signal.SIGKILL)
    assert server.returncode == 0 and out.strip().endswith("stopped") and "Traceback" not in err
    assert answers == [409] and waited < 5, f"stopped after {waited:.1f} s"


def answer_status(request: urllib.request.Request) -> int:
    try:
        return urllib.request.urlopen(request, timeout=120).status
    except urllib.error.HTTPError as refused:
        return refused.code


def test_the_served_page_links_to_no_cohort_page_it_cannot_serve():
    district = load_district(SAMPLE)
    page = served_page(Plan.current(district))
    assert 'href="cohort-' not in page  # the app serves no such page: each link was a 404
    for name in sorted(set(district.schools["portfolio"]))[:3]:
        assert f'data-portfolio="{name}"' in page and f"<span>{name}</span>" in page


@pytest.fixture(scope="module")
def capped(lcps_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Loudoun designed with --max-enrollment 13000: portfolios.csv beside the scorecard.json it wrote."""
    out = tmp_path_factory.mktemp("capped") / "design"
    assert main(["design", str(lcps_path), "--out", str(out), "--max-enrollment", "13000"]) == 0
    return out / "portfolios.csv"


@pytest.fixture(scope="module")
def capped_client(lcps_path: Path, capped: Path):
    """The app as `feeder serve LCPS --plan capped/portfolios.csv` builds it."""
    district = load_district(lcps_path)
    served = resolve_spec(district=district, plan_file=capped, given={}, locks=None)
    app = create_app(Plan.from_csv(district, capped, spec=served.spec), page="<html></html>")
    with TestClient(app, base_url=ORIGIN) as client:
        yield client


def enrollments(district, plan: dict[str, str]) -> dict[str, float]:
    enrollment = dict(zip(district.ids, district.schools["enrollment"].fillna(0), strict=True))
    totals: dict[str, float] = {}
    for school, portfolio in plan.items():
        totals[portfolio] = totals.get(portfolio, 0.0) + enrollment[school]
    return totals


def test_a_capped_plan_keeps_its_cap_and_the_locks_through_a_redesign(capped_client, lcps_path):
    """The audit's H1: a plan designed with --max-enrollment 13000 came back with 27,223 students."""
    district = load_district(lcps_path)
    start = capped_client.get("/api/plan").json()
    assert "at most 13,000 students" in start["keeps"]
    plan = start["plan"]
    portfolio = plan[district.ids[0]]
    pair = [school for school in district.ids if plan[school] == portfolio][:2]
    locks = {school: "Alpha" for school in pair}
    answer = capped_client.post("/api/design", json={"locks": locks})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["plan"][pair[0]] == body["plan"][pair[1]] == "Alpha"
    assert body["scorecard"]["spec"]["max_enrollment"] == 13000
    assert max(enrollments(district, body["plan"]).values()) <= 13000


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ({"max_enrollment": None}, "restart feeder serve with --max-enrollment 0"),
        ({"max_enrollment": 30000}, "restart feeder serve with --max-enrollment 30000"),
        ({"contiguous": False}, "restart feeder serve with --no-contiguous"),
    ],
)
def test_the_page_cannot_loosen_the_served_spec(capped_client, body, says):
    answer = capped_client.post("/api/design", json=body)
    assert answer.status_code == 400, answer.text
    assert "differs from this server's spec" in answer.json()["error"] and says in answer.json()["error"]
    same = capped_client.post("/api/design", json={"max_enrollment": 13000, "k": "five"})
    assert "'k' must be a whole number" in same.json()["error"]  # the served value itself passes


def first_line_served(district: Path, *options: object, cwd: Path) -> str:
    """`feeder serve` run as a planner runs it: the line it prints first (what a re-design keeps),
    once it is listening; then Ctrl-C."""
    command = [sys.executable, "-m", "feeder.cli", "serve", str(district), *map(str, options)]
    server = subprocess.Popen(
        [*command, "--port", str(free_port())],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=cwd,
    )
    try:
        line = server.stdout.readline()
        assert "http://" in server.stdout.readline()
    finally:
        server.send_signal(signal.SIGINT)
        server.communicate(timeout=30)
    return line


def test_a_command_line_option_overrides_scorecard_json(capped, lcps_path, tmp_path):
    district = load_district(lcps_path)
    served = resolve_spec(district=district, plan_file=capped, given={"max_size": 20}, locks=None)
    assert served.spec == DesignSpec(max_size=20, max_enrollment=13000)
    assert (
        served.source
        == f"the spec in {capped.parent / 'scorecard.json'}, with --max-size 20 from the command line"
    )
    line = first_line_served(
        lcps_path, "--plan", capped, "--max-size", "20", "--max-high-schools", "3", cwd=tmp_path
    )
    assert line.startswith(
        "re-design keeps: 12-20 schools · at most 13,000 students · at most 3 high schools"
    )
    assert "scorecard.json, with --max-size 20, --max-high-schools 3 from the command line" in line


@pytest.mark.parametrize(
    ("scorecard", "says"),
    [
        ("{", "cannot read it as JSON"),
        ('{"n_schools": 90}', "has no 'spec' section"),
        ('{"spec": {"max_size": "24"}}', "spec field 'max_size' cannot be '24'"),
        (
            '{"spec": {"min_size": 30, "max_size": 20}}',
            "its spec is impossible (--min-size 30 is above --max-size 20)",
        ),
        ('{"spec": {"locks": {"A": ["NOPE"]}}}', "names 'NOPE', not a school of"),
    ],
)
def test_a_bad_scorecard_json_is_one_line_naming_it(lcps_path, tmp_path, capsys, scorecard, says):
    (tmp_path / "portfolios.csv").write_text("school_id,portfolio\n")
    (tmp_path / "scorecard.json").write_text(scorecard)
    assert main(["serve", str(lcps_path), "--plan", str(tmp_path / "portfolios.csv"), "--port", "1"]) == 2
    error = capsys.readouterr().err
    assert error.startswith("error: scorecard.json: ") and says in error and error.count("\n") == 1
    assert "move scorecard.json away" in error


def test_the_served_page_shows_what_a_redesign_keeps():
    district = load_district(SAMPLE)
    spec = DesignSpec(min_size=8, max_size=10, within_region=True, max_enrollment=13000)
    page = served_page(Plan.current(district, spec=spec))
    assert '"keeps":"8-10 schools · at most 13,000 students · within regions · contiguous"' in page
    edit = json.loads(page.split("var FEEDER_EDIT = ", 1)[1].split(";</script>", 1)[0])
    judged = {key: edit[key] for key in ("minSize", "maxSize", "withinRegion", "maxEnrollment", "contiguous")}
    assert judged == {  # the page's scorecard judges by it
        "minSize": 8,
        "maxSize": 10,
        "withinRegion": True,
        "maxEnrollment": 13000,
        "contiguous": True,
    }


@pytest.fixture(scope="module")
def sample_client():
    app = create_app(Plan.current(load_district(SAMPLE)), page="<html></html>")
    with TestClient(app, base_url=ORIGIN) as client:
        yield client


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("OPTIONS", "/api/design", {"GET", "HEAD", "POST", "DELETE"}),  # another site's CORS preflight
        ("PUT", "/api/design", {"GET", "HEAD", "POST", "DELETE"}),
        ("POST", "/api/plan", {"GET", "HEAD"}),
        ("DELETE", "/", {"GET", "HEAD"}),
    ],
)
def test_a_method_a_path_does_not_take_is_a_json_405_naming_those_it_does(
    sample_client, method, path, allowed
):
    """The audit: OPTIONS /api/design was a plain-text 405 whose Allow header said only POST."""
    headers = {"origin": "http://evil.example", "access-control-request-method": "POST"}
    answer = sample_client.request(method, path, headers=headers)
    assert answer.status_code == 405
    assert set(answer.headers["allow"].split(", ")) == allowed
    cors = [name for name in answer.headers if name.startswith("access-control-")]
    assert cors == []  # no CORS: another site's preflight fails, so its page never sends the request
    reason = answer.json()["error"]
    assert reason.startswith(f"{path} does not take {method}") and "\n" not in reason
    assert sample_client.get("/api/design").json()["running"] is False


def test_an_unknown_path_is_a_json_404(sample_client):
    answer = sample_client.get("/api/plans")
    assert answer.status_code == 404
    assert answer.json() == {
        "error": "no /api/plans here: the app serves / (the map), /api/plan and /api/design"
    }


@pytest.fixture
def recorded(tmp_path: Path) -> Path:
    """A sample plan whose scorecard.json fixes --k 2 and caps enrollment and high schools."""
    plan = tmp_path / "portfolios.csv"
    spec = {"min_size": 5, "max_size": 30, "k": 2, "max_enrollment": 9000, "max_high_schools": 3}
    (tmp_path / "scorecard.json").write_text(json.dumps({"spec": spec}))
    return plan


def test_zero_drops_a_recorded_k_or_cap(recorded):
    """The audit: a plan designed with --k 8 or a cap could not be served without it."""
    from feeder.serve.spec import served_spec

    district = load_district(SAMPLE)
    given = {"k": 0, "max_enrollment": 0.0, "max_size": 20}
    served = served_spec(district=district, plan_file=recorded, given=given, locks=None)
    assert served.spec == DesignSpec(min_size=5, max_size=20, max_high_schools=3)
    assert served.source == (
        f"the spec in {recorded.parent / 'scorecard.json'}, with --max-size 20 from the command line; "
        "--k 0, --max-enrollment 0 from the command line: no such limit"
    )
    kept = served_spec(district=district, plan_file=recorded, given={}, locks=None).spec
    assert (kept.k, kept.max_enrollment, kept.max_high_schools) == (2, 9000, 3)


def test_no_locks_drops_the_recorded_locks(recorded, tmp_path):
    """A plan designed with --lock could be served only with those locks (an empty --lock file is refused)."""
    from feeder.serve.spec import served_spec

    district = load_district(SAMPLE)
    card = json.loads((tmp_path / "scorecard.json").read_text())
    card["spec"]["locks"] = {"Held": list(district.ids[:2])}
    (tmp_path / "scorecard.json").write_text(json.dumps(card))
    kept = served_spec(district=district, plan_file=recorded, given={}, locks=None)
    assert kept.spec.locks == tuple((school, "Held") for school in district.ids[:2])
    served = served_spec(district=district, plan_file=recorded, given={}, locks=None, no_locks=True)
    assert served.spec == replace(kept.spec, locks=())
    assert served.source.endswith("; --no-locks from the command line: no such limit")


def test_no_locks_beside_lock_is_one_line(tmp_path):
    locks = tmp_path / "locks.csv"
    locks.write_text("school_id,portfolio\n")
    done = subprocess.run(
        [sys.executable, "-m", "feeder.cli", "serve", str(SAMPLE), "--lock", str(locks), "--no-locks"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "error: --no-locks and --lock: give one (--lock replaces the recorded locks already)"
    ]


def test_serve_help_says_how_to_drop_a_recorded_limit():
    import typer

    from feeder.commands import serve

    app = typer.Typer()
    serve.register(app)
    helps = {param.name: param.help or "" for param in typer.main.get_command(app).params}
    for name in ("k", "max_enrollment", "max_high_schools"):
        assert "0: none, even if the plan's scorecard.json sets one" in helps[name], name


def test_the_command_serves_a_recorded_plan_without_its_cap(recorded, tmp_path):
    recorded.write_text(Plan.current(load_district(SAMPLE)).to_csv())
    line = first_line_served(SAMPLE, "--plan", recorded, "--max-enrollment", "0", "--k", "0", cwd=tmp_path)
    assert line.startswith(
        "re-design keeps: 5-30 schools · at most 3 high schools · across regions · contiguous ("
    )
    assert "--k 0, --max-enrollment 0 from the command line: no such limit" in line


def test_a_redesign_with_locks_says_what_they_cost_as_feeder_design_does(lcps_client, lcps_path):
    """The audit: `feeder design --lock` says what the locks cost; a served re-design with locks did not."""
    from feeder.design.lock_cost import design_without_locks

    district = load_district(lcps_path)
    locks = {"LCH": "North", "WHS": "North", "MSE": "South A", "HUT": "South B"}
    answer = lcps_client.post("/api/design", json={"locks": locks, "seed": 3})
    assert answer.status_code == 200, answer.text
    cost = answer.json()["lock_cost"]
    free = design_without_locks(
        district, spec=DesignSpec(), seed=3, effort="default", jobs=None, time_limit=None, flow_weights=None
    )
    assert cost["cohesion"] == round(float(free.plan.score()["cohesion"]), 6)  # the same search without them
    assert cost["cost"] == pytest.approx(cost["cohesion"] - answer.json()["scorecard"]["cohesion"], abs=1e-4)
    assert cost["time_limit_hit"] is False
    assert re.fullmatch(
        r"the locks cost (\d\.\d{4}|no) cohesion \(the same search without them: cohesion \d\.\d{4}, "
        r"\d+ schools? placed differently\)",
        cost["line"],
    ), cost["line"]


def test_the_plan_without_locks_is_searched_once_per_seed(lcps_client, lcps_path):
    """The search without locks depends only on the server's spec and the seed: the server keeps its
    plan, and the next re-design with that seed weighs new locks against it (one search, not two)."""
    runner = lcps_client.app.state.runner
    first = lcps_client.post("/api/design", json={"locks": {"LCH": "North", "WHS": "North"}, "seed": 5})
    kept = runner.unlocked[5]
    district = load_district(lcps_path)
    assert first.json()["lock_cost"]["cohesion"] == round(
        Plan(district, np.array(kept, dtype=object)).score()["cohesion"], 6
    )
    today = district.schools["pyramid"].tolist()  # a plan the search would not find, to see it used
    runner.unlocked[5] = today
    second = lcps_client.post("/api/design", json={"locks": {"MSE": "South A", "HUT": "South B"}, "seed": 5})
    assert second.status_code == 200, second.text
    assert second.json()["lock_cost"]["cohesion"] == round(
        Plan(district, np.array(today, dtype=object)).score()["cohesion"], 6
    )
    assert second.json()["lock_cost"]["cohesion"] != first.json()["lock_cost"]["cohesion"]


def sample_request():
    """The sample district and a re-design request locking two of its schools together."""
    from feeder.serve.requests import DesignRequest

    district = load_district(SAMPLE)
    spec = DesignSpec(locks=tuple((school, "Held") for school in district.ids[:2]))
    return district, DesignRequest(spec=spec, seed=0)


def test_the_search_without_locks_stops_at_the_time_limit_too():
    from feeder.clock import Clock
    from feeder.serve.redesign import redesign

    district, request = sample_request()
    spent = Clock(started=time.monotonic() - 100, limit=100.0)  # nothing left: each search stops at once
    answer = redesign(district, request, clock=spent, lock_cost=True).answer
    assert answer["time_limit_hit"] is True  # the page says so
    cost = answer["lock_cost"]
    assert cost["time_limit_hit"] is True and cost["line"].endswith("(stopped at --time-limit)")
    assert redesign(district, request, clock=spent, lock_cost=False).answer["lock_cost"] is None


def test_the_two_searches_share_the_time_limit_as_feeder_design_shares_it(monkeypatch):
    import feeder.serve.redesign
    from feeder.clock import Clock

    lock_cost = importlib.import_module("feeder.design.lock_cost")  # feeder.design is also a function

    asked: list[tuple[float, float | None]] = []  # (when, time limit) of each search
    real = feeder.serve.redesign.run_design

    def timed(district, **options):
        asked.append((time.monotonic(), options["time_limit"]))
        return real(district, **(options | {"time_limit": 0.01}))  # stop at once: the shares are the test

    monkeypatch.setattr(feeder.serve.redesign, "run_design", timed)
    monkeypatch.setattr(lock_cost, "run_design", timed)
    district, request = sample_request()
    clock = Clock(started=time.monotonic(), limit=60.0)
    feeder.serve.redesign.redesign(district, request, clock=clock, lock_cost=True)
    (first, locked), (second, unlocked) = asked
    assert locked is not None and unlocked is not None
    keep = 60.0 - (first - clock.started) - 2 * locked  # the first search got half of what was left
    assert 1.0 <= keep < 5.0  # kept back to score the plan: feeder design's reserve
    assert unlocked == pytest.approx(60.0 - (second - clock.started) - keep, abs=0.01)  # then the rest


def test_a_bug_is_a_json_500_saying_so():
    """A plain-text 500 left the page reading "Re-design failed: SyntaxError: Unexpected token"."""
    app = create_app(Plan.current(load_district(SAMPLE)), page="<html></html>")
    app.state.runner.status = lambda: 1 / 0
    with TestClient(app, base_url=ORIGIN, raise_server_exceptions=False) as client:
        answer = client.get("/api/design")
    assert answer.status_code == 500
    assert answer.json() == {
        "error": "internal error (a bug in feeder): ZeroDivisionError: division by zero; please report it"
    }


@pytest.mark.parametrize(
    ("limit", "says"),
    [
        ("0", "--time-limit 0 must be a number of seconds above 0"),
        ("-3", "--time-limit -3 must be a number of seconds above 0"),
        ("nan", "--time-limit 'nan': nan is not a finite number"),
    ],
)
def test_a_bad_time_limit_is_one_line(capsys, limit, says):
    assert main(["serve", str(SAMPLE), "--time-limit", limit, "--port", "1"]) == 2
    error = capsys.readouterr().err
    assert error.startswith(f"error: {says}") and error.count("\n") == 1
