"""Plan: a portfolio for every school of a district, and its scorecard.

Every metric, map and report is a function of a Plan, so today's plan (the
`portfolio` column), a designed plan and a hand-drawn one are scored the same way.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from feeder import metrics
from feeder.district import District
from feeder.errors import FeederError, InternalError, at
from feeder.idmatch import restore_leading_zeros
from feeder.tables import read_text_table, require_columns
from feeder.tables_out import portfolios_table, table_csv

DEFAULT_MIN_SIZE = 12
DEFAULT_MAX_SIZE = 24


@dataclass(frozen=True)
class Plan:
    """An assignment of every school (in district order) to a named portfolio.

    `options` records how the plan was made (design options, seed, cohesion_bound, ...)
    and is copied into the scorecard.
    """

    district: District
    labels: np.ndarray
    min_size: int = DEFAULT_MIN_SIZE
    max_size: int = DEFAULT_MAX_SIZE
    options: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # Portfolio names are text everywhere (files, maps, metrics); 3 and "3" are one portfolio.
        object.__setattr__(self, "labels", np.asarray(self.labels).astype(str).astype(object))
        if len(self.labels) != len(self.district.schools):
            raise InternalError(
                f"a plan of {len(self.labels)} schools for a district of {len(self.district.schools)}"
            )

    @classmethod
    def current(cls, district: District, **sizes: int) -> Plan:
        """Today's plan from the `portfolio` column; refused when any school lacks one."""
        column = district.schools["portfolio"]
        if (column == "").all():
            raise FeederError(
                f"{district.name}: schools.csv has no 'portfolio' column, so there is no current plan "
                "to score; pass one with --plan PORTFOLIOS_CSV"
            )
        if (column == "").any():
            row = int((column == "").to_numpy().argmax())
            raise FeederError(
                f"schools.csv, row {row + 2}, column 'portfolio': school "
                f"'{district.schools['school_id'].iloc[row]}' has no portfolio; give every school one"
            )
        return cls(district, column.to_numpy(dtype=object), options={"plan": "current"}, **sizes)

    @classmethod
    def from_csv(cls, district: District, path: Path, **sizes: int) -> Plan:
        """Read a `school_id,portfolio` CSV (other columns ignored); every district school exactly once.

        Ids that lost their leading zeros are matched back with a warning (feeder.idmatch).
        """
        table = read_text_table(Path(path))
        require_columns(table, Path(path), ("school_id", "portfolio"))
        table["school_id"], restored = restore_leading_zeros(
            table["school_id"], district.ids, path=Path(path)
        )
        if restored:
            district.warnings.append(
                f"{Path(path).name}: {restored} school id(s) had lost their leading zeros (as a spreadsheet "
                "does) and were matched to the district's ids"
            )
        for column, bad, message in (
            ("school_id", table["school_id"].duplicated(), "appears twice"),
            ("portfolio", table["portfolio"] == "", "has no portfolio"),
        ):
            if bad.any():
                row = int(bad.to_numpy().argmax())
                raise at(
                    path, f"school '{table['school_id'].iloc[row]}' {message}", row=row + 2, column=column
                )
        missing = [school for school in district.ids if school not in set(table["school_id"])]
        if missing:
            raise at(
                path,
                f"{len(missing)} school(s) of the district have no portfolio: {', '.join(missing[:5])}"
                + (" ..." if len(missing) > 5 else ""),
                column="school_id",
            )
        labels = table.set_index("school_id").loc[district.ids, "portfolio"].to_numpy(dtype=object)
        return cls(district, labels, options={"plan": Path(path).name}, **sizes)

    @property
    def assignment(self) -> pd.Series:
        """school_id → portfolio."""
        return pd.Series(self.labels, index=self.district.schools["school_id"], name="portfolio")

    def portfolios(self) -> dict[str, list[str]]:
        """Portfolio name → member school ids in schools.csv order."""
        ids = self.district.schools["school_id"].to_numpy()
        return {name: ids[members].tolist() for name, members in metrics.groups(self.labels).items()}

    def sizes(self) -> dict[str, int]:
        return {name: len(members) for name, members in metrics.groups(self.labels).items()}

    def medoids(self) -> dict[str, str]:
        """Portfolio → the school id of its meeting site (METRICS.md medoid)."""
        ids = self.district.schools["school_id"].to_numpy()
        return {name: str(ids[i]) for name, i in metrics.medoids(self.district, self.labels).items()}

    def score(self) -> dict[str, Any]:
        """The scorecard: every METRICS.md metric plus the sizes and options used."""
        district, labels = self.district, self.labels
        sizes = np.array(list(self.sizes().values()))
        distance = metrics.distances_to_medoid(district, labels)
        card: dict[str, Any] = {
            "n_schools": len(labels),
            "n_portfolios": len(sizes),
            "min_size": self.min_size,
            "max_size": self.max_size,
            "size_ok": bool(((sizes >= self.min_size) & (sizes <= self.max_size)).all()),
            "smallest": int(sizes.min()),
            "largest": int(sizes.max()),
            "cohesion": metrics.cohesion(district, labels),
            "split_schools": metrics.split_schools(district, labels),
            "mean_km": float(distance.mean()),
            "max_km": float(distance.max()),
            "contiguous": metrics.contiguous(district, labels),
            "k12_complete": metrics.k12_complete(district, labels),
            "enrollment_cv": metrics.enrollment_cv(district, labels),
            "need_cv": metrics.need_cv(district, labels),
            "in_region": metrics.in_region(district, labels),
            "moved": metrics.moved(district, labels),
        }
        bound = self.options.get("cohesion_bound")
        if bound is not None and card["cohesion"] is not None:
            card["cohesion_bound"] = bound
            card["gap"] = max(0.0, bound - card["cohesion"])
        card["options"] = {k: v for k, v in self.options.items() if k != "cohesion_bound"}
        return card

    def to_csv(self) -> str:
        """portfolios.csv: `school_id,portfolio`, then name, level, grades, enrollment, region; schools.csv order."""
        return table_csv(portfolios_table(self))

    def to_geojson(self) -> str:
        """portfolios.geojson: one point per school with its portfolio and distance to the meeting site."""
        schools = self.district.schools
        medoid_ids = self.medoids()
        frame = schools[["school_id", "name", "level", "enrollment", "geometry"]].copy()
        frame["portfolio"] = self.labels
        frame["meeting_site"] = [medoid_ids[p] for p in self.labels]
        frame["km_to_meeting_site"] = np.round(metrics.distances_to_medoid(self.district, self.labels), 3)
        frame["enrollment"] = frame["enrollment"].astype(object).where(frame["enrollment"].notna(), None)
        return frame.to_json(drop_id=True, ensure_ascii=False) + "\n"


def scorecard_json(card: dict[str, Any]) -> str:
    """Stable, diff-friendly JSON of a scorecard (floats rounded to 1e-9)."""
    return json.dumps(rounded(card), indent=2, ensure_ascii=False) + "\n"


def rounded(value: Any) -> Any:
    """Round floats so the same plan gives byte-identical files across platforms."""
    if isinstance(value, float):
        return round(value, 9)
    if isinstance(value, dict):
        return {k: rounded(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [rounded(v) for v in value]
    if isinstance(value, np.generic):
        return rounded(value.item())
    return value
