"""Comparing two plans of one district: scorecard deltas and the schools that move.

B's portfolios are matched one-to-one to A's by most shared schools (the assignment
problem, as METRICS.md's `moved`), so a renamed but otherwise unchanged portfolio moves
no school; a school moves when its B portfolio is not the partner of its A portfolio.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment

from feeder.plan import Plan

COMPARED = (
    "n_portfolios",
    "cohesion",
    "split_schools",
    "contiguous",
    "k12_complete",
    "mean_km",
    "max_km",
    "enrollment_cv",
    "need_cv",
    "in_region",
    "moved",
)


@dataclass(frozen=True, kw_only=True)
class Comparison:
    """Two plans' scorecards, the matching of B's portfolios to A's, and the moved schools."""

    card_a: dict[str, Any]
    card_b: dict[str, Any]
    partner: dict[str, str | None]
    moved: pd.DataFrame

    def deltas(self) -> dict[str, float | None]:
        """B minus A for each numeric metric both scorecards have."""
        found: dict[str, float | None] = {}
        for key in COMPARED:
            a, b = self.card_a.get(key), self.card_b.get(key)
            found[key] = None if a is None or b is None else float(b) - float(a)
        return found

    def as_dict(self, name_a: str, name_b: str) -> dict[str, Any]:
        """compare.json: both scorecards, the deltas, the matching and the moved schools."""
        return {
            "a": {"plan": name_a, "scorecard": self.card_a},
            "b": {"plan": name_b, "scorecard": self.card_b},
            "deltas": self.deltas(),
            "b_continues_a": self.partner,
            "n_moved": len(self.moved),
            "moved": self.moved.to_dict(orient="records"),
        }


def compare(a: Plan, b: Plan) -> Comparison:
    """Score both plans and list what moves from A to B."""
    partner = matching(a.labels, b.labels)
    return Comparison(card_a=a.score(), card_b=b.score(), partner=partner, moved=moved_schools(a, b, partner))


def matching(a: np.ndarray, b: np.ndarray) -> dict[str, str | None]:
    """B portfolio → the A portfolio it is matched to (None when B has more portfolios than A)."""
    a_names, a_index = np.unique(a, return_inverse=True)
    b_names, b_index = np.unique(b, return_inverse=True)
    shared = np.zeros((len(b_names), len(a_names)))
    np.add.at(shared, (b_index, a_index), 1)
    rows, cols = linear_sum_assignment(shared, maximize=True)
    partner: dict[str, str | None] = {str(name): None for name in b_names}
    partner.update({str(b_names[r]): str(a_names[c]) for r, c in zip(rows, cols, strict=True)})
    return partner


def moved_schools(a: Plan, b: Plan, partner: dict[str, str | None]) -> pd.DataFrame:
    """school_id, name, from (A's portfolio), to (B's) and to_continues (the A portfolio that B's
    continues, empty for a new one) for every school whose portfolio changed: B's names can be
    A's names for other places ("Briar Woods HS → Briar Woods HS" read as no move)."""
    schools = a.district.schools
    continues = np.array([partner[label] for label in b.labels], dtype=object)
    changed = continues != a.labels
    return pd.DataFrame(
        {
            "school_id": schools["school_id"].to_numpy(dtype=object)[changed],
            "name": schools["name"].to_numpy(dtype=object)[changed],
            "from": a.labels[changed],
            "to": b.labels[changed],
            "to_continues": [name or "" for name in continues[changed]],
        }
    )


def destination(to: str, continues: str) -> str:
    """B's portfolio as a reader of A's names must see it: 'Briar Woods HS (continues Woodgrove HS)'
    where B calls another place by an A name, '(new)' where it continues none."""
    if not continues:
        return f"{to} (new)"
    return to if continues == to else f"{to} (continues {continues})"
