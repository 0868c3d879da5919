"""What the exact solver returns: the bound, the best plan found, its gap and a status."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from feeder import metrics
from feeder.district import District
from feeder.exact.problem import FlowProblem, loss, tolerance


@dataclass(frozen=True)
class ExactResult:
    """A proven cohesion upper bound and the best plan found on the way.

    bound: no plan with every portfolio in range (and in one region, when asked) has a higher
        cohesion; None when the district has no flows. labels: the best plan found, aligned with
        district.schools; cohesion: its cohesion; gap: bound minus cohesion. status: "optimal"
        (gap closed), "time limit" (stopped by the time limit), "not proven" (finished early: the
        relaxation's pieces do not pack into portfolios and the district is too large for the
        full MIP) or "no flows"; seconds: wall time.
    """

    bound: float | None
    labels: np.ndarray
    cohesion: float | None
    status: str
    gap: float | None
    seconds: float


def result(
    district: District, problem: FlowProblem, best: np.ndarray, floor: float, open_status: str, seconds: float
) -> ExactResult:
    """Turn the best plan and the floor on loss into cohesion, bound, gap and status (open_status if a gap is left)."""
    labels = portfolio_names(best)
    if problem.total == 0:
        return ExactResult(None, labels, None, "no flows", None, seconds)
    cohesion = metrics.cohesion(district, labels)
    assert cohesion is not None
    if loss(problem, best) - floor <= tolerance(problem):
        return ExactResult(cohesion, labels, cohesion, "optimal", 0.0, seconds)
    bound = min(max(1.0 - (problem.lost + floor) / problem.total, cohesion), 1.0)
    return ExactResult(bound, labels, cohesion, open_status, bound - cohesion, seconds)


def portfolio_names(portfolio: np.ndarray) -> np.ndarray:
    """Name portfolios P01, P02, ... in the order their first school appears in schools.csv."""
    _, first, inverse = np.unique(portfolio, return_index=True, return_inverse=True)
    rank = np.empty(len(first), dtype=int)
    rank[np.argsort(first)] = np.arange(len(first))
    width = max(2, len(str(len(first))))
    return np.array([f"P{r + 1:0{width}d}" for r in rank[inverse]], dtype=object)
