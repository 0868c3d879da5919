"""Small counts stay private: how a student count derived from enrollment records may be published.

Flows from student records describe real children, so a published count of 1-9 students could
identify them. When a district's flows come from records, every count an output shows (a flow,
a school's students sent or leaving, a portfolio's or diagram's total) passes `Privacy.published`:

- 0 stays 0; a count below `min_cell` is shown as "<10" (f"<{min_cell}");
- every other count, a cell or a total alike, is rounded to the nearest multiple of `min_cell`.

Rounding totals and cells to the same base is what keeps a suppressed cell unrecoverable: a rounded
total minus rounded cells leaves a range at least `min_cell` wide around a multiple of `min_cell`,
which holds every value from 1 to min_cell - 1. A share of students (cohesion, a portfolio's flows
kept, the leakage share) is shown as the ratio of its two published counts: an exact share times a
published total would give the exact count back, and two plans' exact cohesions apart by one school
its exact flow (an audit recovered a flow of 3 students so). Split schools count schools, not
students, and stay exact. `min_cell` 0 turns the rule off, and flows read
from flows.csv (already aggregated by the district) are shown as given, unless its first line says
`feeder infer` wrote it from records (District.flows_source is then `enrollment records`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from feeder import metrics
from feeder.district import District
from feeder.provenance import ENROLLMENT, flows_label

Published = float | str


@dataclass(frozen=True)
class Privacy:
    """The publication rule for one district's counts: active only when flows come from records."""

    min_cell: int
    active: bool

    @property
    def hidden(self) -> str:
        """How a suppressed count reads: "<10"."""
        return f"<{self.min_cell}"

    def published(self, count: float) -> Published:
        """`count` as an output may show it: exact when inactive, else "<10" or rounded to min_cell."""
        if not self.active or count <= 0:
            return float(count)
        if count < self.min_cell:
            return self.hidden
        return float(self.min_cell * int(count / self.min_cell + 0.5))

    def rate(self, good: float, bad: float) -> float | None:
        """good ÷ (good + bad) as an output may show it: exact when inactive; else None when either
        count is suppressed (3 of 21 is 14.3 %: the rate would give the 3 away), and rounded to a
        whole percent otherwise. None too when no one is counted."""
        judged = good + bad
        if not judged:
            return None
        if not self.active:
            return good / judged
        if any(isinstance(self.published(count), str) for count in (good, bad)):
            return None
        return round(good / judged, 2)

    def share(self, part: float, whole: float) -> float | None:
        """part ÷ whole as an output may show it: exact when inactive; else the ratio of the two
        published counts, None when either is suppressed. None too when whole is 0."""
        if whole <= 0:
            return None
        if not self.active:
            return float(part / whole)
        shown = self.published(part), self.published(whole)
        if isinstance(shown[0], str) or isinstance(shown[1], str):
            return None
        return shown[0] / shown[1]

    def text(self, count: float, *, places: int = 0) -> str:
        """The published count as text: thousands separated, or "<10"."""
        shown = self.published(count)
        return shown if isinstance(shown, str) else f"{shown:,.{places}f}"

    def publish(self, document: object, *, keys: frozenset[str]) -> object:
        """A JSON-ready document with every number under one of `keys`, at any depth, published.

        A key naming a mapping (e.g. school id -> students) publishes each of its numbers.
        """
        if isinstance(document, list):
            return [self.publish(item, keys=keys) for item in document]
        if not isinstance(document, dict):
            return document
        return {
            key: self.counts(item) if key in keys else self.publish(item, keys=keys)
            for key, item in document.items()
        }

    def counts(self, value: object) -> object:
        """A count, or a mapping of counts, published; anything else unchanged."""
        if isinstance(value, dict):
            return {key: self.counts(item) for key, item in value.items()}
        if isinstance(value, int | float) and not isinstance(value, bool):
            return self.published(value)
        return value

    def note(self) -> str | None:
        """The sentence outputs carry when the rule is active, else None (no commas: CSV-safe)."""
        if not self.active:
            return None
        return (
            f"Flows come from student records: counts of 1-{self.min_cell - 1} students are shown as "
            f"{self.hidden} and every other count is rounded to the nearest {self.min_cell} "
            "so no small group can be recovered; shares of students are ratios of such counts."
        )


def privacy_of(district: District) -> Privacy:
    """The district's rule: active when its flows come from enrollment records and min_cell > 0."""
    from_records = flows_label(district) == ENROLLMENT
    return Privacy(min_cell=district.min_cell, active=from_records and district.min_cell > 0)


def shown_cohesion(district: District, labels: np.ndarray) -> float | None:
    """Cohesion as outputs show it (metrics.cohesion under the small-cell rule: Privacy.share)."""
    inside, total = metrics.cohesion_counts(district, labels)
    return privacy_of(district).share(inside, total)


def shown_share(district: District, value: float | None) -> float | None:
    """A share of all the district's flow students (a cohesion bound, a best cohesion found) as
    outputs show it: as is, or under the small-cell rule the ratio of the published counts."""
    privacy = privacy_of(district)
    if value is None or not privacy.active:
        return value
    total = float(district.flow_positions[2].sum())
    return privacy.share(value * total, total)


def with_min_cell(district: District, min_cell: int) -> District:
    """The district publishing under `min_cell` (the `--min-cell` option)."""
    return replace(district, min_cell=min_cell)


def data_notes(district: District) -> list[str]:
    """The district's load warnings (a likely wrong geocode, schools without enrollment, estimated
    flows) as shared outputs may print them, so a reader of the map or report sees what the terminal said.

    Under the small-cell rule only warnings about the schools table are published: the others describe
    the records and may quote a count of their students (3 records naming an unknown school are 3
    children), which this one place keeps out of every output.
    """
    if not privacy_of(district).active:
        return list(district.warnings)
    return district.schools_table_warnings
