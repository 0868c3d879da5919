"""Synthetic districts: realistic, reproducible school systems for the sample, tests and benchmarks.

Real district data is rarely shareable, so feeder ships a generator whose output has the
structure real feeder patterns have:

- about 70 % elementary (K-5, half with TK), 15 % middle (6-8), 10 % high (9-12) and 5 % span
  schools (K-8 and 6-12), on sites clustered in neighbourhoods, a few sharing one campus;
- middle schools sit at the centres of groups of elementary schools and high schools among
  groups of middle schools (k-means), so every high school has a feeder pattern;
- each school that ends at grade 5 or 8 sends its leaving cohort (enrollment ÷ grades served)
  mostly to the nearest school students enter at the next grade (70-90 % to the dominant one),
  the rest to the next nearest, sometimes a little to a third, and 5-15 % leave to ``OUT``.
  Receivers in the sender's own region are preferred, so students rarely cross regions.
  The harder kind of district (``choice_share``, e.g. 5-14 %) also sends a share of each
  cohort to a school that is none of its nearest ones (magnets, choice, transfers), anywhere
  in the district, or with ``choice_reach`` K one of the K next-nearest: its feeder patterns
  are less clean, as in big-city districts;
- a city with charter schools (``charter_share``, e.g. 0.4 of all schools): charters of every
  level stand in the neighbourhoods, smaller than district schools, and draw a share of each
  leaving cohort (``charter_pull``, e.g. 30-60 %) over several nearby charters, nearer ones
  more; a charter's own leavers mostly go on to charters. Written with
  ``--charters-outside``, the charters are left out and their students leave to ``OUT``
  (observed flows of a district that loses half of each cohort to charters);
- a spatially smooth ``need_index`` in 0-1, program tags that continue along some feeder
  chains and break along others, and today's plan: portfolios of 12-24 schools of one level.

Attendance zones (:func:`generate_boundaries`) are the Voronoi cells of the sites students
enter at K, 6 and 9, so the flows above agree with them: a district can be written without
``flows.csv`` and its flows inferred from ``boundaries.geojson`` instead.

Everything is drawn from one ``numpy`` Generator seeded with ``seed``: the same arguments give
the same district, byte for byte, once written with :func:`write_district`.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.cluster.vq import kmeans2
from scipy.spatial import cKDTree
from scipy.stats import qmc
from shapely.geometry.base import BaseGeometry

from feeder.io.schools import OUTSIDE

KM_PER_DEGREE_LAT = 110.574
KM_PER_DEGREE_LON = 111.320  # at the equator; times cos(latitude)

# One row per kind of school: the mix, grades, typical size and the name's suffix.
KINDS = pd.DataFrame(
    [
        ("elementary", 0, 5, 0.70, 450, "Elementary"),
        ("middle", 6, 8, 0.15, 900, "Middle School"),
        ("high", 9, 12, 0.10, 1700, "Senior High"),
        ("span", 0, 8, 0.03, 650, "Span School"),
        ("span", 6, 12, 0.02, 1100, "Span School"),
    ],
    columns=["level", "grade_lo", "grade_hi", "share", "median_enrollment", "suffix"],
)
ELEMENTARY, MIDDLE, HIGH, K8, SECONDARY = range(len(KINDS))
LAYERS = {0: "elementary", 6: "middle", 9: "high"}  # attendance-zone layer by entry grade

CHARTER_MIX = np.array([0.35, 0.20, 0.25, 0.10, 0.10])  # charters by KINDS row
CHARTER_SIZE = 0.5  # a charter's median enrollment relative to a district school of its kind
CHARTER_CHOICES = 8  # nearest charters a cohort's charter share spreads over
CHARTER_REACH_KM = 3.0  # distance over which a charter's draw falls by a factor e
CHARTER_LOYALTY = (0.6, 0.9)  # share of a charter's leavers going on to a charter
MIN_REGION_SCHOOLS = 10  # enough for at least one middle and one high school
SCHOOLS_PER_REGION = 160  # default region size, about a Local District's
NEIGHBOURHOOD_SCHOOLS = 10  # sites cluster in neighbourhoods of about this many schools
SCATTERED = 0.2  # share of sites outside any neighbourhood cluster
CATCHMENT_PULL = 0.4  # high sites move this far from their centre towards a random feeder site
CENTRE_NUDGE = 0.3  # middle and high sites: k-means centre + this times the elementary spacing
AREA_PER_SPACING2 = 3.0  # km² per elementary school, in units of spacing_km²
TK_SHARE = 0.5  # elementary and K-8 schools that also serve transitional kindergarten
ENROLLMENT_SIGMA = 0.35  # lognormal spread of enrollment around each kind's median
MIN_ENROLLMENT = 60
CANDIDATES = 6  # nearest receivers considered before preferring the sender's region
CROSS_REGION_PENALTY = 3.0  # a receiver in another region counts as this many times farther
THIRD_CHANCE = 0.3  # senders that also send a small share to a third school
THIRD_SHARE = (0.02, 0.08)
NEED_LENGTH_KM = 6.0  # correlation length of the need field
NEED_SPREAD, NEED_NOISE = 0.15, 0.06
ZONE_MARGIN_KM = 1.5  # how far attendance zones reach beyond the outermost sites

LANGUAGES = np.array(["spanish", "korean", "mandarin", ""])
LANGUAGE_ODDS = [0.20, 0.015, 0.015, 0.77]  # dual-language programs at K-entry schools
LANGUAGE_CARRIED = {5: 0.45, 8: 0.35}  # chance a receiver continues a feeder's program
IB_HIGH_SHARE = 0.1
IB_CARRIED = {8: 0.6, 5: 0.4}  # chance a feeder of an IB school runs the earlier IB programme
MAGNETS = np.array(["stem", "arts", "medical", "humanities", "gifted", "law"])
MAGNET_ODDS = {0: 0.06, 6: 0.15, 9: 0.15}  # by entry grade
PATHWAYS = np.array(["engineering", "health", "arts_media", "business"])
PATHWAY_ODDS = 0.3  # schools ending at grade 12 with a Linked Learning pathway

STREETS = [
    "Avalon", "Figueroa Street", "Vermont Avenue", "Normandie Avenue", "Western Avenue",
    "Main Street", "Broadway", "Central Avenue", "Compton Avenue", "Alameda Street",
    "Soto Street", "Whittier Boulevard", "Olympic", "Florence Avenue", "Slauson",
    "Manchester Avenue", "Gage Avenue", "Firestone", "Atlantic Avenue", "Pacific Boulevard",
    "Gaffey Street", "Anaheim Street", "Sepulveda", "Wilmington Avenue", "Santa Fe Avenue",
    "Hooper Avenue", "Evergreen Avenue", "State Street", "Fishburn Avenue", "Miles Avenue",
    "Otis Avenue", "Heliotrope Avenue", "Loma Vista", "Bandini", "Eastman Avenue",
    "Rowan Avenue", "Hammel Street", "Malabar Street", "Breed Street", "Sunrise",
    "Harrison Street", "Lorena Street", "Ford Boulevard", "Griffith Avenue", "Harbor Hills",
    "Park Western", "Point Fermin", "Cabrillo Avenue", "Leland Street", "Taper Avenue",
    "Barton Hill", "Del Amo", "Dolores Street", "Catskill Avenue", "Halldale Avenue",
    "Denker Avenue", "Budlong Avenue", "Raymond Avenue", "Grape Street", "Ascot Avenue",
    "Wadsworth Avenue", "Holmes Avenue", "Hyde Park", "Woodcrest", "Vernon City",
]  # fmt: skip
PEOPLE = [
    "Cesar Chavez", "Dolores Huerta", "Sally Ride", "Mae Jemison", "Amelia Earhart",
    "Mary McLeod Bethune", "Thurgood Marshall", "Frederick Douglass", "Harriet Tubman",
    "Sojourner Truth", "George Washington Carver", "Booker T. Washington", "Jackie Robinson",
    "Roberto Clemente", "Ellen Ochoa", "Maya Angelou", "Langston Hughes", "Rosa Parks",
    "Martin Luther King Jr.", "Ralph Bunche", "Charles Drew", "Fred Korematsu",
    "Daniel Inouye", "Anna May Wong", "Bessie Coleman", "Katherine Johnson", "Octavia Butler",
    "Ruben Salazar", "Gabriela Mistral", "Frida Kahlo", "Diego Rivera", "Benito Juarez",
    "Miguel Hidalgo", "Jose Marti", "Sylvia Mendez", "Edward Roybal", "Eleanor Roosevelt",
    "Franklin D. Roosevelt", "Abraham Lincoln", "George Washington", "Thomas Jefferson",
    "John Muir", "Helen Keller", "Marie Curie", "Albert Einstein", "Clara Barton",
    "Susan B. Anthony", "Jane Addams", "Wilma Mankiller", "Sequoyah", "Mark Twain",
    "Walt Whitman", "Robert Frost", "Emily Dickinson", "Louisa May Alcott", "Jack London",
    "John Steinbeck", "Pio Pico", "Juan Cabrillo", "Biddy Mason", "Tom Bradley",
    "Ray Bradbury", "Carter G. Woodson", "W.E.B. Du Bois", "Paul Robeson", "Jesse Owens",
    "Arthur Ashe", "Duke Kahanamoku", "Yuri Kochiyama", "Grace Lee Boggs", "Larry Itliong",
    "Philip Vera Cruz", "Ida B. Wells", "Shirley Chisholm", "Barbara Jordan",
    "Dorothy Height", "Medgar Evers", "Hubert Humphrey", "Sonia Sotomayor", "Gabriel Garcia",
]  # fmt: skip
ORDINAL = {1: "st", 2: "nd", 3: "rd"}
NUMBERED = [
    f"{n}{'th' if 10 <= n % 100 < 14 else ORDINAL.get(n % 10, 'th')} Street" for n in range(1, 121, 2)
]
NUMBERED += [f"Avenue {n}" for n in range(18, 67, 3)]
FIRST_NAMES = [
    "Maria", "Jose", "Jennifer", "Michael", "Guadalupe", "Juan", "Patricia", "David", "Linda",
    "Carlos", "Yolanda", "Robert", "Angela", "Luis", "Kimberly", "James", "Veronica", "Jorge",
    "Monica", "Anthony", "Sandra", "Miguel", "Lisa", "Daniel", "Rosa", "Kevin", "Erika",
    "Francisco", "Denise", "Eric", "Nancy", "Ricardo", "Michelle", "Christopher", "Gloria",
    "Hector", "Tanya", "Brian", "Silvia", "Marcus", "Claudia", "Jamal", "Grace", "Minh",
    "Soo-jin", "Hiroshi", "Mei", "Priya", "Arturo", "Keisha", "Fatima", "Olga", "Tariq",
    "Esperanza", "Leticia", "Raul", "Imani", "Darnell", "Jin", "Thanh", "Ana", "Samuel",
    "Karen", "Alejandro", "Lorena", "Terrence", "Yvonne", "Omar", "Irene", "Kenji",
]  # fmt: skip
LAST_NAMES = [
    "Garcia", "Hernandez", "Lopez", "Martinez", "Gonzalez", "Rodriguez", "Perez", "Sanchez",
    "Ramirez", "Flores", "Rivera", "Gomez", "Diaz", "Torres", "Morales", "Cruz", "Reyes",
    "Gutierrez", "Ortiz", "Castillo", "Mendoza", "Vasquez", "Ruiz", "Alvarez", "Romero",
    "Chavez", "Jimenez", "Moreno", "Aguilar", "Medina", "Johnson", "Williams", "Brown",
    "Jones", "Davis", "Miller", "Wilson", "Moore", "Taylor", "Anderson", "Thomas", "Jackson",
    "White", "Harris", "Martin", "Thompson", "Robinson", "Clark", "Lewis", "Walker", "Young",
    "Allen", "King", "Wright", "Scott", "Green", "Baker", "Adams", "Nelson", "Hill",
    "Campbell", "Mitchell", "Kim", "Lee", "Park", "Nguyen", "Tran", "Chen", "Wang", "Wong",
    "Nakamura", "Tanaka", "Patel", "Shah", "Okafor", "Mensah", "Haddad", "Khan", "Santos",
    "Cohen", "Murphy", "O'Brien", "Kowalski", "Petrosyan", "Sarkisian",
]  # fmt: skip


@dataclass(frozen=True)
class Plane:
    """Kilometres east and north of an origin (equirectangular): exact enough for one district."""

    lat0: float
    lon0: float

    def km(self, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
        """(n, 2) array of x, y in km for the given degrees."""
        x = (np.asarray(lon) - self.lon0) * KM_PER_DEGREE_LON * np.cos(np.radians(self.lat0))
        return np.column_stack([x, (np.asarray(lat) - self.lat0) * KM_PER_DEGREE_LAT])

    def degrees(self, xy: np.ndarray) -> np.ndarray:
        """(n, 2) array of lon, lat for the given km."""
        lon = self.lon0 + xy[:, 0] / (KM_PER_DEGREE_LON * np.cos(np.radians(self.lat0)))
        return np.column_stack([lon, self.lat0 + xy[:, 1] / KM_PER_DEGREE_LAT])

    def to_km(self, geometry: BaseGeometry | np.ndarray) -> BaseGeometry | np.ndarray:
        """Geometry (or array of them) from lon/lat to km."""
        return shapely.transform(geometry, lambda c: self.km(c[:, 0], c[:, 1]))

    def to_degrees(self, geometry: BaseGeometry | np.ndarray) -> BaseGeometry | np.ndarray:
        """Geometry (or array of them) from km to lon/lat."""
        return shapely.transform(geometry, self.degrees)


def generate_district(
    n_schools: int,
    seed: int = 0,
    *,
    regions: Mapping[str, BaseGeometry] | None = None,
    region_weights: Mapping[str, float] | None = None,
    n_regions: int | None = None,
    center: tuple[float, float] = (34.0, -118.25),
    spacing_km: float = 1.5,
    colocated: float = 0.04,
    leave_share: tuple[float, float] = (0.05, 0.15),
    dominant_share: tuple[float, float] = (0.70, 0.90),
    need_mean: float = 0.5,
    choice_share: tuple[float, float] = (0.0, 0.0),
    charter_share: float = 0.0,
    charter_pull: tuple[float, float] = (0.3, 0.6),
    choice_reach: int | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return (schools, flows) of a synthetic district in FORMAT.md columns.

    n_schools: total schools (at least 10 per region).
    seed: seed of the numpy Generator every random draw comes from.
    regions: region name -> polygon in lon/lat where its schools are placed (e.g. Local
        Districts); n_regions, center and spacing_km are then unused. Default: a square
        around ``center`` whose area grows with n_schools, cut into ``n_regions`` Voronoi
        regions named R1, R2, ... from north to south.
    region_weights: region name -> relative number of schools (default: by area).
    n_regions: regions of the default square (default: one per ~160 schools).
    center: (lat, lon) of the default square.
    spacing_km: typical distance between neighbouring elementary schools in the default
        square (neighbourhood clusters make nearest neighbours somewhat closer).
    colocated: share of schools moved onto the site of their nearest school (shared campuses).
    leave_share: range of the share of a leaving cohort that goes to ``OUT``.
    dominant_share: range of the share of the staying cohort sent to the dominant receiver.
    need_mean: district mean of ``need_index`` (0-1).
    choice_share: range of the share of the staying cohort that goes to a random school that
        is none of the nearest ones (default none: every draw stays as without it).
    charter_share: share of the n_schools that are charter schools (``charter`` column Y);
        their draws come from a second Generator, so without charters nothing changes.
    charter_pull: range of the share of a district school's leaving cohort going to charters.
    choice_reach: with choice_share, the choosing students go to one of this many receivers
        nearest after the ranked ones (a school a few neighbourhoods away) instead of anywhere.
    """
    rng = np.random.default_rng(seed)
    if regions is None:
        plane = Plane(*center)
        count = n_regions or max(1, n_schools // SCHOOLS_PER_REGION)
        areas = square_regions(n_schools, count, spacing_km, rng)
    else:
        centre = shapely.union_all(list(regions.values())).centroid
        plane = Plane(centre.y, centre.x)
        areas = {name: plane.to_km(polygon) for name, polygon in regions.items()}
    weights = [region_weights[name] if region_weights else area.area for name, area in areas.items()]
    n_charters = round(charter_share * n_schools)
    sizes = apportion(n_schools - n_charters, np.asarray(weights, dtype=float))
    if sizes.min() < MIN_REGION_SCHOOLS:
        raise ValueError(f"{n_schools} schools in {len(sizes)} regions: each needs at least 10")
    parts = [
        region_sites(area, size, colocated, rng) for area, size in zip(areas.values(), sizes, strict=True)
    ]
    kinds = np.concatenate([kind for kind, _ in parts])
    xy = np.vstack([sites for _, sites in parts])
    region = np.repeat(list(areas), sizes)
    charter = np.zeros(len(kinds), dtype=bool)
    charter_rng = np.random.default_rng([seed, 1])
    if n_charters:
        kinds, xy, region, charter = add_charters(kinds, xy, region, areas, n_charters, charter_rng)
    grade_lo = KINDS["grade_lo"].to_numpy()[kinds]
    grade_lo[np.isin(kinds, [ELEMENTARY, K8]) & (rng.random(len(kinds)) < TK_SHARE)] = -1
    median = KINDS["median_enrollment"].to_numpy()[kinds]
    median = np.where(charter, CHARTER_SIZE * median, median)
    size = np.rint(median * rng.lognormal(0.0, ENROLLMENT_SIGMA, len(kinds)))
    enrollment = np.maximum(size, MIN_ENROLLMENT).astype(int)
    flows, dominant = transition_flows(
        xy,
        kinds,
        grade_lo,
        region,
        enrollment,
        rng,
        leave_share,
        dominant_share,
        choice_share,
        Charters(charter, charter_pull, charter_rng),
        choice_reach=choice_reach,
    )
    lonlat = plane.degrees(xy)
    schools = pd.DataFrame(
        {
            "school_id": school_codes(len(kinds), rng),
            "name": school_names(kinds, rng, charter),
            "level": KINDS["level"].to_numpy()[kinds],
            "grade_lo": grade_lo,
            "grade_hi": KINDS["grade_hi"].to_numpy()[kinds],
            "lat": lonlat[:, 1].round(6),
            "lon": lonlat[:, 0].round(6),
            "enrollment": enrollment,
            "capacity": capacities(enrollment, rng),
            "region": region,
            "portfolio": current_plan(region, grade_lo, xy),
            "need_index": need_field(xy, rng, need_mean),
            "programs": program_tags(grade_lo, KINDS["grade_hi"].to_numpy()[kinds], dominant, rng),
            "principal": people(len(kinds), rng),
        }
    )
    if n_charters:
        schools["charter"] = np.where(charter, "Y", "N")
    ids = np.append(schools["school_id"].to_numpy(), OUTSIDE)
    flows = pd.DataFrame(
        {"from_id": ids[flows["from"]], "to_id": ids[flows["to"]], "students": flows["students"]}
    )
    order = schools["school_id"].argsort(kind="stable")
    return (
        schools.iloc[order].reset_index(drop=True),
        flows.sort_values(["from_id", "to_id"], kind="stable").reset_index(drop=True),
    )


def add_charters(
    kinds: np.ndarray,
    xy: np.ndarray,
    region: np.ndarray,
    areas: Mapping[str, BaseGeometry],
    n_charters: int,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Append n_charters charter schools (CHARTER_MIX of kinds) on neighbourhood sites of the
    regions, each in the region of its nearest district school; returns kinds, xy, region and
    the charter mask."""
    area = shapely.union_all(list(areas.values()))
    sites = clustered_points(area, n_charters, rng)
    charter_kinds = np.repeat(np.arange(len(KINDS)), apportion(n_charters, CHARTER_MIX))
    nearest = cKDTree(xy).query(sites)[1]
    charter = np.concatenate([np.zeros(len(kinds), dtype=bool), np.ones(n_charters, dtype=bool)])
    return (
        np.concatenate([kinds, charter_kinds]),
        np.vstack([xy, sites]),
        np.concatenate([region, region[nearest]]),
        charter,
    )


def apportion(total: int, weights: np.ndarray) -> np.ndarray:
    """Split total into integers proportional to weights that add up exactly (largest remainder)."""
    quotas = total * weights / weights.sum()
    counts = np.floor(quotas).astype(int)
    counts[np.argsort(counts - quotas, kind="stable")[: total - counts.sum()]] += 1
    return counts


def square_regions(
    n_schools: int, n_regions: int, spacing_km: float, rng: np.random.Generator
) -> dict[str, BaseGeometry]:
    """A square district in km, sized for its elementary schools, cut into Voronoi regions.

    Region seeds start as a scrambled Halton sequence and are relaxed by k-means over a
    dense Halton sample of the square, so regions come out of similar area (and school
    count) yet irregular, like real administrative regions.
    """
    elementary = KINDS["share"].iloc[ELEMENTARY] * n_schools
    half = spacing_km * np.sqrt(AREA_PER_SPACING2 * elementary) / 2
    square = shapely.box(-half, -half, half, half)
    if n_regions == 1:
        return {"R1": square}
    halton = qmc.Halton(d=2, seed=rng)
    seeds = (halton.random(n_regions) - 0.5) * 2 * half
    cover = (halton.random(100 * n_regions) - 0.5) * 2 * half
    seeds = kmeans2(cover, seeds, minit="matrix")[0]
    seeds = seeds[np.lexsort((seeds[:, 0], -seeds[:, 1]))]
    return {f"R{i}": cell for i, cell in enumerate(voronoi_cells(seeds, square), start=1)}


def region_sites(
    area: BaseGeometry, n: int, colocated: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Kinds and km sites of one region's n schools, in the mix KINDS gives.

    Elementary and span schools are where families live (neighbourhood clusters). Middle
    schools sit near k-means centres of the elementary sites; high schools group the middle
    schools by k-means and stand somewhere in the area those middle schools draw from, so
    each one has schools nearest to it that feed it. Sites are nudged by a fraction of the
    elementary spacing, so that no centre lands on a school's site.
    """
    counts = apportion(n, KINDS["share"].to_numpy())
    homes = clustered_points(area, counts[ELEMENTARY] + counts[K8] + counts[SECONDARY], rng)
    elementary = homes[: counts[ELEMENTARY]]
    nudge = CENTRE_NUDGE * np.sqrt(area.area / counts[ELEMENTARY])
    middle, middle_of = kmeans2(elementary, counts[MIDDLE], minit="++", seed=rng)
    middle += rng.normal(0.0, nudge, middle.shape)
    high, high_of = kmeans2(middle, counts[HIGH], minit="++", seed=rng)
    high = somewhere_in(high, high_of[middle_of], elementary, rng)
    high += rng.normal(0.0, nudge, high.shape)
    sites = np.vstack([elementary, middle, high, homes[counts[ELEMENTARY] :]])
    return np.repeat(np.arange(len(KINDS)), counts), share_campuses(sites, colocated, rng)


def somewhere_in(
    centres: np.ndarray, cluster_of: np.ndarray, points: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """Move each centre part way (CATCHMENT_PULL) towards a random point of its cluster: a
    school stands somewhere in its catchment, rarely at its centroid. Pulling further would
    leave some high schools closer to other high schools' middle schools than to their own."""
    order = rng.permutation(len(points))
    clusters, first = np.unique(cluster_of[order], return_index=True)
    moved = centres.copy()
    moved[clusters] += CATCHMENT_PULL * (points[order[first]] - centres[clusters])
    return moved


def clustered_points(area: BaseGeometry, n: int, rng: np.random.Generator) -> np.ndarray:
    """n points inside area, most in Gaussian neighbourhood clusters of uneven size."""
    n_clusters = max(1, round(n / NEIGHBOURHOOD_SCHOOLS))
    centres = points_inside(area, n_clusters, lambda m: uniform_points(area, m, rng))
    weights = rng.lognormal(0.0, 0.5, n_clusters)
    spread = 0.5 * np.sqrt(area.area / n_clusters)

    def draw(m: int) -> np.ndarray:
        cluster = rng.choice(n_clusters, m, p=weights / weights.sum())
        points = centres[cluster] + rng.normal(0.0, spread, (m, 2))
        scattered = rng.random(m) < SCATTERED
        points[scattered] = uniform_points(area, int(scattered.sum()), rng)
        return points

    return points_inside(area, n, draw)


def uniform_points(area: BaseGeometry, m: int, rng: np.random.Generator) -> np.ndarray:
    """m points uniform over area's bounding box."""
    x0, y0, x1, y1 = area.bounds
    return rng.uniform([x0, y0], [x1, y1], (m, 2))


def points_inside(area: BaseGeometry, n: int, draw: Callable[[int], np.ndarray]) -> np.ndarray:
    """The first n points of repeated draw(m) batches that fall inside area (rejection sampling)."""
    kept = np.empty((0, 2))
    while len(kept) < n:
        batch = draw(2 * (n - len(kept)) + 8)
        kept = np.vstack([kept, batch[shapely.contains_xy(area, batch[:, 0], batch[:, 1])]])
    return kept[:n]


def share_campuses(sites: np.ndarray, share: float, rng: np.random.Generator) -> np.ndarray:
    """Move a share of schools onto the site of their nearest unmoved school (co-located campuses)."""
    movers = rng.random(len(sites)) < share
    if movers.all() or not movers.any():
        return sites
    hosts = sites[~movers]
    sites = sites.copy()
    sites[movers] = hosts[cKDTree(hosts).query(sites[movers])[1]]
    return sites


@dataclass(frozen=True)
class Charters:
    """Which schools are charters, the share of a district cohort they draw, and the Generator
    of their draws (separate, so that a district without charters is drawn as before)."""

    mask: np.ndarray
    pull: tuple[float, float]
    rng: np.random.Generator


def transition_flows(
    xy: np.ndarray,
    kinds: np.ndarray,
    grade_lo: np.ndarray,
    region: np.ndarray,
    enrollment: np.ndarray,
    rng: np.random.Generator,
    leave_share: tuple[float, float],
    dominant_share: tuple[float, float],
    choice_share: tuple[float, float] = (0.0, 0.0),
    charters: Charters | None = None,
    *,
    choice_reach: int | None = None,
) -> tuple[pd.DataFrame, np.ndarray]:
    """Flows (from, to, students; to = -1 for OUT) at grades 5->6 and 8->9, and each sender's
    dominant receiver (-1 for schools that send nobody).

    A school ending at grade g sends to district schools students enter at g + 1 (grade_lo =
    g + 1), nearest first, a receiver in another region counting CROSS_REGION_PENALTY times
    farther; with choice_share, part of the cohort goes to a random receiver that is none of
    those; with charters, a share first goes to nearby charters (charter_choices).
    """
    grade_hi = KINDS["grade_hi"].to_numpy()[kinds]
    entry = np.maximum(grade_lo, 0)
    charter = np.zeros(len(xy), dtype=bool) if charters is None else charters.mask
    frames, dominant = [], np.full(len(xy), -1)
    for exit_grade in (5, 8):
        senders = np.flatnonzero(grade_hi == exit_grade)
        receivers = np.flatnonzero((entry == exit_grade + 1) & ~charter)
        cohort = enrollment[senders] / (exit_grade - grade_lo[senders] + 1)
        chosen = np.flatnonzero((entry == exit_grade + 1) & charter)
        if charters is not None and len(chosen):
            to_charters = charter_choices(xy, senders, chosen, cohort, charter[senders], charters)
            frames.append(to_charters)
            cohort = cohort - to_charters.groupby("from")["students"].sum().reindex(senders).to_numpy()
        sent, dominant[senders] = send_cohorts(
            xy,
            senders,
            receivers,
            region,
            cohort,
            rng,
            leave_share,
            dominant_share,
            choice_share,
            choice_reach=choice_reach,
        )
        frames += sent
    flows = pd.concat(frames, ignore_index=True)
    flows = flows[flows["students"] > 0].astype({"students": int})
    return flows.reset_index(drop=True), dominant


def send_cohorts(
    xy: np.ndarray,
    senders: np.ndarray,
    receivers: np.ndarray,
    region: np.ndarray,
    cohort: np.ndarray,
    rng: np.random.Generator,
    leave_share: tuple[float, float],
    dominant_share: tuple[float, float],
    choice_share: tuple[float, float] = (0.0, 0.0),
    *,
    choice_reach: int | None = None,
) -> tuple[list[pd.DataFrame], np.ndarray]:
    """The choice model: each sender's cohort split over its ranked receivers and OUT.

    Receivers are ranked by distance, one in another region counting CROSS_REGION_PENALTY
    times farther; the dominant one gets dominant_share of those who stay, the next one the
    rest but for an occasional third; a leave_share leaves to OUT (-1). Returns the flow
    frames (from, to, students) and each sender's dominant receiver.
    """
    k = min(CANDIDATES, len(receivers))
    distance, near = cKDTree(xy[receivers]).query(xy[senders], k=list(range(1, k + 1)))
    near = receivers[near]
    cost = distance * np.where(region[near] == region[senders, None], 1.0, CROSS_REGION_PENALTY)
    ranked = np.take_along_axis(near, np.argsort(cost, axis=1, kind="stable"), axis=1)[:, :3]
    shares = receiver_shares(len(senders), ranked.shape[1], dominant_share, rng)
    leaving = rng.uniform(*leave_share, len(senders))
    kept = cohort * (1 - leaving)
    frames = []
    if choice_share[1] > 0 and len(receivers) > ranked.shape[1]:
        choosing = rng.uniform(*choice_share, len(senders))
        chosen = (
            far_receivers(ranked, receivers, rng)
            if choice_reach is None
            else near_receivers(xy, senders, receivers, ranked, choice_reach, rng)
        )
        frames.append(pd.DataFrame({"from": senders, "to": chosen, "students": np.rint(kept * choosing)}))
        kept = kept * (1 - choosing)
    staying = np.rint(kept[:, None] * shares)
    repeated = senders.repeat(ranked.shape[1])
    frames.append(pd.DataFrame({"from": repeated, "to": ranked.ravel(), "students": staying.ravel()}))
    frames.append(pd.DataFrame({"from": senders, "to": -1, "students": np.rint(cohort * leaving)}))
    return frames, ranked[:, 0]


def charter_choices(
    xy: np.ndarray,
    senders: np.ndarray,
    chosen: np.ndarray,
    cohort: np.ndarray,
    from_charter: np.ndarray,
    charters: Charters,
) -> pd.DataFrame:
    """Each sender's students choosing charters (charters.pull of a district cohort,
    CHARTER_LOYALTY of a charter's), spread over its CHARTER_CHOICES nearest charters, a
    charter's draw falling with distance (CHARTER_REACH_KM) and varying from charter to charter."""
    rng = charters.rng
    k = min(CHARTER_CHOICES, len(chosen))
    distance, near = cKDTree(xy[chosen]).query(xy[senders], k=list(range(1, k + 1)))
    appeal = np.exp(-distance / CHARTER_REACH_KM) * rng.gamma(1.0, 1.0, distance.shape)
    pull = np.where(
        from_charter, rng.uniform(*CHARTER_LOYALTY, len(senders)), rng.uniform(*charters.pull, len(senders))
    )
    students = np.rint((cohort * pull)[:, None] * appeal / appeal.sum(axis=1, keepdims=True))
    return pd.DataFrame({"from": senders.repeat(k), "to": chosen[near].ravel(), "students": students.ravel()})


def far_receivers(ranked: np.ndarray, receivers: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One random receiver per sender (row of ranked) that is not among its ranked nearest ones."""
    chosen = rng.choice(receivers, len(ranked))
    clash = (chosen[:, None] == ranked).any(axis=1)
    while clash.any():
        chosen[clash] = rng.choice(receivers, int(clash.sum()))
        clash = (chosen[:, None] == ranked).any(axis=1)
    return chosen


def near_receivers(
    xy: np.ndarray,
    senders: np.ndarray,
    receivers: np.ndarray,
    ranked: np.ndarray,
    reach: int,
    rng: np.random.Generator,
) -> np.ndarray:
    """One random receiver per sender among the `reach` nearest that are not its ranked ones."""
    k = min(len(receivers), reach + ranked.shape[1])
    _, near = cKDTree(xy[receivers]).query(xy[senders], k=list(range(1, k + 1)))
    chosen = np.empty(len(senders), dtype=int)
    for row, candidates in enumerate(receivers[near]):
        others = candidates[~np.isin(candidates, ranked[row])][:reach]
        chosen[row] = others[rng.integers(len(others))]
    return chosen


def receiver_shares(
    n: int, m: int, dominant_share: tuple[float, float], rng: np.random.Generator
) -> np.ndarray:
    """(n, m) shares of the staying cohort for the m ranked receivers: dominant, second, third."""
    first = rng.uniform(*dominant_share, n)
    third = np.where(rng.random(n) < THIRD_CHANCE, rng.uniform(*THIRD_SHARE, n), 0.0)
    third = np.minimum(third, 1 - first)
    shares = np.column_stack([first, 1 - first - third, third])
    shares[:, 0] += shares[:, m:].sum(axis=1)
    return shares[:, :m]


def capacities(enrollment: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Seats: enrollment plus 0-45 % headroom (enrollment is declining), in multiples of 25."""
    return (np.ceil(enrollment * rng.uniform(1.0, 1.45, len(enrollment)) / 25) * 25).astype(int)


def need_field(xy: np.ndarray, rng: np.random.Generator, mean: float) -> np.ndarray:
    """Need index in 0-1: a smooth random field (random Fourier features of a Gaussian kernel
    with NEED_LENGTH_KM correlation length), standardised so the district's mean is `mean`,
    plus school-level noise: neighbours look alike, as neighbourhoods do."""
    features = 64
    frequency = rng.normal(0.0, 1.0 / NEED_LENGTH_KM, (2, features))
    phase = rng.uniform(0.0, 2 * np.pi, features)
    field = np.cos(xy @ frequency + phase).sum(axis=1)
    field = (field - field.mean()) / (field.std() or 1.0)
    noise = rng.normal(0.0, NEED_NOISE, len(xy))
    return np.clip(mean + NEED_SPREAD * field + noise, 0.0, 1.0).round(3)


def program_tags(
    grade_lo: np.ndarray,
    grade_hi: np.ndarray,
    dominant: np.ndarray,
    rng: np.random.Generator,
    *,
    magnets: np.ndarray | None = None,
) -> np.ndarray:
    """`;`-joined program tags per school.

    Dual-language programs start at K-entry schools and are continued by only some of the
    schools they feed; IB starts at a few high schools and reaches down only some of their
    feeder chains; magnets and Linked Learning pathways are scattered. Breaks are the point:
    they are what an alignment check should find. `magnets` (one flag per school) puts magnet
    tags on the flagged schools instead of drawing them; their themes are drawn either way.
    """
    n = len(grade_lo)
    entry = np.maximum(grade_lo, 0)
    exit_band = np.where(grade_hi <= 6, 5, 8)  # leaving elementary (K-5, K-6) or middle grades
    edges = pd.DataFrame({"sender": np.arange(n), "receiver": dominant, "exit": exit_band})
    edges = edges[edges["receiver"] >= 0]
    language = rng.choice(LANGUAGES, n, p=LANGUAGE_ODDS)
    starts = np.flatnonzero((entry == 0) & (language != ""))
    tags = tag_rows(starts, "dual_language:" + language[starts])
    for exit_grade, chance in LANGUAGE_CARRIED.items():
        step = edges[edges["exit"] == exit_grade]
        tags = carry(tags, step, "sender", "receiver", "dual_language", chance, rng)
    highs = np.flatnonzero(entry == 9)
    fed = np.isin(highs, edges["receiver"])
    highs = highs[fed] if fed.any() else highs  # IB runs at high schools with feeders
    ib = rng.choice(highs, max(1, round(IB_HIGH_SHARE * len(highs))), replace=False)
    tags = pd.concat([tags, tag_rows(ib, "ib")])
    for exit_grade, chance in IB_CARRIED.items():
        step = edges[edges["exit"] == exit_grade]
        tags = carry(tags, step, "receiver", "sender", "ib", chance, rng)
    if magnets is None:
        magnet = np.flatnonzero(rng.random(n) < pd.Series(entry).map(MAGNET_ODDS).to_numpy())
    else:
        magnet = np.flatnonzero(magnets)
    pathway = np.flatnonzero((grade_hi == 12) & (rng.random(n) < PATHWAY_ODDS))
    tags = pd.concat(
        [
            tags,
            tag_rows(magnet, "magnet:" + rng.choice(MAGNETS, len(magnet))),
            tag_rows(pathway, "linked_learning:" + rng.choice(PATHWAYS, len(pathway))),
        ]
    ).drop_duplicates()
    joined = tags.sort_values(["school", "tag"]).groupby("school")["tag"].agg(";".join)
    return joined.reindex(range(n), fill_value="").to_numpy()


def tag_rows(schools: np.ndarray, tags: np.ndarray | str) -> pd.DataFrame:
    return pd.DataFrame({"school": schools, "tag": tags})


def carry(
    tags: pd.DataFrame,
    edges: pd.DataFrame,
    source: str,
    target: str,
    family: str,
    chance: float,
    rng: np.random.Generator,
) -> pd.DataFrame:
    """Copy `family` tags from the source end of each feeder edge to its target end, each copy
    kept with the given chance, so that programs continue along some chains and break on others."""
    tagged = tags[tags["tag"].str.startswith(family)]
    hits = edges.merge(tagged, left_on=source, right_on="school")
    copies = hits[[target, "tag"]].rename(columns={target: "school"}).drop_duplicates()
    copies = copies[rng.random(len(copies)) < chance]
    return pd.concat([tags, copies]).drop_duplicates()


def school_codes(n: int, rng: np.random.Generator) -> np.ndarray:
    """Unique LAUSD-style location codes: 4 digits (more for big districts), some with a
    leading zero, to keep everyone honest about ids being strings."""
    width = max(4, len(str(3 * n)))
    low = 10 ** (width - 1) // 5
    codes = rng.choice(10**width - low, n, replace=False) + low
    return np.char.zfill(codes.astype(str), width).astype(object)


def school_names(kinds: np.ndarray, rng: np.random.Generator, charter: np.ndarray) -> np.ndarray:
    """'<street or person> <suffix>' names ('<...> Charter <suffix>' for charters), each its own:
    curated names, then invented people's names, then a name taken already numbered ('Maple 2
    Elementary'), as real districts number schools sharing a namesake."""
    bases = np.empty(len(kinds), dtype=object)
    invented = [f"{first} {last}" for first in FIRST_NAMES for last in LAST_NAMES]
    for kind in range(len(KINDS)):
        members = np.flatnonzero(kinds == kind)
        pool = np.concatenate([rng.permutation(STREETS + PEOPLE + NUMBERED), rng.permutation(invented)])
        bases[members] = np.resize(pool, len(members))
    suffixes = KINDS["suffix"].to_numpy()[kinds]
    taken: set[str] = set()
    names = np.empty(len(kinds), dtype=object)
    for index, (base, suffix, chartered) in enumerate(zip(bases, suffixes, charter, strict=True)):
        middle = "Charter " if chartered else ""
        name, number = f"{base} {middle}{suffix}", 1
        while name.casefold() in taken:
            number += 1
            name = f"{base} {number} {middle}{suffix}"
        taken.add(name.casefold())
        names[index] = name
    return names


def people(n: int, rng: np.random.Generator) -> np.ndarray:
    """Principal names drawn from diverse first and last names."""
    first = rng.choice(FIRST_NAMES, n)
    last = rng.choice(LAST_NAMES, n)
    return np.array([f"{a} {b}" for a, b in zip(first, last, strict=True)], dtype=object)


def current_plan(region: np.ndarray, grade_lo: np.ndarray, xy: np.ndarray) -> np.ndarray:
    """Today's portfolios, the structure districts are moving away from: schools grouped by
    level (entry grade) within each region, ordered along the group's long axis from north to
    south and cut into runs of 12-24 (as few runs as keep each at most 24)."""
    group = entry_groups(grade_lo)
    labels = np.empty(len(region), dtype=object)
    frame = pd.DataFrame({"region": region, "group": group})
    for (name, level), members in frame.groupby(["region", "group"], sort=False).indices.items():
        ordered = members[np.argsort(-northward(xy[members]), kind="stable")]
        runs = np.array_split(ordered, -(-len(members) // 24))
        for number, run in enumerate(runs, start=1):
            labels[run] = f"{name}-{level}-{number}"
    return labels


def entry_groups(grade_lo: np.ndarray) -> np.ndarray:
    """ES, MS or HS by the grade a school starts at (up to 5, 6-8, 9 and above)."""
    return np.select([grade_lo <= 5, grade_lo <= 8], ["ES", "MS"], "HS").astype(object)


def northward(xy: np.ndarray) -> np.ndarray:
    """Position of each point along the principal axis of the points, oriented to the north."""
    centred = xy - xy.mean(axis=0)
    axis = np.linalg.svd(centred, full_matrices=False)[2][0]
    return centred @ (axis if axis[1] >= 0 else -axis)


def generate_boundaries(schools: pd.DataFrame, area: BaseGeometry | None = None) -> gpd.GeoDataFrame:
    """Attendance zones (school_id, level, polygon; EPSG:4326), one layer per entry grade.

    schools: as generate_district returns them (school_id, lat, lon, grade_lo, region).

    A zone is where students *enter* a school: the ``elementary`` layer holds the K-entry
    schools (elementary and K-8, whose students stay through grade 8), ``middle`` the
    grade-6 entry schools (middle and 6-12) and ``high`` the high schools. Each layer is the
    Voronoi diagram of its sites; regions are the union of their elementary zones, and
    middle and high zones are cut within their region, as Local Districts nest whole zones.
    Co-located schools of one layer share their site's zone. Zones stop at ``area`` (lon/lat;
    default: the sites' convex hull grown by ZONE_MARGIN_KM).

    Inferring flows from the overlaps of lower- and higher-layer zones gives flows that
    broadly agree with generate_district's (nearest receiver, preferring one's own region);
    a K-8 zone's overlap with middle zones is not a flow.
    """
    plane = Plane(float(schools["lat"].mean()), float(schools["lon"].mean()))
    xy = plane.km(schools["lon"], schools["lat"])
    entry = np.maximum(schools["grade_lo"].to_numpy(dtype=int), 0)
    region = schools["region"].to_numpy(dtype=str) if "region" in schools else np.full(len(xy), "")
    if area is None:
        area = shapely.convex_hull(shapely.multipoints(xy)).buffer(ZONE_MARGIN_KM)
    else:
        area = plane.to_km(area)
    zones = np.empty(len(xy), dtype=object)
    first = entry == 0
    zones[first] = site_cells(xy[first], area)
    for name in np.unique(region):
        home = region == name
        territory = shapely.union_all(zones[first & home])
        for grade in (6, 9):
            members = home & (entry == grade)
            zones[members] = site_cells(xy[members], territory)
    layer = pd.Series(entry).map(LAYERS)
    frame = gpd.GeoDataFrame(
        {"school_id": schools["school_id"].to_numpy(), "level": layer.to_numpy(), "entry": entry},
        geometry=plane.to_degrees(zones),
        crs="EPSG:4326",
    )
    frame = frame.sort_values(["entry", "school_id"], kind="stable").drop(columns="entry")
    return frame.reset_index(drop=True)


def site_cells(sites: np.ndarray, area: BaseGeometry) -> np.ndarray:
    """Voronoi zone of each site within area; schools on one site share its zone."""
    unique, inverse = np.unique(sites, axis=0, return_inverse=True)
    return voronoi_cells(unique, area)[inverse.ravel()]


def voronoi_cells(sites: np.ndarray, area: BaseGeometry) -> np.ndarray:
    """Voronoi cell of each distinct site, clipped to area (all of area for a lone site)."""
    if len(sites) == 1:
        return np.array([area], dtype=object)
    cells = shapely.get_parts(shapely.voronoi_polygons(shapely.multipoints(sites), extend_to=area))
    site, cell = shapely.STRtree(cells).query(shapely.points(sites), predicate="within")
    matched = np.empty(len(sites), dtype=object)
    matched[site] = cells[cell]
    return shapely.intersection(matched, area)


def without_charters(schools: pd.DataFrame, flows: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The district as it sees itself: charters left out, students choosing them leave to OUT."""
    district = schools[schools["charter"] == "N"].drop(columns="charter").reset_index(drop=True)
    kept = set(district["school_id"])
    flows = flows[flows["from_id"].isin(kept)]
    flows = flows.assign(to_id=flows["to_id"].where(flows["to_id"].isin(kept), OUTSIDE))
    flows = flows.groupby(["from_id", "to_id"], as_index=False, sort=True)["students"].sum()
    return district, flows


def write_district(
    folder: str | Path,
    schools: pd.DataFrame,
    flows: pd.DataFrame,
    boundaries: gpd.GeoDataFrame | None = None,
) -> Path:
    """Write schools.csv, flows.csv (and boundaries.geojson) in FORMAT.md layout.

    Line endings and coordinate precision (6 decimals, ~0.1 m) are fixed so that the same
    district gives the same bytes on every machine.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    schools.to_csv(folder / "schools.csv", index=False, lineterminator="\n")
    flows.to_csv(folder / "flows.csv", index=False, lineterminator="\n")
    if boundaries is not None:
        target = folder / "boundaries.geojson"
        target.unlink(missing_ok=True)
        boundaries.to_file(target, driver="GeoJSON", COORDINATE_PRECISION=6)
    return folder


def main(argv: list[str] | None = None) -> None:
    """Write a synthetic district folder (the bundled sample is real: scripts/make_sample.py)."""
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--schools", type=int, default=1000, help="number of schools (default 1000)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--out", type=Path, required=True, help="folder to write")
    parser.add_argument("--regions", type=int, default=None, help="regions (default: one per ~160 schools)")
    parser.add_argument(
        "--choice-share",
        type=float,
        nargs=2,
        default=(0.0, 0.0),
        metavar=("LO", "HI"),
        help="harder district: share of each cohort choosing a non-nearest school, e.g. 0.05 0.14",
    )
    parser.add_argument(
        "--choice-reach",
        type=int,
        default=None,
        metavar="K",
        help="with --choice-share: choosing students go to one of the K next-nearest schools (default: anywhere)",
    )
    parser.add_argument(
        "--charter-share",
        type=float,
        default=0.0,
        help="city with charter schools: their share of the schools, e.g. 0.4 (default none)",
    )
    parser.add_argument(
        "--charter-pull",
        type=float,
        nargs=2,
        default=(0.3, 0.6),
        metavar=("LO", "HI"),
        help="share of each district cohort choosing charters (default 0.3 0.6)",
    )
    parser.add_argument(
        "--charters-outside",
        action="store_true",
        help="leave the charters out: students choosing them leave to OUT",
    )
    parser.add_argument("--no-boundaries", action="store_true", help="skip boundaries.geojson")
    args = parser.parse_args(argv)
    schools, flows = generate_district(
        args.schools,
        args.seed,
        n_regions=args.regions,
        choice_share=tuple(args.choice_share),
        choice_reach=args.choice_reach,
        charter_share=args.charter_share,
        charter_pull=tuple(args.charter_pull),
    )
    if args.charters_outside and "charter" in schools:
        schools, flows = without_charters(schools, flows)
    boundaries = None if args.no_boundaries else generate_boundaries(schools)
    folder = write_district(args.out, schools, flows, boundaries)
    print(f"wrote {len(schools)} schools and {len(flows)} flows to {folder}")


if __name__ == "__main__":
    main(sys.argv[1:])
