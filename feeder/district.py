"""District: the validated school and flow tables every other module starts from.

`load_district` is the only door in. It accepts what real exports look like (BOM or
cp1252 CSVs, stray spaces, point files in any CRS) and refuses bad data with one line
naming file, row and column, so nothing downstream has to re-check its input.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from feeder.errors import FeederError
from feeder.geo import delaunay_edges, local_km
from feeder.infer import infer_flows
from feeder.io.flows import all_leaving_note, read_flows
from feeder.io.schools import (
    OUTSIDE,
    SCHOOL_FILES,
    closed_schools,
    highest_grade_note,
    missing_schools,
    name_unnamed,
    read_schools,
    shared_names,
    unenrolled,
)
from feeder.io.tables import present, workbook_instead
from feeder.sites import lost_minus_sign, outlying_sites
from feeder.spec import DEFAULT_MIN_CELL

PROVENANCE = "provenance.txt"  # optional: one paragraph every output can repeat


@dataclass(frozen=True)
class District:
    """A district's schools (one row each, file order kept) and student flows.

    schools: GeoDataFrame in EPSG:4326 with at least school_id, name, level, grade_lo,
        grade_hi (nullable Int64; level defaults filled in, a span without grades stays
        missing), lat, lon, enrollment, capacity, need_index (float, NaN when absent),
        region, portfolio, programs, principal (str, "" when absent), plus any extra columns.
    flows: from_id, to_id, students (float > 0, per year); repeated pairs summed; only district
        schools, and `OUT` as a destination (for students leaving to schools outside it too).
    """

    schools: gpd.GeoDataFrame
    flows: pd.DataFrame
    path: Path
    # or enrollment records, assignments, boundaries, sites (rough estimate): inferred here, or by
    # `feeder infer` into a flows.csv whose first line says so
    flows_source: str = "flows.csv"
    warnings: list[str] = field(default_factory=list)
    provenance: str = ""  # the folder's provenance.txt: which data are real, which estimated
    min_cell: int = DEFAULT_MIN_CELL  # publication rule for counts from student records (feeder.privacy)

    @property
    def name(self) -> str:
        return self.path.resolve().name

    @property
    def ids(self) -> list[str]:
        return self.schools["school_id"].tolist()

    @property
    def has_regions(self) -> bool:
        return bool((self.schools["region"] != "").any())

    @property
    def has_current_plan(self) -> bool:
        return bool((self.schools["portfolio"] != "").all())

    def internal_flows(self) -> pd.DataFrame:
        """Flows whose two ends are district schools (the ones cohesion counts)."""
        return self.flows[self.flows["to_id"] != OUTSIDE].reset_index(drop=True)

    # Derived structures, computed once per district and shared by metrics, design and maps.

    @cached_property
    def schools_table_warnings(self) -> list[str]:
        """The warnings about the schools table (its file's own lines and the likely wrong geocodes):
        the ones that say nothing of student records (feeder.privacy.data_notes)."""
        table = next((name for name in SCHOOL_FILES if present(self.path / name)), "")
        about_sites = set(outlying_sites(self.schools))
        return [
            warning
            for warning in self.warnings
            if warning in about_sites or (table and warning.startswith(f"{table}: "))
        ]

    @cached_property
    def adjacency(self) -> np.ndarray:
        """Delaunay neighbours (METRICS.md `contiguous`) as sorted position pairs, shape (E, 2)."""
        edges = sorted(delaunay_edges(self.schools["lat"], self.schools["lon"]))
        return np.array(edges, dtype=int).reshape(-1, 2)

    @cached_property
    def flow_positions(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(sender position, receiver position, students) of the flows between district schools."""
        flows = self.internal_flows()
        position = pd.Series(np.arange(len(self.schools)), index=self.schools["school_id"])
        return (
            position.loc[flows["from_id"]].to_numpy(),
            position.loc[flows["to_id"]].to_numpy(),
            flows["students"].to_numpy(dtype=float),
        )

    @cached_property
    def positions_km(self) -> np.ndarray:
        """School sites in a local planar frame (km, centred on the district), shape (n, 2)."""
        return local_km(self.schools["lat"].to_numpy(dtype=float), self.schools["lon"].to_numpy(dtype=float))


def load_district(path: str | Path) -> District:
    """Load and validate a district folder (FORMAT.md)."""
    folder = Path(path)
    if not folder.is_dir():
        raise FeederError(f"{folder}: not a district folder (expected a folder holding schools.csv)")
    schools_path = next((folder / n for n in SCHOOL_FILES if present(folder / n)), None)
    if schools_path is None:
        raise missing_schools(folder)
    warnings: list[str] = []
    schools = read_schools(schools_path, warnings=warnings)
    warnings += name_unnamed(schools) + outlying_sites(schools) + unenrolled(schools, schools_path.name)
    warnings += school_notes(schools, schools_path.name)
    flows_path = folder / "flows.csv"
    if present(flows_path):
        flows, source = read_flows(flows_path, schools, warnings)
    elif (workbook := workbook_instead(folder, flows_path.name)) is not None:
        raise workbook
    else:
        inferred = infer_flows(folder, schools, warnings)
        flows, source = inferred.flows, inferred.source
    if len(flows) and (flows["to_id"] == OUTSIDE).all():
        warnings.append(f"{source}: {all_leaving_note()}")
    provenance_path = folder / PROVENANCE
    provenance = provenance_path.read_text(encoding="utf-8").strip() if provenance_path.exists() else ""
    return District(
        schools=schools,
        flows=flows,
        path=folder,
        flows_source=source,
        warnings=warnings,
        provenance=provenance,
    )


def school_notes(schools: gpd.GeoDataFrame, file: str) -> list[str]:
    """Warnings on the schools table as a whole that `feeder check` gives too: a lost minus sign,
    shared names (tables and maps could not tell those schools apart), closed schools, no
    high-school grades."""
    closed = closed_schools(schools)
    names = shared_names(schools)
    notes = [
        lost_minus_sign(schools),
        None if names is None else f"column 'name': {names}",
        None if closed is None else f"column '{closed[0]}': {closed[1]}",
        highest_grade_note(schools["grade_hi"]),
    ]
    return [f"{file}: {note}" for note in notes if note is not None]
