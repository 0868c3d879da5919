"""The map key, drawn over the map's lower right corner so it reads without scrolling at 1280x720.

It explains every symbol and line the page draws, with a scale for flow width in students, and
points to the data notes (the district's load warnings) that the side panel lists.
"""

from __future__ import annotations

import math

import numpy as np

from feeder.maps.features import LEVEL_NAMES, esc
from feeder.maps.model import WEIGHT, MapModel
from feeder.maps.symbols import (
    CHECK,
    GREY,
    LOCKED_COLOUR,
    LOCKED_DASH,
    ORANGE,
    PURPLE,
    REGION,
    ring,
    stroke,
    symbol,
)
from feeder.privacy import data_notes, privacy_of
from feeder.words import counted

LEVELS = ("elementary", "middle", "high", "span")
NOTE_MARK = '<b style="color:#b35900;width:18px;text-align:center">!</b>'


def map_key(model: MapModel, *, shown: np.ndarray | None = None, editor: bool = False) -> str:
    """Symbols, the flow-width scale and line styles; levels and layers only when the page has them.

    shown: mask over model.schools of the schools the page draws (default: all). editor: the page
    edits the plan, so a school may be drawn locked (the entry shows while one is: edit-ui.js).
    """
    drawn = model.schools if shown is None else model.schools[shown]
    present = set(model.schools["level"])
    entries = [
        (symbol(level, "#9a9a9a"), f"{LEVEL_NAMES[level]} school") for level in LEVELS if level in present
    ]
    entries += [
        ("", "Size: enrollment; fill: portfolio colour"),
        (ring(), "Meeting site (least total distance)"),
        (
            symbol("elementary", "#9a9a9a", stroke=ORANGE, width=3),
            "Split school: sends >10 % of its students to other portfolios",
        ),
    ]
    entries += [(stroke(GREY, width), f"Flow of {value:,} students") for value, width in flow_scale(model)]
    entries.append((stroke(ORANGE, 3, "8 5"), "Flow crossing a portfolio line"))
    if not model.broken.empty:
        entries.append((stroke(PURPLE, 3, "2 6"), "Broken program pathway"))
    if not model.regions.empty:
        entries.append((stroke(REGION, 3), "Region boundary"))
    if (drawn["check"] != "").any():
        entries.append(
            (ring(CHECK, 2.5, ""), "School far from the other schools: check its site (data notes)")
        )
    notes = data_notes(model.plan.district)
    if notes:
        entries.append(
            (NOTE_MARK, f"{counted(len(notes), 'data note')} on the input, listed in the side panel")
        )
    items = "".join(
        f'<li class="feeder-legend-key">{glyph}<span>{text}</span></li>' for glyph, text in entries
    )
    if editor:
        items += locked_entry(model)
    return f'<div class="feeder-map-key"><b>Map key</b><ul class="feeder-key">{items}</ul></div>'


def locked_entry(model: MapModel) -> str:
    """The editor's locked school, hidden while none is (the plan's spec may lock some at once)."""
    hidden = "" if model.plan.spec.locks else " hidden"
    glyph = symbol("elementary", "#9a9a9a", stroke=LOCKED_COLOUR, width=2, dash=LOCKED_DASH)
    text = "Locked school: stays in its portfolio when you move schools or re-design"
    return f'<li class="feeder-legend-key feeder-key-locked"{hidden}>{glyph}<span>{text}</span></li>'


def flow_scale(model: MapModel) -> list[tuple[int, float]]:
    """Up to three round student counts and the line width (px) the map gives each, largest first.

    Widths follow model.scaled: thinnest + growth * sqrt(students / largest flow). When flows come
    from student records no example is a count the privacy rule would hide ("Flow of 2 students").
    """
    students = model.flows["drawn"].to_numpy(dtype=float)
    top = float(students.max()) if len(students) else 0.0
    if top <= 0:
        return []
    privacy = privacy_of(model.plan.district)
    least = max(privacy.min_cell, 1) if privacy.active else 1
    values = sorted({round_down(top / share) for share in (1, 5, 25)} - {0}, reverse=True)
    values = [value for value in values if value >= least]
    low, span = WEIGHT
    return [(value, round(low + span * math.sqrt(value / top), 1)) for value in values]


def round_down(value: float) -> int:
    """The largest 1, 2 or 5 * 10^k not above value (0 below 1)."""
    if value < 1:
        return 0
    power = 10 ** int(np.floor(np.log10(value)))
    return max(step * power for step in (1, 2, 5) if step * power <= value)


def data_notes_section(model: MapModel) -> str:
    """The side panel's "Data notes": what loading the district warned of (a school geocoded 19 km
    from its neighbours, schools without enrollment, estimated flows), so whoever reads the map sees
    what only the terminal said; empty when there is nothing to note."""
    notes = data_notes(model.plan.district)
    if not notes:
        return ""
    items = "".join(f"<li>{esc(note)}</li>" for note in notes)
    return f'<h2>Data notes</h2><ul class="feeder-note feeder-data-notes">{items}</ul>'
