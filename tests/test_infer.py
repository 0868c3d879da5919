"""Flow inference from zones, planning units, assignments and sites (feeder/infer.py)."""

from __future__ import annotations

import itertools
import shutil
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely.affinity
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import Polygon, box

from feeder import metrics
from feeder.cli import main
from feeder.district import load_district
from feeder.errors import FeederError
from feeder.infer.sources import (
    MIN_SHARE,
    ROUGH_SOURCE,
    flows_from_boundaries,
    flows_from_sites,
    transitions,
)
from feeder.io.schools import read_schools

UTM = "EPSG:32618"
X0, Y0 = 300_000.0, 4_300_000.0
SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"
GRADES = {"elementary": (0, 5), "middle": (6, 8), "high": (9, 12), "k8": (0, 8), "6-12": (6, 12),
          "k6": (0, 6), "7-8": (7, 8), "7-12": (7, 12)}  # fmt: skip


def shifted(x0: float, x1: float, y0: float = 0.0, y1: float = 2000.0) -> Polygon:
    """A rectangle in metres relative to the test origin (UTM zone 18N, northern Virginia)."""
    return box(X0 + x0, Y0 + y0, X0 + x1, Y0 + y1)


def write_district(folder: Path, schools: dict[str, tuple[str, float, Polygon]]) -> None:
    """schools.csv with each site at its zone's centre: id -> (grade kind, enrollment, zone)."""
    folder.mkdir(parents=True, exist_ok=True)
    sites = gpd.GeoSeries([zone.centroid for _, _, zone in schools.values()], crs=UTM).to_crs(4326)
    rows = [
        {
            "school_id": sid,
            "name": f"School {sid}",
            "grade_lo": GRADES[kind][0],
            "grade_hi": GRADES[kind][1],
            "lat": site.y,
            "lon": site.x,
            "enrollment": enrollment,
        }
        for (sid, (kind, enrollment, _)), site in zip(schools.items(), sites, strict=True)
    ]
    pd.DataFrame(rows).to_csv(folder / "schools.csv", index=False)


def write_zones(
    folder: Path, zones: dict[str, Polygon | None], crs: str = UTM, name: str = "boundaries.geojson"
) -> Path:
    frame = gpd.GeoDataFrame({"school_id": list(zones)}, geometry=list(zones.values()), crs=crs)
    path = folder / name
    frame.to_file(path, driver="GeoJSON")
    return path


def as_dict(flows: pd.DataFrame) -> dict[tuple[str, str], float]:
    return {(f, t): s for f, t, s in zip(flows["from_id"], flows["to_id"], flows["students"], strict=True)}


# E1 lies in M1; E2 is cut in half by the M1/M2 border; everything feeds H1.
TWO_LEVELS = {
    "E1": ("elementary", 600, shifted(0, 2000)),
    "E2": ("elementary", 600, shifted(2000, 4000)),
    "M1": ("middle", 300, shifted(0, 3000)),
    "M2": ("middle", 150, shifted(3000, 4000)),
    "H1": ("high", 800, shifted(0, 4000)),
}
TWO_LEVELS_FLOWS = {
    ("E1", "M1"): 100.0,
    ("E2", "M1"): 50.0,
    ("E2", "M2"): 50.0,
    ("M1", "H1"): 100.0,
    ("M2", "H1"): 50.0,
}


@pytest.fixture
def two_levels(tmp_path: Path) -> Path:
    write_district(tmp_path, TWO_LEVELS)
    write_zones(tmp_path, {sid: zone for sid, (_, _, zone) in TWO_LEVELS.items()})
    return tmp_path


def test_area_weighted_overlaps_split_each_cohort(two_levels: Path) -> None:
    district = load_district(two_levels)
    assert district.flows_source == "boundaries"
    assert as_dict(district.flows) == pytest.approx(TWO_LEVELS_FLOWS, rel=1e-9)
    assert district.warnings == []


