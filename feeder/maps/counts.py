"""The one door through which a student count from flows reaches a page.

Flows may come from student records; the privacy rule (feeder.privacy: counts 1-9 shown as "<10",
the rest rounded) is applied here, so every flow count written into a map, visible or embedded,
passes it.
"""

from __future__ import annotations

from feeder.privacy import Privacy, Published


def published_count(students: float, *, privacy: Privacy) -> Published:
    """A flow's student count as a page may show it: a number, or "<10" when suppressed."""
    shown = privacy.published(students)
    return shown if isinstance(shown, str) else round(shown, 2)


def count_text(students: float, *, privacy: Privacy) -> str:
    """A count (a flow or a school's total) as a popup's text: "1,230", or "<10" when suppressed."""
    return privacy.text(students)


def scored_count(students: float, *, privacy: Privacy) -> float:
    """A count the page's live scorecard may add up: a suppressed one stands in as min_cell / 2.

    The embedded data then hold no small count, and the live cohesion is approximate (the page says so).
    """
    shown = privacy.published(students)
    return privacy.min_cell / 2 if isinstance(shown, str) else round(shown, 2)
