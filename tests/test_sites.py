"""Sites far outside their ZIP's or region's cluster are warned about at load, naming the school."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from synthetic import generate_district, write_district

from feeder import load_district
from feeder.io.schools import read_schools
from feeder.lint import lint_district
from feeder.sites import outlying_sites


def test_lausd_wrong_geocodes_are_named_at_load(lausd_path: Path, tmp_path: Path) -> None:
    shutil.copy(lausd_path / "schools.csv", tmp_path / "schools.csv")
    warnings = [w for w in load_district(tmp_path).warnings if "far outside" in w]
    assert len(warnings) == 2
    assert "'6019582' (Twentieth Street Elementary) is 19 km" in warnings[0]
    assert "'0124412' (Sotomayor Arts and Sciences Magnet) is 27 km" in warnings[1]


def test_check_names_lausd_wrong_geocodes_at_their_rows(lausd_path: Path) -> None:
    far = [(p.row, p.column) for p in lint_district(lausd_path) if "far outside" in p.text]
    assert far == [
        (107, "lat"),
        (586, "lat"),
    ]  # Sotomayor Arts and Sciences Magnet, Twentieth Street Elementary


def test_wide_rural_groups_are_not_outliers(lcps_path: Path) -> None:
    """Loudoun's western elementary schools lie 9-16 km from the rest of their pyramid, for real."""
    schools = read_schools(lcps_path / "schools.csv", warnings=[])
    assert outlying_sites(schools.assign(region=schools["pyramid"])) == []


@pytest.mark.parametrize("seed", range(4))
def test_a_school_geocoded_65_km_off_is_found(tmp_path: Path, seed: int) -> None:
    """Regions of ~160 schools span up to ~25 km from their middle: 65 km north is far outside
    (a ZIP code, a few km across, catches far smaller errors: see the LAUSD test)."""
    schools, flows = generate_district(320, seed, n_regions=2)
    moved = int(np.random.default_rng(seed).integers(len(schools)))
    schools.loc[moved, "lat"] = schools["lat"].max() + 0.6
    district = load_district(write_district(tmp_path, schools, flows))
    found = [w for w in district.warnings if "far outside" in w]
    assert len(found) == 1 and f"'{schools.loc[moved, 'school_id']}'" in found[0]
    schools, _ = generate_district(320, seed, n_regions=2)
    assert outlying_sites(schools) == []


@pytest.mark.parametrize("seed", range(3))
def test_a_site_far_beyond_the_whole_district_is_found_without_zip_or_region(
    tmp_path: Path, seed: int
) -> None:
    """An outdoor-education site or a mistyped latitude 140 km out, in a district that lists no ZIP
    code or region to compare it with: `feeder check` names it at its row."""
    schools, flows = generate_district(200, seed)
    schools = schools.drop(columns=["region"])
    moved = int(np.random.default_rng(seed).integers(len(schools)))
    schools.loc[moved, "lat"] = schools["lat"].max() + 1.2
    folder = write_district(tmp_path, schools, flows)
    found = [w for w in load_district(folder).warnings if "far beyond the district" in w]
    assert len(found) == 1 and f"'{schools.loc[moved, 'school_id']}'" in found[0]
    rows = [p.row for p in lint_district(folder) if "far beyond the district" in p.text]
    assert rows == [moved + 2]


def test_a_school_moved_outside_a_rural_county_is_found_without_zip_or_region(lcps_path: Path) -> None:
    """Seneca Ridge MS geocoded 55 km south: 42 km from any school, yet within twice Loudoun's
    extent; no other Loudoun school is over 13 km from its nearest, so it stands out."""
    schools = read_schools(lcps_path / "schools.csv", warnings=[]).drop(columns=["pyramid"])
    assert outlying_sites(schools) == []
    moved = schools.assign(lat=schools["lat"].where(schools["school_id"] != "SRM", schools["lat"] - 0.5))
    found = outlying_sites(moved)
    assert len(found) == 1 and found[0].startswith("school 'SRM' (Seneca Ridge Ms) is 42 km from the nearest")


def test_an_annex_of_several_schools_is_not_an_outlier(tmp_path: Path) -> None:
    """A district's far annex (several schools 50 km out, each near the others) is real geography."""
    schools, _ = generate_district(200, 0)
    schools = schools.drop(columns=["region"])
    annex = schools.index[:8]
    schools.loc[annex, "lat"] = schools.loc[annex, "lat"] - schools["lat"].min() + schools["lat"].max() + 0.45
    assert outlying_sites(schools) == []