def test_zones_in_degrees_give_the_same_answer(tmp_path: Path) -> None:
    write_district(tmp_path, TWO_LEVELS)
    zones = gpd.GeoSeries([zone for _, _, zone in TWO_LEVELS.values()], crs=UTM).to_crs(4326)
    write_zones(tmp_path, dict(zip(TWO_LEVELS, zones, strict=True)), crs="EPSG:4326")
    assert as_dict(load_district(tmp_path).flows) == pytest.approx(TWO_LEVELS_FLOWS, rel=1e-3)


def test_planning_unit_students_weight_the_overlaps(two_levels: Path) -> None:
    units = gpd.GeoDataFrame(
        {"students": [100, 90, 10]},
        geometry=[shifted(0, 2000), shifted(2000, 3500), shifted(3500, 4000)],
        crs=UTM,
    )
    units.to_file(two_levels / "planning_units.geojson", driver="GeoJSON")
    district = load_district(two_levels)
    assert district.flows_source == "boundaries"
    flows = as_dict(district.flows)
    # E2 holds 90 * 2/3 = 60 students inside M1 and 90 * 1/3 + 10 = 40 inside M2.
    assert flows[("E2", "M1")] == pytest.approx(60.0)
    assert flows[("E2", "M2")] == pytest.approx(40.0)
    assert flows[("E1", "M1")] == pytest.approx(100.0)


def test_span_schools_take_their_natural_place(tmp_path: Path) -> None:
    schools = {
        "E1": ("elementary", 600, shifted(0, 2000)),
        "K8": ("k8", 900, shifted(1000, 4000)),
        "SEC": ("6-12", 700, shifted(0, 2000)),
        "H1": ("high", 800, shifted(2000, 4000)),
    }
    write_district(tmp_path, schools)
    write_zones(tmp_path, {sid: zone for sid, (_, _, zone) in schools.items()})
    flows = as_dict(load_district(tmp_path).flows)
    # E1 overlaps K8, but a K-8 takes no K-5 leavers; K8 overlaps SEC, but H1 is where
    # 9th grade starts, so the K-8's whole cohort (900 / 9) goes to H1.
    assert flows == pytest.approx({("E1", "SEC"): 100.0, ("K8", "H1"): 100.0})


def test_receivers_that_start_early_take_leavers_when_nobody_starts_at_the_next_grade() -> None:
    schools = pd.DataFrame(
        {
            "school_id": ["K6", "K5", "M", "H"],
            "grade_lo": pd.array([0, 0, 6, 9], dtype="Int64"),
            "grade_hi": pd.array([6, 5, 8, 12], dtype="Int64"),
        }
    )
    pairs = transitions(schools, [])
    assert set(zip(pairs["from_id"], pairs["to_id"], pairs["entry"], strict=True)) == {
        ("K6", "M", False), ("K5", "M", True), ("M", "H", True),
    }  # fmt: skip


def test_primary_centres_send_their_children_on_to_schools_that_also_start_at_k() -> None:
    """A K-only or K-2 school had no receiver (none starts above K), so it sent nobody anywhere;
    a K-5 still sends to the 6-8, not to the K-8 beside it, and a 10-11 sends to the 9-12."""
    schools = pd.DataFrame(
        {
            "school_id": ["KC", "K2", "K5", "K8", "M", "H", "MC"],
            "grade_lo": pd.array([0, 0, 0, 0, 6, 9, 10], dtype="Int64"),
            "grade_hi": pd.array([0, 2, 5, 8, 8, 12, 11], dtype="Int64"),
        }
    )
    pairs = transitions(schools, [])
    assert set(zip(pairs["from_id"], pairs["to_id"], strict=True)) == {
        ("KC", "K2"), ("KC", "K5"), ("KC", "K8"), ("K2", "K5"), ("K2", "K8"), ("K5", "M"),
        ("K8", "H"), ("M", "H"), ("MC", "H"),
    }  # fmt: skip


