"""Names across plans: a portfolio that continues an old one keeps its name; others get fresh ones."""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from feeder.cli import main
from feeder.design import design
from feeder.design.naming import renamed
from feeder.district import load_district
from feeder.plan import Plan
from feeder.sample import sample_path
from feeder.spec import DesignSpec


@pytest.fixture(scope="module")
def sample():
    return load_district(sample_path())


def carried_names_continue(labels: np.ndarray, reference: np.ndarray, levels: np.ndarray) -> list[str]:
    """Names shared with the reference; each must continue that reference portfolio both ways (most
    of its schools come from it, and most of its schools go to it) and hold no level it lacked."""
    shared = sorted(set(labels) & set(reference))
    for name in shared:
        members, before = labels == name, reference == name
        both = (members & before).sum()
        assert both > members.sum() / 2 and both > before.sum() / 2, name
        assert set(levels[members]) <= set(levels[before]), name
    return shared


def levels_of(district) -> np.ndarray:
    return district.schools["level"].to_numpy(dtype=object)


def test_names_carried_into_the_sample_run_design_continue_both_ways(sample) -> None:
    """Today's sample plan is by level; a designed portfolio takes a today's name only when most of its
    schools came from that portfolio, most of that portfolio's schools came along, and it holds no
    other level ("South-ES-3" named a K-12 portfolio of 17 of its elementaries and 7 other schools)."""
    today = sample.schools["portfolio"].to_numpy(dtype=object)
    plan = design(sample, spec=DesignSpec(within_region=True))  # as `feeder run` designs it
    carried_names_continue(plan.labels, today, levels_of(sample))


@pytest.fixture(scope="module")
def loudoun_today(lcps_path, tmp_path_factory) -> Path:
    """Loudoun with a K-12 plan of 6 portfolios as today's `portfolio` column."""
    folder = tmp_path_factory.mktemp("loudoun_today")
    plan = design(load_district(lcps_path), spec=DesignSpec(k=6), effort="quick")
    schools = pd.read_csv(lcps_path / "schools.csv", dtype=str)
    schools["portfolio"] = "Area " + pd.Series(plan.labels).str.split().str[0]
    schools.to_csv(folder / "schools.csv", index=False)
    shutil.copy(lcps_path / "flows.csv", folder / "flows.csv")
    return folder


def test_stability_plan_keeps_most_of_todays_names(loudoun_today) -> None:
    district = load_district(loudoun_today)
    today = district.schools["portfolio"].to_numpy(dtype=object)
    plan = design(district, spec=DesignSpec(stability=0.5), effort="quick")
    shared = carried_names_continue(plan.labels, today, levels_of(district))
    assert len(shared) > len(plan.portfolios()) / 2


def test_a_lock_named_like_another_place_today_leaves_that_place_a_fresh_name(
    loudoun_today, tmp_path
) -> None:
    """Locking one school under the name of a portfolio it is not in today: the lock takes the name,
    and today's portfolio of that name, continued, gets a fresh name (it read "Area X (free)")."""
    district = load_district(loudoun_today)
    today = district.schools.set_index("school_id")["portfolio"]
    school = today.index[0]
    distance = pd.Series(np.hypot(*(district.positions_km - district.positions_km[0]).T), index=today.index)
    elsewhere = distance.groupby(today).mean().idxmax()  # today's portfolio farthest from the school
    (tmp_path / "locks.csv").write_text(f"school_id,portfolio\n{school},{elsewhere}\n")
    out = tmp_path / "out"
    assert main(["design", str(loudoun_today), "--out", str(out), "--lock", str(tmp_path / "locks.csv"),
                 "--effort", "quick", "--no-lock-cost"]) == 0  # fmt: skip
    labels = pd.read_csv(out / "portfolios.csv", dtype=str).set_index("school_id")["portfolio"]
    assert set(labels.index[labels == elsewhere]) == set(labels.index[labels == labels[school]])
    continuation = labels[today == elsewhere].value_counts().idxmax()
    assert continuation != elsewhere and "(free)" not in continuation


def test_renamed_restores_swapped_names_and_freshens_a_merged_portfolio(sample) -> None:
    today = sample.schools["portfolio"].to_numpy(dtype=object)
    first, second, third = sorted(set(today))[:3]
    swapped = np.where(today == first, second, np.where(today == second, first, today))
    assert list(renamed(sample, swapped, reference=today)) == list(today)
    # half of `third` joins `first` under the name `third`: it continues `first`, not `third`
    third_members = np.flatnonzero(today == third)
    mixed = today.copy()
    mixed[third_members[: len(third_members) // 2]] = first
    mixed = np.where(mixed == first, "Zed", mixed)
    mixed = np.where((today == third) & (mixed != "Zed"), first, mixed)
    names = renamed(sample, mixed, reference=today)
    carried_names_continue(names, today, levels_of(sample))
    assert len(set(names)) == len(set(mixed))


def test_design_names_from_another_plan(tmp_path, lcps_path) -> None:
    first, second = tmp_path / "k6", tmp_path / "default"
    assert main(["design", str(lcps_path), "--out", str(first), "--k", "6"]) == 0
    assert (
        main(["design", str(lcps_path), "--out", str(second), "--names-from", str(first / "portfolios.csv")])
        == 0
    )
    reference = pd.read_csv(first / "portfolios.csv", dtype=str).set_index("school_id")["portfolio"]
    labels = pd.read_csv(second / "portfolios.csv", dtype=str).set_index("school_id")["portfolio"]
    reference = reference.loc[labels.index].to_numpy(dtype=object)
    levels = (
        load_district(lcps_path)
        .schools.set_index("school_id")
        .loc[labels.index, "level"]
        .to_numpy(dtype=object)
    )
    shared = carried_names_continue(labels.to_numpy(dtype=object), reference, levels)
    assert shared, "the default Loudoun plan continues some of the k=6 plan's portfolios"
    # every portfolio whose schools mostly come from one k=6 portfolio, alone in doing so, keeps its name
    for name in set(labels):
        source, count = Counter(reference[labels.to_numpy() == name]).most_common(1)[0]
        rivals = [
            other
            for other in set(labels) - {name}
            if Counter(reference[labels.to_numpy() == other])[source] > (labels == other).sum() / 2
        ]
        members = labels.to_numpy() == name
        same_levels = set(levels[members]) <= set(levels[reference == source])
        if (
            count > members.sum() / 2
            and count > (reference == source).sum() / 2
            and not rivals
            and same_levels
        ):
            assert name == source
    assert Plan.from_csv(load_district(lcps_path), second / "portfolios.csv").violations() == []


def test_names_from_is_read_before_the_search(tmp_path, lcps_path, monkeypatch, capsys) -> None:
    """A broken --names-from file is refused before any search time is spent (and what reading
    it warns about is shown with the district's warnings)."""
    from feeder.design import designer

    schools = pd.read_csv(lcps_path / "schools.csv", dtype=str)
    names = pd.DataFrame(
        {"school_id": schools["school_id"], "portfolio": "Area " + schools["region"].fillna("")}
    )
    broken = names.iloc[1:]
    broken.to_csv(tmp_path / "broken.csv", index=False)

    def no_search(*args, **kwargs):
        raise AssertionError("the search ran before --names-from was read")

    monkeypatch.setattr(designer, "run_design", no_search)
    code = main(
        [
            "design",
            str(lcps_path),
            "--out",
            str(tmp_path / "out"),
            "--names-from",
            str(tmp_path / "broken.csv"),
        ]
    )
    assert code == 2
    assert "have no portfolio" in capsys.readouterr().err
