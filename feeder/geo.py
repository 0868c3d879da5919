"""Distances and neighbourhoods of school sites, as METRICS.md defines them."""

from __future__ import annotations

import itertools

import numpy as np
import shapely
from numpy.typing import ArrayLike
from scipy.spatial import Delaunay, QhullError

EARTH_RADIUS_KM = 6371.0088


def haversine_km(lat1: ArrayLike, lon1: ArrayLike, lat2: ArrayLike, lon2: ArrayLike) -> np.ndarray:
    """Great-circle distance in km (broadcasting numpy arrays)."""
    p1, p2 = np.radians(np.asarray(lat1, dtype=float)), np.radians(np.asarray(lat2, dtype=float))
    dlat = p2 - p1
    dlon = np.radians(np.asarray(lon2, dtype=float)) - np.radians(np.asarray(lon1, dtype=float))
    a = np.sin(dlat / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dlon / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def distance_matrix_km(lat: ArrayLike, lon: ArrayLike) -> np.ndarray:
    """All pairwise haversine distances between the given sites."""
    lat, lon = np.asarray(lat, dtype=float), np.asarray(lon, dtype=float)
    return haversine_km(lat[:, None], lon[:, None], lat[None, :], lon[None, :])


def local_km(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """Equirectangular projection around the sites' mean latitude, in km, centred on their mean.

    Accurate to well under 1 % across a school district; used where planar geometry is
    needed (compactness, tree costs), never for reported distances (those are haversine).
    """
    if len(lat) == 0:
        return np.empty((0, 2))
    x = np.radians(lon) * np.cos(np.radians(lat.mean())) * EARTH_RADIUS_KM
    y = np.radians(lat) * EARTH_RADIUS_KM
    return np.column_stack([x - x.mean(), y - y.mean()])


def delaunay_edges(lat: ArrayLike, lon: ArrayLike) -> set[tuple[int, int]]:
    """Index pairs (i < j) that are Delaunay neighbours, per METRICS.md.

    Sites are projected as lon·cos(mean lat), lat. Schools sharing one exact site are
    neighbours of each other and share that site's neighbours.
    """
    lat, lon = np.asarray(lat, dtype=float), np.asarray(lon, dtype=float)
    points = np.column_stack([lon * np.cos(np.radians(lat.mean())), lat]) if len(lat) else np.empty((0, 2))
    sites, site_of = np.unique(points, axis=0, return_inverse=True)
    site_of = site_of.ravel()
    site_pairs = site_neighbours(sites)
    members: list[list[int]] = [[] for _ in range(len(sites))]
    for school, site in enumerate(site_of):
        members[site].append(school)
    edges: set[tuple[int, int]] = set()
    for group in members:
        edges.update((a, b) for i, a in enumerate(group) for b in group[i + 1 :])
    for s, t in site_pairs:
        edges.update((min(a, b), max(a, b)) for a in members[s] for b in members[t])
    return edges


def site_neighbours(sites: np.ndarray) -> set[tuple[int, int]]:
    """Delaunay edges between distinct sites; collinear or tiny sets fall back to a path/all pairs."""
    n = len(sites)
    if n < 2:
        return set()
    if n == 2:
        return {(0, 1)}
    try:
        triangulation = Delaunay(sites)
    except QhullError:
        order = np.lexsort((sites[:, 1], sites[:, 0]))
        return {(min(a, b), max(a, b)) for a, b in itertools.pairwise(order)}
    indptr, indices = triangulation.vertex_neighbor_vertices
    vertex_pairs = {(i, int(j)) for i in range(n) for j in indices[indptr[i] : indptr[i + 1]] if i < j}
    # A site qhull cannot tell from a vertex (1e-9 degrees apart) is left out of the triangulation;
    # it shares that vertex's place, as schools on one exact site do.
    place = np.arange(n)
    place[triangulation.coplanar[:, 0]] = triangulation.coplanar[:, 2]
    members: list[list[int]] = [[] for _ in range(n)]
    for site, vertex in enumerate(place):
        members[vertex].append(site)
    pairs = {(a, b) for group in members for i, a in enumerate(group) for b in group[i + 1 :]}
    for s, t in vertex_pairs:
        pairs.update((min(a, b), max(a, b)) for a in members[s] for b in members[t])
    return pairs


def voronoi_cells(sites: np.ndarray, clip: shapely.Geometry) -> np.ndarray:
    """One nearest-site (Voronoi) cell per distinct site, in site order, clipped to `clip`.

    `sites` are planar coordinates (n, 2) without repeats; callers map schools sharing a
    site to its cell. Used for attendance estimates, map areas and report images alike.
    """
    if len(sites) == 1:
        return np.array([clip])
    diagram = shapely.voronoi_polygons(shapely.multipoints(sites), extend_to=clip, ordered=True)
    return shapely.intersection(shapely.get_parts(diagram), clip)