def test_a_school_entering_mid_span_takes_the_leavers_no_entry_point_is_near(tmp_path: Path) -> None:
    """K-6 leavers living in a 6-8's zone go on to it in grade 7, though a 7-8 starts at grade 7
    across town (LAUSD's 7-12 community day schools took every K-6 leaver, or none reached
    anyone); a K-8 whose zone meets a 9-12's still skips the 6-12 it also meets."""
    schools = {
        "K6": ("k6", 700, shifted(0, 2000)),
        "M": ("middle", 300, shifted(0, 2000)),
        "S": ("7-8", 200, shifted(2000, 4000)),
        "K8": ("k8", 900, shifted(2000, 4000)),
        "SEC": ("6-12", 700, shifted(2000, 3000)),
        "H": ("high", 800, shifted(0, 4000)),
    }
    write_district(tmp_path, schools)
    write_zones(tmp_path, {sid: zone for sid, (_, _, zone) in schools.items()})
    flows = as_dict(load_district(tmp_path).flows)
    assert flows[("K6", "M")] == pytest.approx(100.0)  # 700 students / 7 grades, all of them
    assert ("K6", "S") not in flows
    assert flows[("K8", "H")] == pytest.approx(100.0) and ("K8", "SEC") not in flows


def test_sliver_overlap_is_dropped_and_reported(tmp_path: Path) -> None:
    schools = {
        "E1": ("elementary", 600, shifted(0, 2000)),
        "E2": ("elementary", 600, shifted(2000, 4000)),
        "M1": ("middle", 300, shifted(0, 1980)),
        "M2": ("middle", 300, shifted(1980, 3600)),
        "M3": ("middle", 300, shifted(3600, 4000)),
    }
    write_district(tmp_path, schools)
    write_zones(tmp_path, {sid: zone for sid, (_, _, zone) in schools.items()})
    district = load_district(tmp_path)
    flows = as_dict(district.flows)
    assert ("E1", "M2") not in flows  # 1% of E1's zone
    assert flows[("E1", "M1")] == pytest.approx(100.0)
    assert flows[("E2", "M3")] == pytest.approx(20.0)  # 20% is a real split, kept
    (warning,) = [w for w in district.warnings if "sliver" in w]
    assert "1 sliver overlap(s)" in warning and "E1→M2" in warning and f"{MIN_SHARE:.0%}" in warning


def test_invalid_polygon_is_repaired_with_a_warning(two_levels: Path) -> None:
    bowtie = Polygon([(X0, Y0), (X0 + 2000, Y0 + 2000), (X0 + 2000, Y0), (X0, Y0 + 2000)])
    zones = {sid: zone for sid, (_, _, zone) in TWO_LEVELS.items()} | {"E1": bowtie}
    write_zones(two_levels, zones)
    district = load_district(two_levels)
    assert any("1 invalid polygon(s) repaired (rows 2)" in w for w in district.warnings)
    assert as_dict(district.flows)[("E1", "M1")] == pytest.approx(100.0)


def test_polygon_collapsing_to_nothing_is_left_out_with_warnings(two_levels: Path) -> None:
    flat = Polygon([(X0, Y0), (X0 + 1000, Y0 + 1000), (X0 + 2000, Y0 + 2000)])
    zones = {sid: zone for sid, (_, _, zone) in TWO_LEVELS.items()} | {"M2": flat}
    write_zones(two_levels, zones)
    district = load_district(two_levels)
    assert any(
        "1 polygon(s) have no area once repaired and are left out (rows 5)" in w for w in district.warnings
    )
    assert any(
        "1 school(s) have no zone; their nearest-school cells stand in" in w for w in district.warnings
    )
    assert ("E2", "M2") in as_dict(district.flows)  # M2's nearest-school cell stands in for its zone


