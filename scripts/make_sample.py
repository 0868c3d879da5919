"""Build the bundled sample district from the real LAUSD school list.

    python scripts/make_sample.py [--lausd ../shared/data/lausd] [--out data/sample]

Writes schools.csv, flows.csv, README.md and provenance.txt into data/sample (which
feeder/sample_district links to), byte for byte the same on every run. The schools are the real district-run schools of LAUSD's South and East
areas (names, ids, grades, sites, ZIP, magnet flags; enrollment and need from 2014-15);
their region is approximated from ZIP codes. Flows, capacity, today's portfolios,
principals and program tags (but for the real magnet flags) are generated: see README_TEXT.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from synthetic import (
    Plane,
    capacities,
    current_plan,
    people,
    program_tags,
    send_cohorts,
)

from feeder.sites import outlying_sites

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample"
FILES = ("README.md", "flows.csv", "provenance.txt", "schools.csv")
SEED = 2026
LEAVE_SHARE = (0.05, 0.15)
DOMINANT_SHARE = (0.70, 0.90)
CHOICE_SHARE = (0.03, 0.08)  # magnets and transfers: a school none of the nearest
# Approximate Local District membership by ZIP code (public descriptions of the areas;
# LAUSD publishes no ZIP list): South runs from South Los Angeles and Watts down to the
# Harbor, East from Boyle Heights, El Sereno and East LA to the southeast cities.
SOUTH_ZIPS = [
    "90001",
    "90002",
    "90003",
    "90044",
    "90047",
    "90059",
    "90061",
    "90247",
    "90248",
    "90249",
    "90275",
    "90501",
    "90502",
    "90710",
    "90717",
    "90731",
    "90732",
    "90744",
    "90745",
    "90746",
    "90810",
]
EAST_ZIPS = [
    "90022",
    "90023",
    "90031",
    "90032",
    "90033",
    "90058",
    "90063",
    "90201",
    "90255",
    "90270",
    "90280",
    "91754",
]
REGION_OF_ZIP = {**dict.fromkeys(SOUTH_ZIPS, "South"), **dict.fromkeys(EAST_ZIPS, "East")}
# Continuation, special-education, community-day, opportunity and home/hospital programs take
# students referred from other schools at any grade: they have no feeder pattern.
KEPT_PROGRAMS = ("Traditional", "Alternative School of Choice")
COLUMNS = [
    "school_id", "name", "level", "grade_lo", "grade_hi", "lat", "lon", "enrollment", "capacity",
    "region", "portfolio", "need_index", "programs", "principal", "magnet", "zip", "city", "ed_ops",
    "estimated",
]  # fmt: skip

PROVENANCE = (
    "Real (California Department of Education): school names, ids, grades, sites, ZIP codes and "
    "magnet flags (directory, mid-2026); enrollment and need_index (free or reduced-price meal "
    "share, 2014-15). Estimated: region (South/East approximated from ZIP codes), flows "
    "(a choice model on the real sites), capacity, today's portfolio column, principals, and "
    "program tags other than the magnet flag; see README.md in the sample folder."
)
README_TEXT = """# Sample district: LAUSD South and East (real schools, estimated flows)

{schools} real district-run schools of the Los Angeles Unified School District's South
and East areas ({south} South, {east} East), built by `scripts/make_sample.py` from the
California Department of Education data in `shared/data/lausd` (see its PROVENANCE.md).

## What is real

- `school_id` (the 7-digit school part of the CDS code, leading zeros kept), `name`,
  `grade_lo`, `grade_hi`, `lat`, `lon`, `zip`, `city`, `ed_ops` and `magnet` (Y/N): the CDE
  public school directory, mid-2026. `level` is the LAUSD list's (K-5 and K-6
  elementary, 6-8 middle, 9-12 high, K-8, 6-12 and K-12 span), K-2 primary centres elementary.
- `enrollment` and `need_index` (share of students eligible for free or reduced-price
  meals): CDE FRPM data, 2014-15, eleven years older than the directory. Enrollment has
  fallen since; read them as relative sizes and needs. {missing} schools opened later and
  have none: theirs are the median of their level in their region, marked `estimated`.

## What is estimated

