"""Regenerate the bundled sample district, or write a larger synthetic district.

With no arguments this rewrites data/sample exactly as committed: 280 schools shaped like
LAUSD's Local Districts South (Watts, Gardena, Carson, Harbor City, Wilmington, San Pedro)
and East (Boyle Heights, East LA, Lincoln Heights, Huntington Park, Bell, Maywood,
Cudahy, South Gate). The outlines in this script are rough hand-drawn approximations, not
official boundaries, and every school in the sample is invented.

    python scripts/make_sample.py                                  # data/sample
    python scripts/make_sample.py --layout square --schools 1200 --out /tmp/big
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd
import shapely
from shapely.geometry import Polygon
from synthetic import generate_boundaries, generate_district, write_district

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"
SEED = 2026
SCHOOLS = 280
NEED_MEAN = 0.7  # both Local Districts serve mostly low-income neighbourhoods

# (lon, lat) outlines of the two Local Districts; they touch along Alameda Street.
SOUTH = [
    (-118.300, 33.960), (-118.225, 33.960), (-118.225, 33.900), (-118.215, 33.860),
    (-118.220, 33.800), (-118.240, 33.770), (-118.265, 33.740), (-118.275, 33.715),
    (-118.300, 33.705), (-118.330, 33.730), (-118.320, 33.775), (-118.320, 33.820),
    (-118.335, 33.870), (-118.330, 33.920), (-118.310, 33.945),
]  # fmt: skip
EAST = [
    (-118.240, 34.090), (-118.185, 34.095), (-118.155, 34.070), (-118.150, 34.030),
    (-118.150, 33.975), (-118.165, 33.935), (-118.200, 33.930), (-118.225, 33.940),
    (-118.225, 33.960), (-118.235, 33.990), (-118.245, 34.020), (-118.235, 34.055),
]  # fmt: skip
LOCAL_DISTRICTS = {"South": Polygon(SOUTH), "East": Polygon(EAST)}
# East is denser: nearly as many schools on about half of South's area.
SCHOOL_SHARES = {"South": 145, "East": 135}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--schools", type=int, default=SCHOOLS, help=f"number of schools (default {SCHOOLS})")
    parser.add_argument("--seed", type=int, default=SEED, help=f"random seed (default {SEED})")
    parser.add_argument("--out", type=Path, default=SAMPLE, help="folder to write (default data/sample)")
    parser.add_argument(
        "--layout",
        choices=["la", "square"],
        default="la",
        help="la: the South and East Local Districts (default); square: a square district whose "
        "area grows with --schools, cut into regions R1, R2, ...",
    )
    parser.add_argument(
        "--regions",
        type=int,
        default=None,
        help="regions of the square layout (default: one per ~160 schools)",
    )
    parser.add_argument(
        "--no-boundaries", action="store_true", help="skip boundaries.geojson (attendance zones)"
    )
    args = parser.parse_args(argv)
    if args.layout == "la":
        schools, flows = generate_district(
            args.schools,
            args.seed,
            regions=LOCAL_DISTRICTS,
            region_weights=SCHOOL_SHARES,
            need_mean=NEED_MEAN,
        )
        area = shapely.union_all(list(LOCAL_DISTRICTS.values()))
    else:
        schools, flows = generate_district(args.schools, args.seed, n_regions=args.regions)
        area = None
    boundaries = None if args.no_boundaries else generate_boundaries(schools, area)
    folder = write_district(args.out, schools, flows, boundaries)
    print(summary(schools, flows, folder))


def summary(schools: pd.DataFrame, flows: pd.DataFrame, folder: Path) -> str:
    """Schools per region and level, and where students go, for a quick look at what was written."""
    counts = pd.crosstab(schools["region"], schools["level"], margins=True, margins_name="total")
    leaving = flows.loc[flows["to_id"] == "OUT", "students"].sum() / flows["students"].sum()
    return (
        f"wrote {len(schools)} schools and {len(flows)} flows to {folder}\n"
        f"{counts.to_string()}\n"
        f"{leaving:.1%} of transitioning students leave the district"
    )


if __name__ == "__main__":
    main(sys.argv[1:])