def test_middle_schools_without_zones_get_nearest_school_cells(tmp_path: Path) -> None:
    """Elementary and high school zones only (as many districts publish): the middle schools'
    nearest-school cells stand in, split at x = 2,500 m between M1 (site at 1,500) and M2 (3,500),
    so E2's zone (2,000-4,000) sends a quarter to M1; without them nothing reached a middle school."""
    write_district(tmp_path, TWO_LEVELS)
    write_zones(tmp_path, {sid: zone for sid, (kind, _, zone) in TWO_LEVELS.items() if kind != "middle"})
    district = load_district(tmp_path)
    assert as_dict(district.flows) == pytest.approx(
        {("E1", "M1"): 100.0, ("E2", "M1"): 25.0, ("E2", "M2"): 75.0, ("M1", "H1"): 100.0, ("M2", "H1"): 50.0}
    )
    assert any(
        "2 school(s) have no zone; their nearest-school cells stand in" in w for w in district.warnings
    )


def test_numeric_school_ids_in_zones_match_text_ids(tmp_path: Path) -> None:
    schools = {"1": ("elementary", 600, shifted(0, 2000)), "2": ("middle", 300, shifted(0, 2000))}
    write_district(tmp_path, schools)
    frame = gpd.GeoDataFrame({"school_id": [1.0, 2.0]}, geometry=[shifted(0, 2000)] * 2, crs=UTM)
    frame.to_file(tmp_path / "boundaries.geojson", driver="GeoJSON")
    assert as_dict(load_district(tmp_path).flows) == pytest.approx({("1", "2"): 100.0})


def test_zone_without_geometry_is_refused_naming_its_row(two_levels: Path) -> None:
    write_zones(two_levels, {sid: zone for sid, (_, _, zone) in TWO_LEVELS.items()} | {"E2": None})
    with pytest.raises(
        FeederError, match=r"^boundaries\.geojson, row 3, column 'geometry': feature has no geometry$"
    ):
        load_district(two_levels)


def test_zone_without_school_id_is_refused_naming_its_row(two_levels: Path) -> None:
    frame = gpd.GeoDataFrame(
        {"school_id": ["E1", None]}, geometry=[shifted(0, 2000), shifted(2000, 4000)], crs=UTM
    )
    frame.to_file(two_levels / "boundaries.geojson", driver="GeoJSON")
    with pytest.raises(
        FeederError, match=r"^boundaries\.geojson, row 3, column 'school_id': zone has no school_id$"
    ):
        load_district(two_levels)


def test_missing_school_id_column_is_refused(two_levels: Path) -> None:
    frame = gpd.GeoDataFrame({"zone": ["E1"]}, geometry=[shifted(0, 2000)], crs=UTM)
    frame.to_file(two_levels / "boundaries.geojson", driver="GeoJSON")
    with pytest.raises(FeederError, match="missing required column 'school_id'"):
        load_district(two_levels)


def test_unknown_school_zone_is_left_out_with_a_warning(two_levels: Path) -> None:
    zones = {sid: zone for sid, (_, _, zone) in TWO_LEVELS.items()} | {"CLOSED": shifted(0, 500)}
    write_zones(two_levels, zones)
    district = load_district(two_levels)
    assert as_dict(district.flows) == pytest.approx(TWO_LEVELS_FLOWS)
    assert any(
        "1 zone(s) name schools not in the schools table" in w and "CLOSED" in w for w in district.warnings
    )


def test_zones_naming_no_school_are_refused_with_an_example_of_each_spelling(two_levels: Path) -> None:
    write_zones(two_levels, {f"Z{sid}": zone for sid, (_, _, zone) in TWO_LEVELS.items()})
    with pytest.raises(FeederError, match=r"none of the 5 zones names a school of schools\.csv \(e\.g\. 'ZE1'; "
                       r"schools\.csv has 'E1'\)"):  # fmt: skip
        load_district(two_levels)


