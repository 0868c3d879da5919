"""The one door through which a student count from flows reaches a page.

Flows may come from student records; a privacy rule (e.g. counts 1-9 shown as "<10")
belongs here, so every flow count written into a map, visible or embedded, passes it.
"""

from __future__ import annotations


def published_count(students: float) -> float:
    """A flow's student count as a page may show it (today: unchanged)."""
    return float(students)
