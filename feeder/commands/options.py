"""Command-line options shared by several commands, defined once, and the spec they build."""

from __future__ import annotations

from pathlib import Path

import typer

from feeder.io.output import check_output_folder
from feeder.spec import DEFAULT_MAX_SIZE, DEFAULT_MIN_CELL, DEFAULT_MIN_SIZE, DesignSpec

DISTRICT_HELP = "District folder (see docs/FORMAT.md)."
MIN_SIZE = typer.Option(DEFAULT_MIN_SIZE, "--min-size", help="Fewest schools in a portfolio.")
MAX_SIZE = typer.Option(DEFAULT_MAX_SIZE, "--max-size", help="Most schools in a portfolio.")
K = typer.Option(None, "--k", help="Number of portfolios (default: whatever scores best).")
WITHIN_REGION = typer.Option(False, "--within-region", help="Keep every portfolio inside one region.")
WITHIN_OR_ACROSS = typer.Option(  # for a command whose default may nest (a plan's recorded spec)
    False,
    "--within-region/--across-regions",
    help="Keep every portfolio inside one region, or let portfolios cross regions.",
)
CONTIGUOUS = typer.Option(
    True, "--contiguous/--no-contiguous", help="Portfolios must be connected on the map (Delaunay graph)."
)
STABILITY = typer.Option(
    0.0,
    "--stability",
    help="W: moving 1 percent of the schools from today's portfolios costs W points of cohesion.",
)
BALANCE = typer.Option(
    0.0,
    "--balance",
    help="W: W x (enrollment CV squared + 1) is subtracted from cohesion (0: tie-breaker only).",
)
MAX_ENROLLMENT = typer.Option(
    None, "--max-enrollment", help="Most students in one portfolio (hard limit; default: none)."
)
MAX_HIGH_SCHOOLS = typer.Option(
    None, "--max-high-schools", help="Most high schools in one portfolio (hard limit; default: none)."
)
LOCK = typer.Option(
    None,
    "--lock",
    help="CSV school_id,portfolio: schools with one name share a portfolio of that name; "
    "different names stay apart.",
)
EFFORT = typer.Option(
    "default",
    "--effort",
    help="Search budget: quick, default, thorough, max, or a number (1 = default). Same input, seed "
    "and effort give the same plan on any machine.",
)
JOBS = typer.Option(
    None,
    "--jobs",
    help="Worker processes for the search: restarts, zones of large plans (default: all cores; same plan).",
)
SEED = typer.Option(0, "--seed", help="Random seed of the search (same input and seed, same plan).")


def out_folder(value: Path | None) -> Path | None:
    """--out checked when the command line is read, before any work."""
    if value is not None:
        check_output_folder(value, option="--out")
    return value


def maps_folder(value: Path) -> Path:
    """--maps checked when the command line is read, before any work."""
    check_output_folder(value, option="--maps", example="maps")
    return value


def size_spec(min_size: int, max_size: int) -> DesignSpec:
    """The spec a plan is scored against when only the size range is given."""
    return DesignSpec(min_size=min_size, max_size=max_size)


MIN_CELL = typer.Option(
    DEFAULT_MIN_CELL,
    "--min-cell",
    min=0,
    help="When flows come from enrollment records: show counts below N students as '<N' and round the "
    "rest to the nearest N (0: exact counts). Metrics use exact counts.",
)