def test_zones_far_from_their_schools_are_refused_and_one_far_zone_is_named(two_levels: Path) -> None:
    """Zones in a wrong CRS overlap each other as well as ever: without the check, every flow came out
    as an even spread with exit 0."""
    zones = {
        sid: shapely.affinity.translate(zone, yoff=-3_000_000) for sid, (_, _, zone) in TWO_LEVELS.items()
    }
    write_zones(two_levels, zones)
    with pytest.raises(
        FeederError, match=r"the zones lie far from their schools' sites \(half are over 3,0\d\d km"
    ):
        load_district(two_levels)
    zones = {sid: zone for sid, (_, _, zone) in TWO_LEVELS.items()}
    zones["M2"] = shapely.affinity.translate(zones["M2"], xoff=15_000)  # 14 km east of its school
    write_zones(two_levels, zones)
    warned = [w for w in load_district(two_levels).warnings if "from their school's site" in w]
    assert len(warned) == 1 and "1 zone(s) lie over 10 km" in warned[0] and "'M2' is 14 km" in warned[0]


def test_non_polygon_zone_is_refused(two_levels: Path) -> None:
    zones = {sid: zone for sid, (_, _, zone) in TWO_LEVELS.items()}
    zones["M2"] = zones["M2"].centroid
    write_zones(two_levels, zones)
    with pytest.raises(FeederError, match=r"row 5, column 'geometry': a Point where a polygon"):
        load_district(two_levels)


ASSIGNMENTS = """unit_id,students,elementary_id,middle_id,high_id
u1,30,E1,M1,H1
u2,10,E1,M2,H1
u3,20,E2,M2,H1
u4,5,K8,,H1
u5,5,K8,K8,H1
"""


@pytest.fixture
def assigned(tmp_path: Path) -> Path:
    schools = {sid: spec for sid, spec in TWO_LEVELS.items() if sid != "E2"}
    schools |= {"E2": ("elementary", 300, shifted(2000, 4000)), "K8": ("k8", 450, shifted(0, 100))}
    write_district(tmp_path, schools)
    return tmp_path


def test_assignments_weight_units_by_students(assigned: Path) -> None:
    (assigned / "assignments.csv").write_text(ASSIGNMENTS)
    district = load_district(assigned)
    assert district.flows_source == "assignments"
    assert as_dict(district.flows) == pytest.approx(
        {
            ("E1", "M1"): 75.0,
            ("E1", "M2"): 25.0,
            ("E2", "M2"): 50.0,
            ("K8", "H1"): 50.0,
            ("M1", "H1"): 100.0,
            ("M2", "H1"): 50.0,
        }
    )


def test_assignments_without_students_count_units(assigned: Path) -> None:
    text = "\n".join(
        ",".join(c for i, c in enumerate(line.split(",")) if i != 1) for line in ASSIGNMENTS.splitlines()
    )
    (assigned / "assignments.csv").write_text(text + "\n")
    flows = as_dict(load_district(assigned).flows)
    assert flows[("E1", "M1")] == pytest.approx(50.0)
    assert flows[("E1", "M2")] == pytest.approx(50.0)


def test_assignments_retyped_in_another_case_are_matched(assigned: Path) -> None:
    """A planning office's export spelled 'e1' for 'E1': the links of those units were left out."""
    (assigned / "assignments.csv").write_text(ASSIGNMENTS.replace("E1", "e1").replace(",M2,", ",m2,"))
    retyped = load_district(assigned)
    (assigned / "assignments.csv").write_text(ASSIGNMENTS)
    assert as_dict(retyped.flows) == pytest.approx(as_dict(load_district(assigned).flows))
    assert any("4 school id(s) were written differently" in note for note in retyped.warnings)


def test_assignments_running_backwards_are_refused(assigned: Path) -> None:
    (assigned / "assignments.csv").write_text(ASSIGNMENTS + "u6,3,H1,M1,\n")
    with pytest.raises(
        FeederError,
        match=r"^assignments\.csv, row 7, column 'middle_id': 'M1' \(grades 6-8\) cannot take the leavers of 'H1'",
    ):
        load_district(assigned)


