"""Benchmark feeder against peer solvers, all in one run (project issue 3).

Runs `feeder.design` and the peers of scripts/peers.py on the real LCPS district (when
present), the bundled sample and generated districts; scores every plan with the same
`Plan.score()`; prints one table and writes it, with feeder's scaling curve and peak memory,
to docs/benchmark.md.

    python scripts/benchmark.py                     # LCPS, sample, 1,000 / 5,000 / 20,000 schools,
                                                    # a charter city, zone-flow districts
    python scripts/benchmark.py --quick             # LCPS, sample, 1,000
    python scripts/benchmark.py --peers metis,louvain --sizes 1000,5000
    python scripts/benchmark.py --efforts quick,default,thorough --spread-seeds 3

feeder runs at each `--efforts` level (the `feeder` row is the default effort, others are
`feeder <level>`); its default-effort seed-to-seed spread over `--spread-seeds` seeds is noted.

Peers need the `[bench]` extra (pymetis, spopt, gerrychain); a missing one is skipped with a
note. Feeder runs in a fresh process per district so its peak RSS is its own.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import sys
import tempfile
import time
import warnings
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.table import Table

from feeder import load_district
from feeder.district import District
from feeder.plan import Plan
from feeder.spec import DesignSpec

sys.path.insert(0, str(Path(__file__).resolve().parent))
from peers import PEERS

ROOT = Path(__file__).resolve().parents[1]
LCPS = ROOT.parent / "shared" / "data" / "lcps"
LAUSD = ROOT.parent / "shared" / "data" / "lausd"
"""The real LAUSD school list (725 schools, no flows): benchmarked on flows inferred from its sites."""
SAMPLE = ROOT / "data" / "sample"
OUTPUT = ROOT / "docs" / "benchmark.md"
MIN_SIZE, MAX_SIZE = 12, 24
SPEC = DesignSpec(min_size=MIN_SIZE, max_size=MAX_SIZE)
SIZES = (1_000, 5_000, 20_000)
QUICK_SIZES = (1_000,)
HARD_SIZES = (1_000,)
CHOICE_SHARE = (0.05, 0.14)
"""The harder generated kind: 5-14 % of each cohort goes to a school that is none of its nearest."""
CITY_SCHOOLS = 183
CHARTER_SHARE = 0.4
"""A generated city whose charters (40 % of its schools) draw 30-60 % of each cohort; benchmarked
with the charters, and without them (their students leave to OUT, as a district's own data shows)."""
ZONE_SIZES = (92, 188)
"""Generated districts whose flows are inferred from attendance zones (boundaries.geojson)."""
DEFAULT_EFFORT = "default"
EFFORTS = ("quick", "default", "thorough")  # "max" (16x the default) is left out: hours at 20,000
EXACT = "exact"
EXACT_TIME_LIMIT = 60.0
EXACT_MAX_SCHOOLS = 300
"""The exact bound runs on LCPS and the sample only: it proves nothing useful at thousands of schools."""
WIDE = 180  # console width when piped, so the table is not squeezed to 80 columns
COLUMNS = (
    "district",
    "method",
    "size_ok",
    "cohesion",
    "contiguous",
    "k12_complete",
    "mean_km",
    "seconds",
    "cohesion ratio",
    "seconds ratio",
    "note",
)


@dataclass
class Row:
    """One method on one district; card is None when the method was skipped or failed."""

    district: str
    method: str
    card: dict | None
    seconds: float | None
    note: str = ""


@dataclass(frozen=True)
class FeederRun:
    """feeder.design on one district, measured in a fresh process."""

    n: int
    labels: np.ndarray
    load_seconds: float
    seconds: float
    peak_mib: float


def design_child(folder: str, seed: int, effort: str) -> tuple[np.ndarray, float, float, float]:
    """Load and design in this (fresh) process; return labels, load s, design s and peak RSS MiB."""
    from feeder.design import design

    started = time.perf_counter()
    district = load_district(folder)
    loaded = time.perf_counter()
    plan = design(district, seed=seed, spec=SPEC, effort=effort)
    finished = time.perf_counter()
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return np.asarray(plan.labels), loaded - started, finished - loaded, peak_kib / 1024


def run_feeder(folder: Path, n: int, seed: int, effort: str = DEFAULT_EFFORT) -> FeederRun:
    """feeder.design in a spawned process, so its peak RSS is not the benchmark's own (its
    restarts run in worker processes of their own: peak RSS is the main process's)."""
    with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as pool:
        labels, load_seconds, seconds, peak = pool.submit(design_child, str(folder), seed, effort).result()
    return FeederRun(n, labels, load_seconds, seconds, peak)


def run_peer(name: str, district: District, seed: int) -> Row:
    """Solve with one peer, or say why it was skipped; a peer that crashes is reported, not fatal."""
    peer_class, label = PEERS[name], district_label(district)
    n = len(district.schools)
    if peer_class.missing_package():
        return Row(label, name, None, None, f"skipped: {peer_class.package} not installed")
    if peer_class.max_schools is not None and n > peer_class.max_schools:
        return Row(label, name, None, None, f"skipped: above {peer_class.max_schools:,} schools (too slow)")
    peer = peer_class(district, MIN_SIZE, MAX_SIZE, seed)
    started = time.perf_counter()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            labels = peer.solve()
    except Exception as error:
        return Row(label, name, None, None, f"failed: {type(error).__name__}: {error}"[:120])
    seconds = time.perf_counter() - started
    return Row(label, name, Plan(district, labels, spec=SPEC).score(), seconds, peer.note)


def run_exact(district: District, warm: np.ndarray) -> tuple[Row, float | None]:
    """feeder's exact contiguous mode (`feeder bound --contiguous`), warm-started from feeder's
    plan: the best contiguous plan it found, its bound and the contiguity-free bound."""
    from feeder.exact import solve_contiguous

    label = district_label(district)
    result = solve_contiguous(district, spec=SPEC, time_limit=EXACT_TIME_LIMIT, warm_start=warm)
    labels = warm if result.labels is None else np.asarray(result.labels)
    card = Plan(district, labels, spec=SPEC).score()
    free = result.free
    note = (
        f"contiguous bound {result.bound:.4f} ({'proven' if result.status == 'optimal' else result.status}); "
        f"bound ignoring contiguity {free.bound:.4f} ({'proven' if free.status == 'optimal' else free.status})"
        if result.bound is not None and free.bound is not None
        else result.status
    )
    return Row(label, EXACT, card, result.seconds, note), result.bound


def district_label(district: District) -> str:
    """e.g. "lcps (90)", "synthetic (20,000)"."""
    return f"{district.name.split('-')[0]} ({len(district.schools):,})"


def benchmark_district(
    folder: Path,
    peers: list[str],
    seed: int,
    efforts: list[str],
    spread_seeds: int,
    extra_max_schools: int,
    console: Console,
) -> tuple[list[Row], FeederRun]:
    """feeder at each effort, its exact bound (small districts) and every peer on one district;
    other efforts and extra seeds only up to `extra_max_schools` schools."""
    district = load_district(folder)
    n = len(district.schools)
    if n > extra_max_schools:
        efforts, spread_seeds = [DEFAULT_EFFORT], 1
    console.log(f"{district.name}: {n:,} schools, feeder")
    run = run_feeder(folder, n, seed)
    card = Plan(district, run.labels, spec=SPEC).score()
    rows = [Row(district_label(district), "feeder", card, run.seconds)]
    if spread_seeds > 1:
        values = [card["cohesion"]]
        for other in range(seed + 1, seed + spread_seeds):
            console.log(f"{district.name}: feeder seed {other}")
            labels = run_feeder(folder, n, other).labels
            values.append(Plan(district, labels, spec=SPEC).score()["cohesion"])
        rows[0].note = (
            f"seeds {seed}-{seed + spread_seeds - 1}: {min(values):.4f}-{max(values):.4f} "
            f"(spread {100 * (max(values) - min(values)):.2f} points)"
        )
    for effort in efforts:
        if effort != DEFAULT_EFFORT:
            console.log(f"{district.name}: feeder, effort {effort}")
            other = run_feeder(folder, n, seed, effort)
            other_card = Plan(district, other.labels, spec=SPEC).score()
            rows.append(Row(district_label(district), f"feeder {effort}", other_card, other.seconds))
    if EXACT in peers and n <= EXACT_MAX_SCHOOLS:
        console.log(f"{district.name}: exact bound")
        exact, bound = run_exact(district, run.labels)
        if bound is not None:
            gap = f"gap to contiguous bound {max(0.0, bound - card['cohesion']):.4f}"
            rows[0].note = f"{gap}; {rows[0].note}" if rows[0].note else gap
        rows.append(exact)
    for name in peers:
        if name != EXACT:
            console.log(f"{district.name}: {name}")
            rows.append(run_peer(name, district, seed))
    return rows, run


def district_folders(
    sizes: tuple[int, ...],
    hard: tuple[int, ...],
    seed: int,
    workdir: Path,
    lcps: Path,
    sample: Path | None,
    *,
    lausd: Path | None = None,
    cities: bool = True,
) -> list[Path]:
    """LCPS and the sample when present, LAUSD's school list alone (flows from its sites), then
    generated districts (plain, then the harder kind, then the city kinds) written to workdir."""
    from synthetic import generate_boundaries, generate_district, without_charters, write_district

    folders = [folder for folder in (lcps, sample) if folder and (folder / "schools.csv").exists()]
    if lausd and (lausd / "schools.csv").exists():
        (workdir / "lausd").mkdir()
        shutil.copy(lausd / "schools.csv", workdir / "lausd" / "schools.csv")
        folders.append(workdir / "lausd")
    for n in sizes:
        schools, flows = generate_district(n, seed=seed)
        folders.append(write_district(workdir / f"synthetic-{n}", schools, flows))
    for n in hard:
        schools, flows = generate_district(n, seed=seed, choice_share=CHOICE_SHARE)
        folders.append(write_district(workdir / f"hard-{n}", schools, flows))
    if not cities:
        return folders
    schools, flows = generate_district(CITY_SCHOOLS, seed=seed, charter_share=CHARTER_SHARE)
    folders.append(write_district(workdir / f"charter city-{CITY_SCHOOLS}", schools, flows))
    schools, flows = without_charters(schools, flows)
    folders.append(write_district(workdir / f"city without charters-{len(schools)}", schools, flows))
    for n in ZONE_SIZES:
        schools, flows = generate_district(n, seed=seed)
        folder = write_district(workdir / f"zone flows-{n}", schools, flows, generate_boundaries(schools))
        (folder / "flows.csv").unlink()  # flows inferred from the attendance zones
        folders.append(folder)
    return folders


def fill_ratios(rows: list[Row]) -> list[dict[str, str]]:
    """Table cells, with feeder's cohesion and seconds divided by each other method's on the same district."""
    feeder = {row.district: row for row in rows if row.method == "feeder"}
    cells = []
    for row in rows:
        mine = feeder[row.district]
        cell = {"district": row.district, "method": row.method, "note": row.note}
        if row.card is not None:
            cell |= {
                "size_ok": "yes" if row.card["size_ok"] else "no",
                "cohesion": f"{row.card['cohesion']:.4f}",
                "contiguous": f"{row.card['contiguous']:.2f}",
                "k12_complete": f"{row.card['k12_complete']:.2f}",
                "mean_km": f"{row.card['mean_km']:.2f}",
                "seconds": f"{row.seconds:.2f}",
            }
            if row is not mine:
                cell["cohesion ratio"] = ratio(mine.card["cohesion"], row.card["cohesion"])
                cell["seconds ratio"] = ratio(mine.seconds, row.seconds)
        cells.append(cell)
    return cells


def ratio(mine: float, theirs: float) -> str:
    return f"{mine / theirs:.3f}" if theirs else "—"


def scaling_exponent(runs: list[FeederRun]) -> float | None:
    """a in t ~ n^a, least squares on log-log over the generated districts."""
    if len(runs) < 2:
        return None
    slope, _ = np.polyfit(np.log([r.n for r in runs]), np.log([r.seconds for r in runs]), 1)
    return float(slope)


def console_table(cells: list[dict[str, str]]) -> Table:
    table = Table(title=f"feeder vs peers (portfolios of {MIN_SIZE}-{MAX_SIZE} schools)")
    for column in COLUMNS:
        table.add_column(column, justify="left" if column in ("district", "method", "note") else "right")
    previous = None
    for cell in cells:
        if previous is not None and cell["district"] != previous:
            table.add_section()
        previous = cell["district"]
        table.add_row(*(cell.get(column, "") for column in COLUMNS))
    return table


def scaling_table(runs: list[FeederRun], exponent: float | None) -> Table:
    title = "feeder scaling" + (f": t ~ n^{exponent:.2f}" if exponent is not None else "")
    table = Table(title=title)
    for column in ("schools", "load s", "design s", "peak RSS MiB"):
        table.add_column(column, justify="right")
    for run in runs:
        table.add_row(f"{run.n:,}", f"{run.load_seconds:.2f}", f"{run.seconds:.2f}", f"{run.peak_mib:,.0f}")
    return table


def markdown(cells: list[dict[str, str]], runs: list[FeederRun], exponent: float | None, command: str) -> str:
    """docs/benchmark.md: the same tables as the console, for the README."""
    lines = [
        "# Benchmark: feeder and its peers",
        "",
        f"Generated by `{command}` on {os.cpu_count()} cores. Every plan is scored by the same",
        f"`Plan.score()` with portfolios of {MIN_SIZE}-{MAX_SIZE} schools. `cohesion ratio` and `seconds ratio` are",
        "feeder's cohesion and run time divided by that method's on the same district",
        "(cohesion ratio above 1: feeder keeps more students together; seconds ratio below 1: feeder is faster).",
        "Seconds are solve time only (district already loaded); they vary from machine to machine.",
        "",
        "| " + " | ".join(COLUMNS) + " |",
        "|" + "|".join("---" for _ in COLUMNS) + "|",
    ]
    lines += ["| " + " | ".join(cell.get(c, "") for c in COLUMNS) + " |" for cell in cells]
    lines += [
        "",
        "`feeder` is the default `--effort`; `feeder quick` and `feeder thorough` the other levels (their",
        "ratios are still against the default row's peers: compare cohesion directly). feeder's note gives",
        "the default effort's seed-to-seed spread.",
        "",
        "Peers: `metis` is METIS k-way on flows plus light Delaunay edges, tuned over portfolio counts;",
        "`louvain` is networkx Louvain on the same graph, resolution tuned, sizes as they come; `maxp` and",
        "`skater` are spopt regionalizers on Delaunay weights with flow-smoothed coordinates; `recom` is a",
        "GerryChain ReCom chain accepting only non-worsening cohesion; `exact` is feeder's exact contiguous",
        "mode (`feeder bound --contiguous`, warm-started from feeder's plan, 60 s): the best contiguous plan",
        "it found, the bound for contiguous plans and the bound ignoring contiguity, each proven or not",
        "(`too large`: above 150 schools only the contiguity-free bound is computed, which also bounds",
        "contiguous plans); feeder's note gives its gap to the contiguous bound. `hard` is the generator's",
        "harder kind (5-14 % of each cohort to a school that is none of its nearest).",
        "",
        "## feeder scaling (generated districts)",
        "",
    ]
    if exponent is not None:
        lines += [f"Fitted run time t ~ n^{exponent:.2f}.", ""]
    lines += ["| schools | load s | design s | peak RSS MiB (load + design) |", "|---:|---:|---:|---:|"]
    lines += [f"| {r.n:,} | {r.load_seconds:.2f} | {r.seconds:.2f} | {r.peak_mib:,.0f} |" for r in runs]
    return "\n".join(lines) + "\n"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)), help="generated district sizes")
    parser.add_argument("--quick", action="store_true", help="LCPS, sample and 1,000 schools only")
    parser.add_argument(
        "--hard-sizes",
        default=",".join(map(str, HARD_SIZES)),
        help="generated districts of the harder kind (5-14 %% of each cohort to non-nearest schools)",
    )
    parser.add_argument("--peers", default=",".join([*PEERS, EXACT]), help="comma-separated peers to run")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--efforts", default=",".join(EFFORTS), help="feeder effort levels to run")
    parser.add_argument(
        "--spread-seeds", type=int, default=3, help="seeds of the default effort, for the seed-to-seed spread"
    )
    parser.add_argument(
        "--extra-max-schools",
        type=int,
        default=1_000,
        help="other efforts and extra seeds only on districts up to this many schools (time)",
    )
    parser.add_argument("--output", type=Path, default=OUTPUT, help="Markdown file to write")
    parser.add_argument("--lcps", type=Path, default=LCPS, help="Loudoun County folder (skipped when absent)")
    parser.add_argument(
        "--lausd",
        type=Path,
        default=LAUSD,
        help="LAUSD school list folder (skipped when absent; flows from sites)",
    )
    parser.add_argument("--no-sample", action="store_true", help="leave the bundled sample out")
    parser.add_argument(
        "--no-cities",
        action="store_true",
        help="leave out the generated charter city (with and without its charters) and zone-flow districts",
    )
    args = parser.parse_args(argv)
    unknown = set(args.peers.split(",")) - {*PEERS, EXACT}
    if unknown:
        parser.error(
            f"unknown peer(s): {', '.join(sorted(unknown))} (choose from {', '.join([*PEERS, EXACT])})"
        )
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    sizes = QUICK_SIZES if args.quick else tuple(int(s) for s in args.sizes.split(",") if s)
    peers = args.peers.split(",")
    console, log = Console(), Console(stderr=True)
    if not console.is_terminal:
        console = Console(width=WIDE)
    rows: list[Row] = []
    scaling: list[FeederRun] = []
    with tempfile.TemporaryDirectory(prefix="feeder-bench-") as workdir:
        hard = tuple(int(s) for s in args.hard_sizes.split(",") if s)
        for folder in district_folders(
            sizes,
            hard,
            args.seed,
            Path(workdir),
            args.lcps,
            None if args.no_sample else SAMPLE,
            lausd=args.lausd,
            cities=not args.no_cities,
        ):
            district_rows, run = benchmark_district(
                folder,
                peers,
                args.seed,
                args.efforts.split(","),
                args.spread_seeds,
                args.extra_max_schools,
                log,
            )
            rows += district_rows
            if folder.name.startswith("synthetic-"):
                scaling.append(run)
    cells, exponent = fill_ratios(rows), scaling_exponent(scaling)
    console.print(console_table(cells))
    console.print(scaling_table(scaling, exponent))
    command = "python scripts/benchmark.py " + " ".join(sys.argv[1:] if argv is None else argv)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(markdown(cells, scaling, exponent, command.strip()), encoding="utf-8")
    log.log(f"wrote {args.output}")


if __name__ == "__main__":
    main()
