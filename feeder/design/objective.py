"""The design objective: a score per portfolio, summed over portfolios; higher is better.

For portfolio p of a block (a region, or the whole district) holding k portfolios:

    f(p) =  I_p / T                                  cohesion: students (+ flow_weights) on
                                                     flows inside p over all internal students
          - w_k12  * [p lacks a school serving grade 3, 7 or 10]
          - w_compact * SSE_p / SSE_0                squared km from p's schools to p's centroid,
                                                     over the same for the whole district
          - w_enrollment * k * E_p^2 / E^2           summed: CV^2 + 1 of enrollment per portfolio
          - w_need * (m_p - m)^2 / (k * s^2)         summed: variance of the enrollment-weighted
                                                     mean need per portfolio over the schools'
          - w_stability * moved_p / n                schools of p not from p's matched current
                                                     portfolio, over all schools

Weights (recorded in the scorecard under options.objective) make it lexicographic-ish:

1. cohesion, weight 1;
2. K-12 completeness: an incomplete portfolio costs as much as losing half the flows of an
   average portfolio (w_k12 = 0.5 / k_min, k_min = ceil(n / max_size));
3. compactness, w_compact = 0.001: a tie-breaker between plans that keep the same students
   together. The restarts' search first climbs the objective with w_compact = 0.1 (guiding
   weights: every move changes it a little, which leads the search) and then the true one, so
   no student is traded for a shorter distance (measured, seeds 0-2: zone-derived 92 schools
   0.9073 -> 0.9186, the plan the exact mode found, at 4.1 instead of 3.2 mean km; no
   district of 12 measured lost cohesion);
4. balance, w_enrollment = w_need = 0.001: tie-breakers; `--balance W` adds W to
   w_enrollment, so an enrollment CV of 0.3 costs about 9 W points of cohesion;
5. stability W (default 0): moving 1 % of the schools costs W points (W/100) of cohesion.

T, SSE_0 and n are district-wide, so blocks are solved independently on one scale; E,
m and s (enrollment total, mean need, need variance) are the block's own. The squared-
distance and variance forms stand in for the scorecard's mean km to the medoid and CVs
because they update in O(1) when one school moves.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from feeder.spec import DesignSpec

# Per-school columns summed per portfolio; HIGH (high schools) only feeds --max-high-schools.
# Lock indicator columns (one per lock name) follow the N_COLUMNS base columns (limits.py).
COUNT, ENROLLMENT, NEED_WEIGHT, NEED_SUM, X, Y, R2, G3, G7, G10, HIGH = range(11)
N_COLUMNS = 11
COMPACTNESS = 0.001
GUIDE_COMPACTNESS = 0.1
BALANCE = 0.001
K12_SHARE = 0.5


@dataclass(frozen=True)
class Weights:
    """Weights of the objective terms (cohesion has weight 1)."""

    k12: float
    compactness: float = COMPACTNESS
    enrollment: float = BALANCE
    need: float = BALANCE
    stability: float = 0.0

    @classmethod
    def for_district(cls, n_schools: int, spec: DesignSpec) -> Weights:
        """The spec's weights; the K-12 penalty scales with the fewest portfolios possible."""
        return cls(
            k12=K12_SHARE / max(1, math.ceil(n_schools / spec.max_size)),
            enrollment=BALANCE + spec.balance,
            stability=spec.stability,
        )

    def guiding(self) -> Weights:
        """The weights the restarts' search climbs before it settles on these: compactness at
        GUIDE_COMPACTNESS smooths the landscape (a school's move changes it a little even when
        no flow changes), which leads the search to better plans of the true objective."""
        return replace(self, compactness=max(self.compactness, GUIDE_COMPACTNESS))

    def as_options(self) -> dict[str, Any]:
        """The weights as they appear in the scorecard options."""
        return {
            "cohesion": 1.0,
            "k12_incomplete_portfolio": self.k12,
            "compactness_sse_share": self.compactness,
            "enrollment_cv2": self.enrollment,
            "need_variance_share": self.need,
            "moved_share": self.stability,
        }


@dataclass(frozen=True)
class Scale:
    """Normalisers: district-wide for flows, distances and moves, block-wide for balance."""

    total_flow: float
    spread: float
    n_schools: int
    enrollment: float
    need_mean: float
    need_variance: float


def part_scores(
    stats: np.ndarray, internal: np.ndarray, home: np.ndarray, k: int, weights: Weights, scale: Scale
) -> np.ndarray:
    """f(p) for each row of `stats` (column sums over members), vectorised.

    internal: flow inside each part; home: members coming from the part's matched current
    portfolio (ignored unless stability > 0).
    """
    score = internal / scale.total_flow
    score -= weights.k12 * (stats[:, G3 : G10 + 1].min(axis=1) == 0)
    sse = stats[:, R2] - (stats[:, X] ** 2 + stats[:, Y] ** 2) / np.maximum(stats[:, COUNT], 1.0)
    score -= (weights.compactness / scale.spread) * np.maximum(sse, 0.0)
    if scale.enrollment > 0:
        score -= (weights.enrollment * k / scale.enrollment**2) * stats[:, ENROLLMENT] ** 2
    if scale.need_variance > 0:
        weight = stats[:, NEED_WEIGHT]
        has_need = weight > 0
        gap = np.where(has_need, stats[:, NEED_SUM] / np.where(has_need, weight, 1.0) - scale.need_mean, 0.0)
        score -= (weights.need / (k * scale.need_variance)) * gap**2
    if weights.stability > 0:
        score -= (weights.stability / scale.n_schools) * (stats[:, COUNT] - home)
    return score