def test_assignments_naming_unknown_schools_break_the_chain(assigned: Path) -> None:
    (assigned / "assignments.csv").write_text(ASSIGNMENTS + "u6,3,E1,GONE,H1\n")
    district = load_district(assigned)
    (warning,) = [w for w in district.warnings if "not in the schools table" in w]
    assert warning.startswith("assignments.csv: 1 assignment(s)") and warning.endswith("GONE")
    assert ("E1", "H1") not in as_dict(district.flows)  # no K-5 -> 9-12 shortcut


def test_assignments_skipping_a_level_are_refused(assigned: Path) -> None:
    (assigned / "assignments.csv").write_text(ASSIGNMENTS + "u6,3,E1,,H1\n")
    with pytest.raises(
        FeederError,
        match=r"^assignments\.csv, row 7, column 'high_id': 'H1' \(grades 9-12\) cannot take the leavers of 'E1' \(grades K-5\)",
    ):
        load_district(assigned)


def test_sites_alone_give_a_rough_labelled_estimate(tmp_path: Path) -> None:
    schools = {
        "E1": ("elementary", 600, shifted(0, 1000)),
        "E2": ("elementary", 600, shifted(9000, 10000)),
        "M1": ("middle", 300, shifted(1000, 2000)),
        "M2": ("middle", 300, shifted(8000, 9000)),
        "H1": ("high", 800, shifted(4000, 6000)),
    }
    write_district(tmp_path, schools)
    district = load_district(tmp_path)
    assert district.flows_source == ROUGH_SOURCE == "sites (rough estimate)"
    assert any("rough" in w for w in district.warnings)
    flows = as_dict(district.flows)
    assert flows == pytest.approx(
        {("E1", "M1"): 100.0, ("E2", "M2"): 100.0, ("M1", "H1"): 100.0, ("M2", "H1"): 100.0}
    )