- `region`: LAUSD publishes no list of its Local Districts' schools. South and East are
  approximated by ZIP code: South = {south_zips}; East = {east_zips}. Schools near the
  edges may belong to another Local District (Central, West) in reality.
- `flows.csv`: LAUSD publishes no grade-transition table. Flows come from the synthetic
  generator's choice model (scripts/synthetic.py) on the real sites and enrollment: each
  school's leaving cohort (enrollment / grades served) goes 70-90 % to the nearest school
  that takes its leavers (a receiver in the other region counts three times farther), the
  rest to the next nearest and sometimes a third; 3-8 % choose a school that is none of
  those (magnets, transfers); 5-15 % leave the district (`OUT`). K-2
  primary centres send to elementary schools, K-6 schools at grade 6 to schools starting
  at 6 or 7.
- `capacity`, `portfolio` (today's plan: schools grouped by the level they start at, within
  each region, cut into runs of 12-24 along the region's long axis), `principal`, and
  `programs` (dual-language and IB tags that continue along some feeder chains and break
  on others; `magnet:<theme>` on the real magnet schools, with a generated theme): seed
  {seed}.

## Left out

{skipped}

## Sites

Every site is the CDE geocode. The LAUSD list has two wrong ones (Twentieth Street
Elementary, 90011, placed in Pasadena; Sotomayor Arts and Sciences Magnet, 90065, in the
northeast Valley); neither ZIP is in this sample. The builder drops any school that
feeder's far-site check (a site far outside its ZIP's or region's cluster) flags:
{dropped}.
"""


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--lausd", type=Path, default=default_lausd(), help="the LAUSD school list folder")
    parser.add_argument("--out", type=Path, default=SAMPLE, help="folder to write (default data/sample)")
    args = parser.parse_args(argv)
    if args.lausd is None or not (args.lausd / "schools.csv").exists():
        sys.exit("the LAUSD school list was not found: pass --lausd shared/data/lausd")
    files = build(args.lausd)
    write(args.out, files)
    print(f"wrote {', '.join(FILES)} to {args.out}")


def default_lausd() -> Path | None:
    """shared/data/lausd beside the repository (or beside the folder of worktrees)."""
    candidates = (parent / "shared" / "data" / "lausd" for parent in ROOT.parents[:3])
    return next((path for path in candidates if (path / "schools.csv").exists()), None)


def build(lausd: Path) -> dict[str, str]:
    """The sample's files as text, from the LAUSD list."""
    source = pd.read_csv(lausd / "schools.csv", dtype=str, keep_default_na=False)
    source["region"] = source["zip"].map(REGION_OF_ZIP)
    area = source[source["region"].notna()]
    kept = area[area["ed_ops"].isin(KEPT_PROGRAMS)].sort_values("school_id").reset_index(drop=True)
    kept, dropped = drop_far_sites(kept)
    rng = np.random.default_rng(SEED)
    schools = real_columns(kept)
    plane = Plane(float(schools["lat"].mean()), float(schools["lon"].mean()))
    xy = plane.km(schools["lon"].to_numpy(), schools["lat"].to_numpy())
    flows, dominant = sample_flows(schools, xy, rng)
    lo, hi = schools["grade_lo"].to_numpy(), schools["grade_hi"].to_numpy()
    schools["capacity"] = capacities(schools["enrollment"].to_numpy(), rng)
    schools["portfolio"] = current_plan(schools["region"].to_numpy(), lo, xy)
    schools["programs"] = program_tags(lo, hi, dominant, rng, magnets=(schools["magnet"] == "Y").to_numpy())
    schools["principal"] = people(len(schools), rng)
    skipped = area[~area["ed_ops"].isin(KEPT_PROGRAMS)]["ed_ops"].value_counts().sort_index()
    readme = README_TEXT.format(
        schools=len(schools),
        south=int((schools["region"] == "South").sum()),
        east=int((schools["region"] == "East").sum()),
        missing=int((schools["estimated"] != "").sum()),
        south_zips=", ".join(SOUTH_ZIPS),
        east_zips=", ".join(EAST_ZIPS),
        seed=SEED,
        skipped="\n".join(
            f"- {count} {kind.lower()} program(s): no feeder pattern" for kind, count in skipped.items()
        ),
        dropped=", ".join(dropped) or "none in this sample",
    )
    return {
        "README.md": readme,
        "flows.csv": flows.to_csv(index=False, lineterminator="\n"),
        "provenance.txt": PROVENANCE + "\n",
        "schools.csv": schools[COLUMNS].to_csv(index=False, lineterminator="\n"),
    }


def drop_far_sites(schools: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """Leave out schools whose site feeder's far-site check flags (wrong geocodes)."""
    frame = schools.assign(lat=schools["lat"].astype(float), lon=schools["lon"].astype(float))
    warnings = outlying_sites(frame)
    flagged = [sid for sid in schools["school_id"] if any(f"'{sid}'" in w for w in warnings)]
    names = [
        f"{sid} {name}"
        for sid, name in zip(schools["school_id"], schools["name"], strict=True)
        if sid in flagged
    ]
    return schools[~schools["school_id"].isin(flagged)].reset_index(drop=True), names


def real_columns(kept: pd.DataFrame) -> pd.DataFrame:
    """The real columns, typed; missing enrollment and need filled with their level's median in the region."""
    schools = pd.DataFrame(
        {
            "school_id": kept["school_id"],
            "name": kept["name"],
            "grade_lo": kept["grade_lo"].astype(int),
            "grade_hi": kept["grade_hi"].astype(int),
            "lat": kept["lat"].astype(float),
            "lon": kept["lon"].astype(float),
            "region": kept["region"],
            "magnet": kept["magnet"],
            "zip": kept["zip"],
            "city": kept["city"],
            "ed_ops": kept["ed_ops"],
        }
    )
    schools["level"] = np.where(schools["grade_hi"] < 4, "elementary", kept["level"])  # K-2 primary centres
    missing = kept["enrollment"] == ""
    for column in ("enrollment", "need_index"):
        values = pd.to_numeric(kept[column], errors="coerce")
        median = values.groupby([schools["region"], schools["level"]]).transform("median")
        schools[column] = values.fillna(median)
    schools["enrollment"] = schools["enrollment"].round().astype(int)
    schools["need_index"] = schools["need_index"].round(4)
    schools["estimated"] = np.where(missing, "enrollment;need_index", "")
    return schools


def sample_flows(
    schools: pd.DataFrame, xy: np.ndarray, rng: np.random.Generator
) -> tuple[pd.DataFrame, np.ndarray]:
    """Flows from every school that ends below grade 12, by the generator's choice model.

    A school's leavers (its top grade) go to schools that teach the next grade, top out above
    it and start above where it starts (K-5 -> 6-8, K-8 -> 9-12, 6-8 -> 9-12, never 6-8 ->
    6-12); K-2 primary centres send to the elementary schools around them.
    """
    lo, hi = schools["grade_lo"].to_numpy(), schools["grade_hi"].to_numpy()
    region = schools["region"].to_numpy()
    cohort = schools["enrollment"].to_numpy() / (hi - np.maximum(lo, 0) + 1)
    frames, dominant = [], np.full(len(schools), -1)
    senders = pd.DataFrame({"lo": lo, "hi": hi, "primary": hi < 5})[hi < 12]
    for (start, top, primary), group in senders.groupby(["lo", "hi", "primary"]).indices.items():
        members = senders.index.to_numpy()[group]
        takes = (lo <= top + 1) & (top + 1 <= hi) & (hi > top) & (primary | (lo > start))
        receivers = np.flatnonzero(takes)
        if len(receivers) == 0:
            continue
        sent, dominant[members] = send_cohorts(
            xy, members, receivers, region, cohort[members], rng, LEAVE_SHARE, DOMINANT_SHARE, CHOICE_SHARE
        )
        frames += sent
    flows = pd.concat(frames, ignore_index=True)
    flows = flows[flows["students"] > 0].astype({"students": int})
    ids = np.append(schools["school_id"].to_numpy(), "OUT")
    table = pd.DataFrame(
        {"from_id": ids[flows["from"]], "to_id": ids[flows["to"]], "students": flows["students"]}
    )
    table = table.groupby(["from_id", "to_id"], as_index=False)["students"].sum()
    return table.sort_values(["from_id", "to_id"]).reset_index(drop=True), dominant


def write(folder: Path, files: dict[str, str]) -> None:
    """Write the sample's files into folder (other files there are left alone)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8", newline="\n")


if __name__ == "__main__":
    main(sys.argv[1:])
