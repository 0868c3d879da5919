"""Which portfolio counts each block can take, and why a setting is impossible.

The counting rules themselves live on DesignSpec; this module applies them to the
design's blocks (the whole district, or each region, or each separate area of a region).
"""

from __future__ import annotations

import math

import numpy as np
from scipy import sparse
from scipy.sparse.csgraph import shortest_path

from feeder.constraints import enrollment, high_schools
from feeder.design.limits import SLACK
from feeder.district import District
from feeder.errors import InfeasibleError, OptionError
from feeder.spec import ACROSS_REGIONS, DesignSpec


def check_block(spec: DesignSpec, region: str, n: int, areas: int) -> None:
    """Refuse a region (or one separate area of it) that cannot hold portfolios in range."""
    if spec.fits(n):
        return
    if areas > 1:
        raise InfeasibleError(
            f"region {region} lies in {areas} separate areas between other regions' schools and one has "
            f"{n} schools; contiguous portfolios of {spec.min_size}-{spec.max_size} are impossible there "
            f"(use --no-contiguous, {spec.size_fix(n)} or merge regions)"
        )
    spec.check_fits(n, where=f"region {region}", other_fix="merge regions")


def check_locks(spec: DesignSpec, district: District, blocks: list[tuple[str, np.ndarray]]) -> None:
    """Refuse locks no plan can keep: unknown schools, a group too big for a portfolio,
    spread over two regions (or separate areas of one), or too far apart on the map."""
    position = {school: index for index, school in enumerate(district.ids)}
    block_of = np.empty(len(position), dtype=int)
    for index, (_, members) in enumerate(blocks):
        block_of[members] = index
    for name, schools in spec.lock_groups().items():
        unknown = [school for school in schools if school not in position]
        if unknown:
            raise OptionError(f"--lock: school '{unknown[0]}' (lock {name}) is not a school of the district")
        if len(schools) > spec.max_size:
            raise InfeasibleError(
                f"lock {name} holds {len(schools)} schools, more than --max-size {spec.max_size} "
                f"(raise --max-size to {len(schools)} or lock fewer schools)"
            )
        members = np.array([position[school] for school in schools])
        areas = sorted(set(block_of[members].tolist()))
        if len(areas) > 1:
            first, second = (blocks[a][0] for a in areas[:2])
            where = (
                f"regions {first} and {second}"
                if first != second
                else f"separate areas of region {first} (between other regions' schools)"
            )
            raise InfeasibleError(
                f"lock {name} spans {where}, so with --within-region no portfolio can hold it "
                f"(lock schools of one region or {ACROSS_REGIONS})"
            )
        if spec.contiguous:
            check_reach(spec, district, name, schools, members)


def check_reach(
    spec: DesignSpec, district: District, name: str, schools: list[str], members: np.ndarray
) -> None:
    """A contiguous portfolio holding two locked schools holds a path between them: refuse
    a group whose schools are more than --max-size schools apart on the Delaunay graph."""
    if len(members) < 2:
        return
    n = len(district.ids)
    edges = district.adjacency
    graph = sparse.coo_matrix((np.ones(len(edges)), (edges[:, 0], edges[:, 1])), shape=(n, n))
    hops = shortest_path(graph, directed=False, unweighted=True, indices=members)[:, members]
    i, j = np.unravel_index(int(np.argmax(hops)), hops.shape)
    if hops[i, j] + 1 > spec.max_size:
        apart = "not connected" if np.isinf(hops[i, j]) else f"{int(hops[i, j]) + 1} schools apart"
        raise InfeasibleError(
            f"lock {name}: schools {schools[i]} and {schools[j]} are {apart} on the map, more than one "
            f"contiguous portfolio of at most --max-size {spec.max_size} can span (lock nearer schools, "
            "raise --max-size or use --no-contiguous)"
        )


def check_caps(spec: DesignSpec, district: District, block: str, members: np.ndarray, most: int) -> None:
    """Refuse caps no plan of a block (at most `most` portfolios) can meet: one school or one
    lock group above a cap, or more students / high schools than `most` portfolios may hold."""
    where = f"region {block}" if block else "the district"
    ids = np.asarray(district.ids, dtype=object)
    for flag, cap, values, word in (
        ("--max-enrollment", spec.max_enrollment, enrollment(district), "students"),
        ("--max-high-schools", spec.max_high_schools, high_schools(district), "high schools"),
    ):
        if cap is None:
            continue
        inside = values[members]
        top = int(np.argmax(inside))
        groups = {
            name: float(values[[district.ids.index(school) for school in schools]].sum())
            for name, schools in spec.lock_groups().items()
        }
        total = float(inside.sum())
        # every bound a plan needs at once: one value the planner can try, not one per refusal
        least = max([float(inside[top]), *groups.values(), math.ceil(total / most - SLACK)])
        raise_to = f"raise {flag} to at least {least:g}"
        if inside[top] > cap + SLACK:
            raise InfeasibleError(
                f"school {ids[members][top]} alone has {inside[top]:g} {word}, above {flag} {cap:g} ({raise_to})"
            )
        for name, held in groups.items():
            if held > cap + SLACK:
                raise InfeasibleError(
                    f"lock {name} holds {held:g} {word}, above {flag} {cap:g} ({raise_to} or lock fewer schools)"
                )
        if total > most * cap + SLACK:
            raise InfeasibleError(
                f"{where} has {total:g} {word}; at most {most} portfolios of {spec.min_size}+ schools "
                f"hold at most {most * cap:g} at {flag} {cap:g} ({raise_to} or lower --min-size)"
            )


def check_lock_count(
    spec: DesignSpec, district: District, block: str, members: np.ndarray, most: int
) -> None:
    """Refuse more lock names in a block than it can have portfolios (each name needs its own)."""
    inside = set(np.asarray(district.ids, dtype=object)[members].tolist())
    names = [name for name, schools in spec.lock_groups().items() if schools[0] in inside]
    if len(names) > most:
        where = f"region {block}" if block else "the district"
        limit = f"--k {spec.k}" if spec.k is not None else f"--min-size {spec.min_size}"
        raise InfeasibleError(
            f"{len(names)} lock names in {where} need {len(names)} portfolios, but {limit} allows at most "
            f"{most} there (use fewer lock names or change {limit.split()[0]})"
        )
