"""Small counts stay private: outputs of a district whose flows come from student records."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from conftest import LCPS
from hypothesis import given
from hypothesis import strategies as st

from feeder import load_district
from feeder.cli import main
from feeder.maps.key import map_key
from feeder.maps.model import build_model
from feeder.plan import Plan
from feeder.privacy import Privacy, privacy_of, with_min_cell
from feeder.report.diagrams import cohort_sankey, district_sankey

PAIRS = 4  # year pairs 2021-22 ... 2024-25: a flow is its students / 4 per year
# Two small flows with counts no other number in the outputs spells: 13 / 4 and 31 / 4 students a year.
SMALL = {("KWC", "JLS"): 13, ("KWC", "SMM"): 31}
EXACT = re.compile(r"(?<![\d.])(3\.25|7\.75)(?!\d)")
DATA = re.compile(r"var FEEDER_DATA = (\{.*?\});</script>", re.S)
EDIT = re.compile(r"var FEEDER_EDIT = (\{.*?\});</script>", re.S)


def records(schools: pd.DataFrame, flows: pd.DataFrame) -> pd.DataFrame:
    """enrollment.csv rows whose PAIRS year pairs average to `flows` (SMALL flows set to their totals)."""
    top = schools.set_index("school_id")["grade_hi"].astype(int)
    rows, student = [], 0
    for sender, receiver, students in zip(flows["from_id"], flows["to_id"], flows["students"], strict=True):
        total = SMALL.get((sender, receiver), round(PAIRS * students))
        for pair in range(PAIRS):
            year, grade = 2021 + pair, int(top[sender])
            for _ in range(total // PAIRS + (pair < total % PAIRS)):
                student += 1
                rows.append((f"{student:07d}", year, sender, grade))
                if receiver != "OUT":
                    rows.append((f"{student:07d}", year + 1, receiver, grade + 1))
    return pd.DataFrame(rows, columns=["student_id", "year", "school_id", "grade"])


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Loudoun from records; KWC (sender of both small flows) offers a program JLS and SMM lack."""
    if not (LCPS / "schools.csv").exists():
        pytest.skip(f"real LCPS data not found at {LCPS}")
    schools = pd.read_csv(LCPS / "schools.csv", dtype={"school_id": str})
    flows = pd.read_csv(LCPS / "flows.csv", dtype={"from_id": str, "to_id": str})
    schools["programs"] = (schools["school_id"] == "KWC").map({True: "dual_language:spanish", False: ""})
    path = tmp_path_factory.mktemp("records")
    schools.to_csv(path / "schools.csv", index=False)
    records(schools, flows).to_csv(path / "enrollment.csv", index=False)
    return path


