"""The map's symbols, shared by the page script (school markers) and the legend's inline SVG.

One definition of the corner lists keeps the legend identical to what the map draws.
"""

from __future__ import annotations

import json
import math

ORANGE, PURPLE, GREY, REGION = "#D55E00", "#AA3377", "#3b3b3b", "#222222"
CHECK = "#D10000"  # the ring around a school whose site the load warnings doubt


def star(points: int, outer: float, inner: float) -> list[tuple[float, float]]:
    """Corners of a star, alternating outer and inner radius, first point up."""
    corners = []
    for i in range(2 * points):
        angle = math.pi * i / points - math.pi / 2
        radius = inner if i % 2 else outer
        corners.append((round(radius * math.cos(angle), 3), round(radius * math.sin(angle), 3)))
    return corners


# Corners in units of the marker radius; elementary schools are circles.
SYMBOLS = {
    "middle": [(0, -1.25), (1.25, 0), (0, 1.25), (-1.25, 0)],
    "high": [(0, -1.35), (1.2, 0.75), (-1.2, 0.75)],
    "span": star(5, 1.4, 0.6),
}


# A locked school's outline in the editor: black, dashed. Butt ends keep the gaps open (round ends,
# Leaflet's default, closed gaps narrower than the line and the ring read solid).
LOCKED_COLOUR, LOCKED_DASH = "#000000", "4 3"
LOCKED = {"color": LOCKED_COLOUR, "weight": 2.5, "dashArray": LOCKED_DASH, "lineCap": "butt"}
COLOURS = {
    "split": ORANGE,
    "crossing": ORANGE,
    "flow": GREY,
    "broken": PURPLE,
    "region": REGION,
    "check": CHECK,
}


def symbols_script() -> str:
    """The corner lists, line colours and lock outline as the globals the page scripts read."""
    symbols = json.dumps(SYMBOLS, separators=(",", ":"))
    colours = json.dumps(COLOURS, separators=(",", ":"))
    locked = json.dumps(LOCKED, separators=(",", ":"))
    return f"var FEEDER_SYMBOLS = {symbols};\nvar FEEDER_COLOURS = {colours};\nvar FEEDER_LOCKED = {locked};"


def swatch(colour: str) -> str:
    return f'<span class="feeder-swatch" style="background:{colour}"></span>'


def symbol(level: str, colour: str, *, stroke: str = "#222", width: float = 1.0, dash: str = "") -> str:
    """The level's map symbol as inline SVG, for the legend and member table."""
    size, r = 18, 5.5
    paint = f'fill="{colour}" stroke="{stroke}" stroke-width="{width}"{dashes(dash)}'
    if level not in SYMBOLS:
        shape = f'<circle cx="9" cy="9" r="{r}" {paint}/>'
    else:
        corners = " ".join(f"{9 + x * r:.1f},{9 + y * r:.1f}" for x, y in SYMBOLS[level])
        shape = f'<polygon points="{corners}" {paint}/>'
    return f'<svg width="{size}" height="{size}" viewBox="0 0 {size} {size}">{shape}</svg>'


def ring(colour: str = "#111", width: float = 2, dash: str = "3 2") -> str:
    """A ring around a school: its meeting site (dashed black) or a site to check (red)."""
    return (
        '<svg width="18" height="18" viewBox="0 0 18 18"><circle cx="9" cy="9" r="7" fill="none" '
        f'stroke="{colour}" stroke-width="{width}"{dashes(dash)}/></svg>'
    )


def stroke(colour: str, width: float, dash: str = "") -> str:
    return (
        f'<svg width="18" height="18" viewBox="0 0 18 18"><line x1="0" y1="9" x2="18" y2="9" '
        f'stroke="{colour}" stroke-width="{width}"{dashes(dash)}/></svg>'
    )


def dashes(dash: str) -> str:
    return f' stroke-dasharray="{dash}"' if dash else ""
