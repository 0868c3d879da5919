"""Plan metrics, exactly as ../shared/METRICS.md defines them.

Each metric is a small function of (district, labels) in the spirit of GerryChain's
updaters: `labels` is a numpy array of portfolio names aligned with `district.schools`.
"""

from __future__ import annotations

import numpy as np
from scipy import sparse
from scipy.optimize import linear_sum_assignment
from scipy.sparse.csgraph import connected_components

from feeder.district import District
from feeder.geo import distance_matrix_km, haversine_km

SPLIT_SHARE = 0.10
SPLIT_ABOVE = SPLIT_SHARE * (1 + 1e-9)
"""A school is split when its crossing share exceeds this: "more than 10 %", where a share within
float rounding of 10 % (0.1 + 0.2 of 3 students, 0.30000000000000004 / 3.0) is 10 %, not more."""
K12_GRADES = (3, 7, 10)


def groups(labels: np.ndarray) -> dict[str, np.ndarray]:
    """Member positions of each portfolio, in schools.csv order, portfolios sorted by name."""
    names, inverse = np.unique(labels, return_inverse=True)
    order = np.argsort(inverse, kind="stable")
    bounds = np.searchsorted(inverse[order], np.arange(len(names) + 1))
    return {str(name): order[bounds[i] : bounds[i + 1]] for i, name in enumerate(names)}


def cohesion(district: District, labels: np.ndarray) -> float | None:
    """Share of students on district flows whose two schools share a portfolio."""
    inside, total = cohesion_counts(district, labels)
    return float(inside / total) if total else None


def cohesion_counts(district: District, labels: np.ndarray) -> tuple[float, float]:
    """Students on district flows inside a portfolio, and on all district flows."""
    sender, receiver, students = district.flow_positions
    return float(students[labels[sender] == labels[receiver]].sum()), float(students.sum())


def split_schools(district: District, labels: np.ndarray) -> int:
    """Schools sending more than 10 % of their outgoing district students to other portfolios."""
    sender, receiver, students = district.flow_positions
    n = len(labels)
    outgoing = np.bincount(sender, weights=students, minlength=n)
    crossing = np.bincount(sender, weights=students * (labels[sender] != labels[receiver]), minlength=n)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(outgoing > 0, crossing / np.where(outgoing > 0, outgoing, 1), 0.0)
    return int((share > SPLIT_ABOVE).sum())


def medoids(district: District, labels: np.ndarray) -> dict[str, int]:
    """Each portfolio's meeting site: the member with least total distance to the others.

    Ties go to the first member in schools.csv order (argmin returns the first).
    """
    lat, lon = district.schools["lat"].to_numpy(), district.schools["lon"].to_numpy()
    result = {}
    for name, members in groups(labels).items():
        totals = distance_matrix_km(lat[members], lon[members]).sum(axis=1)
        result[name] = int(members[int(np.argmin(totals))])
    return result


def distances_to_medoid(district: District, labels: np.ndarray) -> np.ndarray:
    """Each school's great-circle distance (km) to its portfolio's medoid."""
    lat, lon = district.schools["lat"].to_numpy(), district.schools["lon"].to_numpy()
    centre = np.empty(len(labels), dtype=int)
    sites = medoids(district, labels)
    for name, members in groups(labels).items():
        centre[members] = sites[name]
    return haversine_km(lat, lon, lat[centre], lon[centre])


def broken_portfolios(district: District, labels: np.ndarray) -> list[str]:
    """Portfolios whose schools do not induce a connected Delaunay subgraph, by name.

    The components of the graph of within-portfolio edges, counted per portfolio: one pass
    over all schools, however many portfolios.
    """
    edges = district.adjacency
    n = len(labels)
    names, index = np.unique(labels, return_inverse=True)
    inside = index[edges[:, 0]] == index[edges[:, 1]]
    graph = sparse.coo_matrix(
        (np.ones(int(inside.sum())), (edges[inside, 0], edges[inside, 1])), shape=(n, n)
    )
    _, component = connected_components(graph, directed=False)
    pieces = np.bincount(np.unique(np.column_stack([index, component]), axis=0)[:, 0], minlength=len(names))
    return [str(name) for name, count in zip(names, pieces, strict=True) if count > 1]


def contiguous(district: District, labels: np.ndarray) -> float:
    """Share of portfolios whose schools induce a connected Delaunay subgraph."""
    count = len(groups(labels))
    return (count - len(broken_portfolios(district, labels))) / count


def k12_complete(district: District, labels: np.ndarray) -> float:
    """Share of portfolios holding schools that serve grade 3, grade 7 and grade 10."""
    lo = district.schools["grade_lo"].to_numpy(dtype=float, na_value=np.nan)
    hi = district.schools["grade_hi"].to_numpy(dtype=float, na_value=np.nan)
    parts = groups(labels)
    complete = 0
    for members in parts.values():
        serves = [((lo[members] <= g) & (hi[members] >= g)).any() for g in K12_GRADES]
        complete += all(serves)
    return complete / len(parts)


def coefficient_of_variation(values: np.ndarray) -> float | None:
    """Population standard deviation over mean; None when undefined."""
    if len(values) == 0 or values.mean() == 0:
        return None
    return float(values.std() / values.mean())


def enrollment_cv(district: District, labels: np.ndarray) -> float | None:
    """Coefficient of variation of total enrollment per portfolio (missing enrollment = 0)."""
    enrollment = district.schools["enrollment"].fillna(0).to_numpy(dtype=float)
    totals = np.array([enrollment[m].sum() for m in groups(labels).values()])
    return coefficient_of_variation(totals)


def need_cv(district: District, labels: np.ndarray) -> float | None:
    """CV of the enrollment-weighted mean need index per portfolio (schools without one ignored)."""
    need = district.schools["need_index"].to_numpy(dtype=float)
    if np.isnan(need).all():
        return None
    enrollment = district.schools["enrollment"].fillna(0).to_numpy(dtype=float)
    means = []
    for members in groups(labels).values():
        known = members[~np.isnan(need[members])]
        if len(known) == 0:
            continue
        weights = enrollment[known]
        if weights.sum() == 0:
            weights = np.ones(len(known))
        means.append(float(np.average(need[known], weights=weights)))
    return coefficient_of_variation(np.array(means))


def in_region(district: District, labels: np.ndarray) -> float | None:
    """Share of portfolios whose schools all share one region (None without regions)."""
    if not district.has_regions:
        return None
    region = district.schools["region"].to_numpy()
    parts = groups(labels)
    return sum(len(set(region[m])) == 1 for m in parts.values()) / len(parts)


def moved(district: District, labels: np.ndarray) -> int | None:
    """Schools whose portfolio differs from today's after the best one-to-one matching."""
    current = district.schools["portfolio"].to_numpy()
    if not (current != "").any():
        return None
    new_names, new_index = np.unique(labels, return_inverse=True)
    old_names, old_index = np.unique(current, return_inverse=True)
    overlap = np.zeros((len(new_names), len(old_names)))
    today = current != ""  # a school without a portfolio today moves into whichever it gets
    np.add.at(overlap, (new_index[today], old_index[today]), 1)
    rows, cols = linear_sum_assignment(overlap, maximize=True)
    return int(len(labels) - overlap[rows, cols].sum())