@pytest.fixture(scope="module")
def outputs(folder: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Every publishing command run on the district, default rule (min_cell 10) and turned off (0)."""
    out = tmp_path_factory.mktemp("outputs")
    for min_cell in ("10", "0"):
        at = out / min_cell
        for command in (
            ["map", str(folder), "--out", str(at / "map")],
            ["report", str(folder), "--out", str(at / "report")],
            ["align", str(folder), "--out", str(at / "align")],
        ):
            assert main([*command, "--min-cell", min_cell]) == 0
    assert main(["run", str(folder), "--out", str(out / "run"), "--maps", str(out / "run-maps")]) == 0
    return {"on": out / "10", "off": out / "0", "run": out / "run", "run-maps": out / "run-maps"}


def files(folder: Path) -> Iterator[Path]:
    yield from (p for p in sorted(folder.rglob("*")) if p.suffix in (".html", ".csv", ".json"))


def test_the_small_flows_are_in_the_exact_data(folder: Path) -> None:
    flows = load_district(folder).flows.set_index(["from_id", "to_id"])["students"]
    assert [flows[pair] for pair in SMALL] == [3.25, 7.75]


def test_no_output_file_spells_a_small_count_when_flows_come_from_records(outputs: dict[str, Path]) -> None:
    scanned = [p for key in ("on", "run", "run-maps") for p in files(outputs[key])]
    assert len(scanned) > 10
    for path in scanned:
        assert not EXACT.search(path.read_text(encoding="utf-8")), f"{path.name} shows a small count"
    assert any("<10" in p.read_text(encoding="utf-8") for p in scanned if p.suffix == ".csv")
    assert any("&lt;10" in p.read_text(encoding="utf-8") for p in scanned if p.suffix == ".html")


def test_min_cell_0_publishes_the_exact_counts(outputs: dict[str, Path]) -> None:
    shown = {p.name for p in files(outputs["off"]) if EXACT.search(p.read_text(encoding="utf-8"))}
    assert {"index.html", "alignment.csv", "alignment.json"} <= shown


def counts_published(values: list) -> bool:
    """Each count is "<10", 0 or a multiple of 10 (the rule's only outcomes)."""
    return all(v == "<10" or (isinstance(v, float | int) and v % 10 == 0) for v in values)


def test_map_counts_visible_and_embedded_are_suppressed_or_rounded(outputs: dict[str, Path]) -> None:
    page = (outputs["on"] / "map" / "index.html").read_text(encoding="utf-8")
    layers = json.loads(DATA.search(page).group(1).replace("<\\/", "</"))
    lines = {
        (f["properties"]["from"], f["properties"]["to"]): f["properties"]["students"]
        for f in layers["flows"]["features"]
    }
    assert [lines[pair] for pair in SMALL] == ["<10", "<10"]
    assert counts_published(list(lines.values()))
    widths = {
        (f["properties"]["from"], f["properties"]["to"]): f["properties"]["weight"]
        for f in layers["flows"]["features"]
    }
    few, more = SMALL
    assert widths[few] == widths[more]  # a line's width must not tell 3 students from 8
    kwc = next(f for f in layers["schools"]["features"] if f["properties"]["id"] == "KWC")
    rows = dict(map(tuple, kwc["properties"]["rows"]))
    assert "%" not in rows.get("Sends", "")  # a share of an exact total would reveal the small flows
    edit = json.loads(EDIT.search(page).group(1))
    assert edit["flowsApproximate"] is True
    assert all(s == 5.0 or s % 10 == 0 for _, _, s in edit["flows"])


def test_alignment_files_publish_counts_only(outputs: dict[str, Path]) -> None:
    table = pd.read_csv(outputs["on"] / "align" / "alignment.csv", dtype={"students": str})
    kwc = table[table["from_id"] == "KWC"]
    assert set(kwc.loc[kwc["to_id"].isin(["JLS", "SMM"]), "students"]) == {"<10"}
    document = json.loads((outputs["on"] / "align" / "alignment.json").read_text(encoding="utf-8"))
    assert counts_published([s["students"] for s in document["suggestions"]])
    assert counts_published([document["families"]["dual_language"]["students"]])
    tallies = [
        tally
        for group in document["patterns"] + (document["portfolios"] or [])
        for tally in group["families"].values()
    ]
    assert any(tally["rate"] is not None for tally in tallies)
    assert all(tally["rate"] is None or round(tally["rate"], 2) == tally["rate"] for tally in tallies)


@given(small=st.integers(1, 9), other=st.integers(10, 5000) | st.just(0), exact=st.integers(10, 5000))
def test_a_published_rate_never_gives_a_suppressed_count_away(small: int, other: int, exact: int) -> None:
    """3 continued of 21 would read 14.3 %: a rate beside a "<10" is left out, the others are whole percents."""
    privacy = Privacy(min_cell=10, active=True)
    assert privacy.rate(small, other) is None and privacy.rate(other, small) is None
    shown = privacy.rate(exact, other)
    assert (
        shown is not None
        and round(shown, 2) == shown
        and abs(shown - exact / (exact + other)) <= 0.005 + 1e-12
    )


def test_sankey_bands_hold_no_exact_count(folder: Path) -> None:
    district = load_district(folder)
    labels = district.schools["pyramid"].to_numpy()
    plan = Plan(district, labels)
    for figure in (district_sankey(plan), *(cohort_sankey(plan, name) for name in sorted(set(labels))[:3])):
        link = figure.data[0].link
        assert all(v == 5.0 or v % 10 == 0 for v in link.value)
        assert counts_published([float(c.replace(",", "")) if c != "<10" else c for c in link.customdata])


def test_explain_and_graph_json_publish_counts_only(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explain", str(folder), "KWC", "--json", "--plan", str(pyramids(folder))]) == 0
    explained = json.loads(capsys.readouterr().out)
    assert counts_published([explained["students_out"], *(f["students_out"] for f in explained["flows"])])
    assert all(f["share_out"] is None for f in explained["flows"])
    assert not EXACT.search(" ".join(explained["reasons"]))
    assert main(["graph", str(folder), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert counts_published([summary["students"], *(p["students"] for p in summary["patterns"])])
    assert counts_published(list(summary["leakage"]["schools"].values()))
    splits = summary["split_feeders"]
    assert splits and all(share is None for split in splits for share in split["shares"].values())
    assert counts_published([n for split in splits for n in split["students"].values()])


def pyramids(folder: Path) -> Path:
    schools = pd.read_csv(folder / "schools.csv", dtype={"school_id": str})
    path = folder / "pyramids.csv"
    schools[["school_id", "pyramid"]].rename(columns={"pyramid": "portfolio"}).to_csv(path, index=False)
    return path


def test_cohesion_is_shown_from_published_counts_and_exact_with_min_cell_0(folder: Path) -> None:
    from feeder import metrics

    district = load_district(folder)
    labels = district.schools["pyramid"].to_numpy()
    exact = metrics.cohesion(district, labels)
    assert Plan(with_min_cell(district, 0), labels).score()["cohesion"] == exact
    shown = Plan(district, labels).score()["cohesion"]
    assert shown != exact and shown == pytest.approx(exact, abs=10 / district.flow_positions[2].sum())
    assert privacy_of(district).active and not privacy_of(with_min_cell(district, 0)).active


def band(privacy: Privacy, shown: object) -> tuple[int, int]:
    """The fewest and most whole students that publish as `shown`."""
    counts = [c for c in range(1000) if privacy.published(c) == shown]
    return min(counts), max(counts)


@given(
    small=st.integers(min_value=1, max_value=9),
    others=st.lists(st.integers(min_value=0, max_value=120), max_size=3),
)
def test_a_reader_cannot_recover_a_suppressed_cell_from_its_total(small: int, others: list[int]) -> None:
    """A suppressed cell among up to three other published cells and their published total: a reader
    who knows the rule and subtracts still finds at least two values possible."""
    privacy = Privacy(min_cell=10, active=True)
    assert privacy.published(small) == "<10"
    total_low, total_high = band(privacy, privacy.published(small + sum(others)))
    bands = [band(privacy, privacy.published(c)) for c in others]
    rest_low, rest_high = sum(low for low, _ in bands), sum(high for _, high in bands)
    possible = [guess for guess in range(1, 10) if total_low - rest_high <= guess <= total_high - rest_low]
    assert small in possible and len(possible) >= 2


def test_every_shared_output_states_the_rule(outputs: dict[str, Path]) -> None:
    for path in (outputs["on"] / "map" / "index.html", outputs["on"] / "report" / "report.html"):
        assert "shown as &lt;10 and other counts rounded to the nearest 10" in path.read_text(
            encoding="utf-8"
        )
    summary = (outputs["run"] / "summary.csv").read_text(encoding="utf-8")
    assert summary.startswith("# Flows are estimated from enrollment records") and "shown as <10" in summary
    off = (outputs["off"] / "map" / "index.html").read_text(encoding="utf-8")
    assert "rounded to the nearest" not in off


def test_the_map_key_gives_no_example_flow_the_rule_would_hide(tmp_path: Path, folder: Path) -> None:
    """A district of few moving students (Loudoun's flows / 5: the largest 164 a year) from records:
    the key's width examples (100, 20 and 5 students) leave out the 5, a count published as <10."""
    schools = pd.read_csv(folder / "schools.csv", dtype={"school_id": str})
    flows = pd.read_csv(LCPS / "flows.csv", dtype={"from_id": str, "to_id": str})
    small = flows.assign(students=(flows["students"] / 5).round().clip(lower=1))
    records(schools, small).to_csv(tmp_path / "enrollment.csv", index=False)
    schools.to_csv(tmp_path / "schools.csv", index=False)

    def examples(min_cell: int) -> list[int]:
        district = with_min_cell(load_district(tmp_path), min_cell)
        model = build_model(Plan(district, district.schools["pyramid"].to_numpy()))
        return [int(n.replace(",", "")) for n in re.findall(r"Flow of ([\d,]+) students", map_key(model))]

    assert examples(0) == [100, 20, 5]
    assert examples(10) == [100, 20]


def test_flows_csv_inferred_from_records_keeps_the_small_cell_rule(
    folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The documented workflow (infer, check, edit, use): the flows.csv feeder infer wrote from records,
    put into a district folder, still comes from records, so no output shows its small counts."""
    assert main(["infer", str(folder), "--out", str(tmp_path / "inferred")]) == 0
    capsys.readouterr()
    written = (tmp_path / "inferred" / "flows.csv").read_text(encoding="utf-8")
    assert written.startswith("# feeder: flows from enrollment records (exact counts;")
    district_folder = tmp_path / "district"
    district_folder.mkdir()
    shutil.copy(folder / "schools.csv", district_folder)
    (district_folder / "flows.csv").write_text(written, encoding="utf-8")
    district = load_district(district_folder)
    assert district.flows_source == "enrollment records" and privacy_of(district).active
    assert district.flows.set_index(["from_id", "to_id"])["students"][list(SMALL)].tolist() == [3.25, 7.75]
    assert main(["graph", str(district_folder), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert counts_published([summary["students"], *(p["students"] for p in summary["patterns"])])
    assert all(share is None for split in summary["split_feeders"] for share in split["shares"].values())
    assert main(["map", str(district_folder), "--out", str(tmp_path / "map")]) == 0
    page = (tmp_path / "map" / "index.html").read_text(encoding="utf-8")
    assert not EXACT.search(page) and "&lt;10" in page
    assert main(["check", str(district_folder)]) == 0
    assert "published by the small-cell rule" in capsys.readouterr().out


def smallest_move(district) -> tuple[Plan, Plan, float]:
    """Two plans a school apart whose exact counts of students kept together differ the least (from
    the records): the kind of pair an audit differenced to recover a flow of 3 students from two
    exact cohesions."""
    from feeder import metrics

    before = Plan(district, district.schools["pyramid"].to_numpy(dtype=object))
    inside = metrics.cohesion_counts(district, before.labels)[0]
    moves = []
    for school in range(len(district.schools)):
        for target in sorted(set(before.labels) - {before.labels[school]}):
            labels = before.labels.copy()
            labels[school] = target
            moves.append((abs(inside - metrics.cohesion_counts(district, labels)[0]), school, target))
    change, school, target = min(move for move in moves if move[0] % 10)  # not already a multiple of 10
    labels = before.labels.copy()
    labels[school] = target
    return before, Plan(district, labels), change


def test_two_scorecards_a_school_apart_do_not_give_its_small_flow_away(folder: Path) -> None:
    from feeder import metrics

    district = load_district(folder)
    before, after, exact = smallest_move(district)
    total = privacy_of(district).published(metrics.cohesion_counts(district, before.labels)[1])
    assert isinstance(total, float)
    shown = [plan.score()["cohesion"] for plan in (before, after)]
    for cohesion in shown:  # a ratio of published counts: inside students a multiple of 10
        assert cohesion * total / 10 == pytest.approx(round(cohesion * total / 10), abs=1e-6)
    recovered = abs(shown[0] - shown[1]) * total
    assert recovered == pytest.approx(round(recovered / 10) * 10, abs=1e-6)
    assert recovered != pytest.approx(exact, abs=0.5)


def with_leavers(folder: Path, to: Path) -> Path:
    """The records district where five middle schools also lose 29 students each over the four year
    pairs (7.25 a year) to schools outside the district."""
    schools = pd.read_csv(LCPS / "schools.csv", dtype={"school_id": str})
    flows = pd.read_csv(LCPS / "flows.csv", dtype={"from_id": str, "to_id": str})
    middle = schools.loc[schools["level"] == "middle", "school_id"].head(5)
    leaving = pd.DataFrame({"from_id": middle, "to_id": "OUT", "students": 29 / PAIRS})
    to.mkdir()
    shutil.copy(folder / "schools.csv", to / "schools.csv")
    records(schools, pd.concat([flows, leaving])).to_csv(to / "enrollment.csv", index=False)
    return to


def test_shares_of_students_are_ratios_of_published_counts(folder: Path, tmp_path: Path) -> None:
    """flows_kept (summary.csv), the leakage share (graph --json) and a bound pass the same rule."""
    from feeder.commands.graph import published
    from feeder.graph import FeederGraph
    from feeder.io.plan_tables import flow_students, summary_table

    district = load_district(folder)
    plan = Plan(district, district.schools["pyramid"].to_numpy(dtype=object))
    privacy = privacy_of(district)
    _, touching = flow_students(plan)
    for name, share in summary_table(plan).set_index("portfolio")["flows_kept"].items():
        whole = privacy.published(touching[name])  # the portfolio's students on flows, as published
        kept = share * whole  # a multiple of 10, but for rounding the share to 3 decimals
        assert abs(kept - 10 * round(kept / 10)) <= 0.0005 * whole + 1e-9, name
    leaving = load_district(with_leavers(folder, tmp_path / "leaving"))
    leakage = published(FeederGraph(leaving).summary(), privacy_of(leaving))["leakage"]
    assert (leakage["students"], leakage["moving"]) == (40, 13660)  # 36.25 and 13,662.25 exactly
    assert leakage["share"] == round(40 / 13660, 4)
    card = plan.score(cohesion_bound=0.987654321)
    total = privacy.published(float(district.flow_positions[2].sum()))
    assert card["cohesion_bound"] * total / 10 == pytest.approx(
        round(card["cohesion_bound"] * total / 10), abs=1e-6
    )