def test_infer_command_writes_flows_csv(
    two_levels: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    assert main(["infer", str(two_levels), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "source: boundaries (boundaries.geojson (weighted by overlap area))" in printed
    assert (out / "flows.csv").read_text().startswith("# feeder: flows from boundaries (an estimate")
    written = pd.read_csv(out / "flows.csv", dtype={"from_id": str, "to_id": str}, comment="#")
    assert list(written.columns) == ["from_id", "to_id", "students"]
    assert as_dict(written) == pytest.approx(TWO_LEVELS_FLOWS)
    assert main(["infer", str(two_levels), "--out", str(out)]) == 2
    assert "already exists; pass --force" in capsys.readouterr().err
    assert main(["infer", str(two_levels), "--out", str(out), "--force"]) == 0
    shutil.copy(out / "flows.csv", two_levels / "flows.csv")  # its first line keeps it labelled an estimate
    assert load_district(two_levels).flows_source == "boundaries"


def test_infer_command_reports_bad_zones_in_one_line(
    two_levels: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_zones(two_levels, {"E1": None})
    assert main(["infer", str(two_levels), "--out", str(two_levels / "out")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error: boundaries.geojson, row 2")
    assert not (two_levels / "out" / "flows.csv").exists()


@settings(max_examples=15, deadline=None)
@given(
    cuts=st.lists(st.integers(1, 99), min_size=1, max_size=4, unique=True),
    borders=st.lists(st.integers(1, 99), min_size=1, max_size=3, unique=True),
)
def test_every_sender_sends_its_whole_cohort(
    tmp_path_factory: pytest.TempPathFactory, cuts: list[int], borders: list[int]
) -> None:
    """Strips of elementary and middle zones over one square: each cohort is kept whole."""
    folder = tmp_path_factory.mktemp("strips")
    edges = [0, *sorted(cuts), 100]
    middles = [0, *sorted(borders), 100]
    schools = {
        f"E{i}": ("elementary", 60.0 * (i + 1), shifted(a * 40, b * 40))
        for i, (a, b) in enumerate(itertools.pairwise(edges))
    }
    schools |= {
        f"M{i}": ("middle", 300.0, shifted(a * 40, b * 40))
        for i, (a, b) in enumerate(itertools.pairwise(middles))
    }
    write_district(folder, schools)
    write_zones(folder, {sid: zone for sid, (_, _, zone) in schools.items()})
    warnings: list[str] = []
    flows = flows_from_boundaries(
        folder / "boundaries.geojson", read_schools(folder / "schools.csv", warnings=[]), warnings
    )
    sent = flows.groupby("from_id")["students"].sum()
    for sid, (kind, enrollment, _) in schools.items():
        if kind == "elementary":
            assert sent[sid] == pytest.approx(enrollment / 6)
    share = flows["students"] / flows["from_id"].map(sent)
    assert (share >= MIN_SHARE).all()


def edge_recovery(estimate: pd.DataFrame, truth: pd.DataFrame) -> dict[str, float]:
    """How much of the true feeder topology an estimate recovers."""
    true_edges = set(zip(truth["from_id"], truth["to_id"], strict=True))
    found = set(zip(estimate["from_id"], estimate["to_id"], strict=True))
    dominant = truth.loc[truth.groupby("from_id")["students"].idxmax()].set_index("from_id")["to_id"]
    guessed = estimate.loc[estimate.groupby("from_id")["students"].idxmax()].set_index("from_id")["to_id"]
    return {
        "all_edges": len(true_edges & found) / len(true_edges),
        "dominant_edges": sum((s, r) in found for s, r in dominant.items()) / len(dominant),
        "dominant_agreement": float((guessed.reindex(dominant.index) == dominant).mean()),
        "precision": len(true_edges & found) / len(found),
    }


def test_lcps_nearest_estimate_recovers_most_real_feeders(lcps_path: Path, tmp_path: Path) -> None:
    shutil.copy(lcps_path / "schools.csv", tmp_path / "schools.csv")
    district = load_district(tmp_path)
    assert district.flows_source == ROUGH_SOURCE
    truth = pd.read_csv(lcps_path / "flows.csv", dtype={"from_id": str, "to_id": str})
    scores = edge_recovery(district.flows, truth)
    # Measured: all edges 0.79, true dominant edges present 0.905, dominant agreement 0.716,
    # precision 0.658 (120 estimated edges against 100 real ones).
    assert scores["all_edges"] >= 0.75
    assert scores["dominant_edges"] >= 0.87
    assert scores["dominant_agreement"] >= 0.68
    assert scores["precision"] >= 0.6


def test_a_district_where_nobody_moves_on_says_which_grades_it_has(tmp_path: Path) -> None:
    schools = {"E1": ("elementary", 400, shifted(0, 2000)), "E2": ("elementary", 300, shifted(2000, 4000)),
               "M": ("7-8", 900, shifted(0, 4000))}  # fmt: skip
    write_district(tmp_path, schools)
    with pytest.raises(FeederError, match=r"no school teaches the grade after another school's highest grade "
                       r"\(the schools teach grades K-5 \(2 schools\), 7-8 \(1 school\)\); add the schools "
                       "students go on to, or a flows.csv$"):  # fmt: skip
        load_district(tmp_path)
    write_zones(tmp_path, {sid: zone for sid, (_, _, zone) in schools.items()})
    with pytest.raises(FeederError, match=r"from boundaries\.geojson .*: no school teaches the grade after"):
        load_district(tmp_path)


def test_sites_estimate_handles_a_single_receiver(tmp_path: Path) -> None:
    schools = {
        "E1": ("elementary", 600, shifted(0, 1000)),
        "E2": ("elementary", 600, shifted(0, 1000)),
        "M1": ("middle", 300, shifted(5000, 6000)),
    }
    write_district(tmp_path, schools)
    warnings: list[str] = []
    flows = flows_from_sites(read_schools(tmp_path / "schools.csv", warnings=[]), warnings)
    assert as_dict(flows) == pytest.approx({("E1", "M1"): 100.0, ("E2", "M1"): 100.0})


def test_every_school_sends_and_a_small_receiver_takes_only_what_it_has_room_for(
    lcps_path: Path, tmp_path: Path
) -> None:
    """Loudoun's sites with ten elementaries made K-6, one 7-8 school and a 9-12 continuation
    school of 160 students amid its high schools (as LAUSD's): every school below grade 12
    still sends its whole cohort, the K-6s to middle schools near them, and the continuation
    school takes at most twice its own grade size (its cell alone held a whole high school's).
    Loudoun's Waxpool ES, listed as K only, sends its cohort on to grade 1 of the K-5s near it."""
    schools = pd.read_csv(lcps_path / "schools.csv", dtype={"school_id": str})
    elementary = schools.index[schools["level"] == "elementary"][:10]
    schools.loc[elementary, "grade_hi"] = 6
    middle, high = (schools[schools["level"] == level].iloc[0] for level in ("middle", "high"))
    extra = pd.DataFrame(
        [
            {**middle.to_dict(), "school_id": "S78", "name": "Grade 7-8 School", "grade_lo": 7,
             "lat": middle["lat"] + 0.01},
            {**high.to_dict(), "school_id": "CONT", "name": "Continuation High", "enrollment": 160,
             "lat": high["lat"] + 0.03, "lon": high["lon"] + 0.03},
        ]
    )  # fmt: skip
    pd.concat([schools, extra]).drop(columns=["level"]).to_csv(tmp_path / "schools.csv", index=False)
    district = load_district(tmp_path)
    sent = district.flows.groupby("from_id")["students"].sum()
    received = district.flows.groupby("to_id")["students"].sum()
    table = district.schools.set_index("school_id")
    below_12 = table.index[table["grade_hi"] < 12]
    grades = table["grade_hi"] - table["grade_lo"].clip(lower=0) + 1
    cohorts = (table["enrollment"].astype(float) / grades.astype(float))[below_12]
    assert sent.reindex(below_12).to_numpy(dtype=float) == pytest.approx(cohorts.to_numpy(dtype=float))
    assert received.get("CONT", 0.0) <= 2 * 160 / 4 + 1e-6
    k6 = district.flows[district.flows["from_id"].isin(table.index[table["grade_hi"] == 6])]
    into_middle = k6.loc[table.loc[k6["to_id"], "grade_lo"].to_numpy() == 6, "students"].sum()
    assert into_middle >= 0.5 * k6["students"].sum()  # most enter a 6-8 near them in grade 7


def test_schools_whose_next_grade_nobody_teaches_are_named(tmp_path: Path) -> None:
    """A K-8 district's middle school sends its leavers nowhere in the district: a warning says so."""
    write_district(
        tmp_path, {"E1": ("elementary", 400, shifted(0, 2000)), "M": ("middle", 600, shifted(2000, 4000))}
    )
    district = load_district(tmp_path)
    assert set(district.flows["from_id"]) == {"E1"}
    assert any(
        w.startswith("1 school(s) below grade 12 send no inferred flow") and w.endswith(": M")
        for w in district.warnings
    ), district.warnings


def test_a_plan_scored_on_infers_flows_csv_keeps_its_cohesion(lcps_path: Path, tmp_path: Path) -> None:
    """The audit: a judge scoring with the flows.csv `feeder infer` wrote got another cohesion than
    feeder's for the folder without it (2e-6 apart on a zone-flow district: the file had 2 decimals)."""
    folder = tmp_path / "lcps"
    folder.mkdir()
    shutil.copy(lcps_path / "schools.csv", folder / "schools.csv")  # flows estimated from the sites
    estimated = load_district(folder)
    labels = estimated.schools["pyramid"].to_numpy(dtype=object)
    assert main(["infer", str(folder), "--out", str(tmp_path / "out")]) == 0
    shutil.copy(tmp_path / "out" / "flows.csv", folder / "flows.csv")
    from_file = load_district(folder)
    assert from_file.flows_source == estimated.flows_source
    assert len(from_file.flows) == len(estimated.flows)
    ours, theirs = (metrics.cohesion(d, labels) for d in (estimated, from_file))
    assert abs(ours - theirs) < 1e-7, (ours, theirs)
