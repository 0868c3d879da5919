"""Default-effort cohesion over several seeds: the mean, the seed-to-seed spread and the time.

    python scripts/seed_spread.py data/sample --within-region --seeds 0 1 2 3 4
    python scripts/seed_spread.py ../shared/data/lcps

Used to measure the designer's improvement phases (docs/benchmark.md); each seed runs in
this process one after another, so times are comparable within one run.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from feeder import load_district
from feeder.design.designer import run_design
from feeder.spec import DesignSpec


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--within-region", action="store_true")
    parser.add_argument("--effort", default="default")
    parser.add_argument("--jobs", type=int, default=None)
    args = parser.parse_args()
    district = load_district(args.folder)
    spec = DesignSpec(within_region=args.within_region)
    values = []
    for seed in args.seeds:
        start = time.monotonic()
        run = run_design(district, spec=spec, seed=seed, effort=args.effort, jobs=args.jobs)
        cohesion = run.plan.score()["cohesion"]
        values.append(cohesion)
        print(f"seed {seed}: cohesion {cohesion:.4f}  {time.monotonic() - start:.1f} s", flush=True)
    spread = 100 * (max(values) - min(values))
    print(f"{args.folder.name}: mean {sum(values) / len(values):.4f}  spread {spread:.2f} points")


if __name__ == "__main__":
    main()
