"""Every input either works or is refused clearly: odd district shapes through the CLI.

The districts here are built to be awkward — co-located campuses, islands, schools
without flows, only flows to OUT, regions of uneven size — and the CLI must either write
a plan that keeps every invariant or exit 2 with one line, never another exception.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from synthetic import generate_district, write_district

from feeder import metrics
from feeder.cli import main
from feeder.design import design
from feeder.district import load_district
from feeder.errors import FeederError
from feeder.spec import DesignSpec

LEVEL_GRADES = {"elementary": (0, 5), "middle": (6, 8), "high": (9, 12), "span": (0, 8)}


def awkward_district(
    folder: Path,
    rng: np.random.Generator,
    n: int,
    *,
    campuses: int,
    islands: int,
    flow_share: float,
    out_only: bool,
    regions: int,
    middle_schools: bool = True,
) -> Path:
    """Write a district with the awkward features asked for; return its folder."""
    levels = rng.choice(
        ["elementary", "middle", "high"] if middle_schools else ["span", "high"],
        size=n,
        p=[0.7, 0.18, 0.12] if middle_schools else [0.8, 0.2],
    )
    centres = rng.uniform(-1, 1, size=(islands, 2)) * 0.6
    island = rng.integers(islands, size=n)
    lat = 34.0 + centres[island, 0] + rng.normal(0, 0.03, n)
    lon = -118.2 + centres[island, 1] + rng.normal(0, 0.03, n)
    for school in rng.choice(n, size=min(n, campuses), replace=False):
        lat[school], lon[school] = lat[0], lon[0]
    region = np.where(rng.random(n) < 0.8, "North", "South") if regions > 1 else np.full(n, "")
    schools = pd.DataFrame(
        {
            "school_id": [f"{i:05d}" for i in range(n)],
            "name": [f"School {i} <b>&</b>" for i in range(n)],
            "level": levels,
            "grade_lo": [LEVEL_GRADES[level][0] for level in levels],
            "grade_hi": [LEVEL_GRADES[level][1] for level in levels],
            "lat": lat.round(6),
            "lon": lon.round(6),
            "enrollment": rng.integers(0, 2000, n),
            "region": region,
        }
    )
    rank = {"elementary": 0, "span": 0, "middle": 1, "high": 2}
    rows = []
    for i in range(n):
        if rng.random() > flow_share:
            continue
        if out_only:
            rows.append((schools.school_id[i], "OUT", 10))
            continue
        higher = np.flatnonzero(
            [
                rank[level] > rank[levels[i]] and not (levels[i] == "middle" and level == "span")
                for level in levels
            ]
        )
        if len(higher):
            nearest = higher[np.argsort((lat[higher] - lat[i]) ** 2 + (lon[higher] - lon[i]) ** 2)[:2]]
            rows += [(schools.school_id[i], schools.school_id[j], int(rng.integers(1, 200))) for j in nearest]
        rows.append((schools.school_id[i], "OUT", int(rng.integers(1, 20))))
    if not rows:
        rows.append((schools.school_id[0], "OUT", 1))
    folder.mkdir(parents=True)
    schools.to_csv(folder / "schools.csv", index=False)
    pd.DataFrame(rows, columns=["from_id", "to_id", "students"]).to_csv(folder / "flows.csv", index=False)
    return folder


def assert_plan_keeps_invariants(district_folder: Path, out: Path, min_size: int, max_size: int) -> None:
    district = load_district(district_folder)
    plan = pd.read_csv(out / "portfolios.csv", dtype=str)
    assert plan["school_id"].tolist() == district.ids, "every school exactly once, in district order"
    sizes = plan["portfolio"].value_counts()
    assert sizes.between(min_size, max_size).all()
    labels = plan["portfolio"].to_numpy(dtype=object)
    assert metrics.contiguous(district, labels) == 1.0


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    n=st.integers(12, 400),
    seed=st.integers(0, 2**16),
    campuses=st.integers(0, 30),
    islands=st.integers(1, 3),
    flow_share=st.sampled_from([0.0, 0.3, 1.0]),
    out_only=st.booleans(),
    regions=st.integers(1, 2),
    within_region=st.booleans(),
    middle_schools=st.booleans(),
)
def test_cli_designs_a_valid_plan_or_refuses_in_one_line(
    tmp_path_factory,
    capsys,
    n,
    seed,
    campuses,
    islands,
    flow_share,
    out_only,
    regions,
    within_region,
    middle_schools,
):
    root = tmp_path_factory.mktemp("awkward")
    folder = awkward_district(
        root / "district",
        np.random.default_rng(seed),
        n,
        campuses=campuses,
        islands=islands,
        flow_share=flow_share,
        out_only=out_only,
        regions=regions,
        middle_schools=middle_schools,
    )
    args = ["design", str(folder), "--out", str(root / "out")] + (
        ["--within-region"] if within_region else []
    )
    code = main(args)
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    assert "internal error" not in captured.err, captured.err
    if code == 0:
        assert_plan_keeps_invariants(folder, root / "out", 12, 24)
    else:
        assert code == 2
        assert len(captured.err.strip().splitlines()) == 1, captured.err
        assert not (root / "out").exists(), "a refused run wrote nothing"


@pytest.mark.parametrize(
    ("name", "options"),
    [
        ("twelve schools", {"n": 12, "campuses": 0, "islands": 1}),
        ("one campus", {"n": 30, "campuses": 30, "islands": 1}),
        ("island district", {"n": 80, "campuses": 3, "islands": 2}),
        ("no middle schools", {"n": 90, "campuses": 0, "islands": 1, "middle_schools": False}),
        ("no flows at all but OUT", {"n": 40, "campuses": 0, "islands": 1, "out_only": True}),
    ],
)
def test_awkward_shapes_get_valid_plans(tmp_path: Path, name: str, options: dict) -> None:
    options = {"flow_share": 1.0, "out_only": False, "regions": 1} | options
    folder = awkward_district(tmp_path / "district", np.random.default_rng(7), **options)
    plan = design(load_district(folder))
    sizes = np.array(list(plan.sizes().values()))
    assert ((sizes >= 12) & (sizes <= 24)).all(), name
    assert sorted(plan.assignment.index) == sorted(load_district(folder).ids)
    assert plan.score()["contiguous"] == 1.0


def test_no_middle_schools_still_k12_complete(tmp_path: Path) -> None:
    folder = awkward_district(
        tmp_path / "d",
        np.random.default_rng(3),
        96,
        campuses=0,
        islands=1,
        flow_share=1.0,
        out_only=False,
        regions=1,
        middle_schools=False,
    )
    district = load_district(folder)
    assert set(district.schools["level"]) == {"span", "high"}
    assert design(district).score()["k12_complete"] == 1.0


def test_uneven_region_too_small_is_refused_with_a_fix(tmp_path: Path) -> None:
    schools, flows = generate_district(60, seed=1, n_regions=1)
    southernmost = schools["lat"].rank(method="first") <= 11
    schools["region"] = np.where(southernmost, "Tiny", "Big")
    district = load_district(write_district(tmp_path / "d", schools, flows))
    with pytest.raises(FeederError, match=r"region Tiny has 11 schools.*--min-size 11"):
        design(district, spec=DesignSpec(within_region=True))


@pytest.mark.slow
@pytest.mark.parametrize("n", [2_000, 5_000])
def test_large_generated_districts_keep_every_invariant(tmp_path: Path, n: int) -> None:
    folder = write_district(tmp_path / "d", *generate_district(n, seed=5))
    assert main(["design", str(folder), "--out", str(tmp_path / "out")]) == 0
    assert_plan_keeps_invariants(folder, tmp_path / "out", 12, 24)
