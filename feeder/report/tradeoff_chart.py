"""The trade-off chart: cohesion against enrollment balance, compactness as colour, default marked.

One point per designed plan; the alternatives kept are large and labelled, the other
plans tried small and grey, so a planner sees at a glance what evening out enrollment
or shrinking distances costs in students kept together. Drawn with plotly: an
interactive page with plotly.js inlined (works offline) and a PNG through kaleido (when a Chrome runs).

Labels are annotations placed here, not plotly's text beside each marker: two plans of nearly the
same balance and cohesion printed their names on top of each other. The margins and axis ranges are
fixed, so a point's pixel position is known; each label takes the first spot around its point (then
farther out, joined by a leader line) that meets no marker, no other label and no plot edge.
"""

from __future__ import annotations

from dataclasses import dataclass

import plotly.graph_objects as go
import plotly.io as pio
from kaleido.errors import BrowserFailedError, ChromeNotFoundError

from feeder.alternatives import Alternative, TradeOffs

WIDTH, HEIGHT = 1000, 650
MARGIN = {"l": 80, "r": 150, "t": 70, "b": 150}  # room for the colour bar right and the legend below
FONT_SIZE = 12
CHAR_PX = 7.5  # a wide estimate of one character at FONT_SIZE: too wide spaces labels out, never in
LINE_PX = 18
GAP_PX = 4  # kept clear around each label
DISTANCES = (6, 26, 50, 80)  # px from a marker's edge to its label's near edge, nearest first
DIRECTIONS = ((0, 1), (0, -1), (1, 0), (-1, 0), (1, 1), (-1, 1), (1, -1), (-1, -1))  # up, down, right, ...
DIV_ID = "tradeoffs"  # fixed, so the same plans give a byte-identical page


def hover(each: Alternative) -> str:
    card = each.card
    return (
        f"<b>{each.name}</b><br>{card['n_portfolios']} portfolios, balance weight {each.balance:g}<br>"
        f"cohesion {card['cohesion']:.4f}<br>enrollment CV {card['enrollment_cv']:.3f}<br>"
        f"{card['mean_km']:.2f} km to meeting site on average<br>K-12 complete {card['k12_complete']:.0%}"
    )


def tradeoff_figure(result: TradeOffs, *, title: str) -> go.Figure:
    """The chart: x enrollment CV (left is more even), y cohesion (up keeps more students together)."""
    default = result.default
    chosen = {each.name for each in result.chosen}
    spare = {each.name for each in result.left_out}
    others = [each for each in result.tried if each.name not in chosen | spare and not each.is_default]
    left_out = [each for each in result.left_out if not each.is_default]
    alternatives = [each for each in result.chosen if not each.is_default]
    km = [each.card["mean_km"] for each in result.tried]
    colours = {"cmin": min(km), "cmax": max(km), "colorscale": "Viridis_r"}
    figure = go.Figure()
    figure.add_trace(
        points(others, "other plans tried (duplicates, or beaten on all three)", size=7, color="#bbbbbb")
    )
    if left_out:
        figure.add_trace(
            points(
                left_out,
                f"also beaten on none, left out by --count {len(result.chosen)}",
                size=10,
                color="rgba(0,0,0,0)",
                line={"color": "#555555", "width": 1.5},
            )
        )
    figure.add_trace(
        points(
            alternatives,
            "alternatives (none beaten on all three)",
            size=16,
            color=[each.card["mean_km"] for each in alternatives],
            colorbar={"title": {"text": "km to meeting<br>site (mean)"}},
            **colours,
        )
    )
    kept = default.name in chosen
    figure.add_trace(
        points(
            [default],
            "default plan (feeder design)" + ("" if kept else ", beaten on all three"),
            size=22,
            symbol="star",
            color=[default.card["mean_km"]] if kept else "#bbbbbb",
            **(colours if kept else {}),
        )
    )
    x_range = padded([each.card["enrollment_cv"] for each in result.tried], 0.12)
    y_range = padded([each.card["cohesion"] for each in result.tried], 0.15)
    sizes = [(each, 7) for each in others] + [(each, 10) for each in left_out]
    sizes += [(each, 16) for each in alternatives] + [(default, 22)]
    figure.update_layout(
        title={"text": title},
        xaxis={
            "title": {"text": "enrollment imbalance: CV of students per portfolio (lower is more even)"},
            "range": list(x_range),
        },
        yaxis={
            "title": {"text": "cohesion: share of students kept together (higher is better)"},
            "range": list(y_range),
        },
        legend={"orientation": "h", "y": -0.18},
        template="plotly_white",
        width=WIDTH,
        height=HEIGHT,
        margin={**MARGIN, "autoexpand": False},
        annotations=labels(sizes, Frame(x_range, y_range), named=[*alternatives, default]),
    )
    return figure


def padded(values: list[float], share: float) -> tuple[float, float]:
    """The axis range: the values' span widened by `share` of it on each side."""
    pad = share * ((max(values) - min(values)) or 1.0)
    return min(values) - pad, max(values) + pad


@dataclass(frozen=True)
class Frame:
    """Data to pixels: the plot area is the figure less the fixed margins."""

    x_range: tuple[float, float]
    y_range: tuple[float, float]

    def pixel(self, each: Alternative) -> tuple[float, float]:
        (x0, x1), (y0, y1) = self.x_range, self.y_range
        width = WIDTH - MARGIN["l"] - MARGIN["r"]
        height = HEIGHT - MARGIN["t"] - MARGIN["b"]
        x = MARGIN["l"] + (each.card["enrollment_cv"] - x0) / (x1 - x0) * width
        y = MARGIN["t"] + (y1 - each.card["cohesion"]) / (y1 - y0) * height
        return x, y


Box = tuple[float, float, float, float]  # left, top, right, bottom in px


def labels(sizes: list[tuple[Alternative, int]], frame: Frame, *, named: list[Alternative]) -> list[dict]:
    """One annotation per plan in `named`, placed where it overlaps no marker (`sizes`: every plan drawn
    and its marker size) and no label placed before it; a label set off its point gets a leader line."""
    markers = [square(frame.pixel(each), size / 2 + 1) for each, size in sizes]
    radius = {each.name: size / 2 for each, size in sizes}
    inside = (MARGIN["l"], MARGIN["t"], WIDTH - MARGIN["r"], HEIGHT - MARGIN["b"])
    placed: list[Box] = []
    annotations = []
    for each in named:
        x, y = frame.pixel(each)
        width, height = CHAR_PX * len(each.name) + 2 * GAP_PX, LINE_PX + 2 * GAP_PX
        spots = [
            (
                x + dx * (radius[each.name] + distance + width / 2),
                y - dy * (radius[each.name] + distance + height / 2),
            )
            for distance in DISTANCES
            for dx, dy in DIRECTIONS
        ]
        boxes = [square((cx, cy), width / 2, height / 2) for cx, cy in spots]
        free = [
            box
            for box in boxes
            if within(box, inside) and not any(meets(box, other) for other in [*markers, *placed])
        ]
        box = (free or boxes)[0]
        placed.append(box)
        cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
        annotations.append(
            {
                "x": each.card["enrollment_cv"],
                "y": each.card["cohesion"],
                "text": each.name,
                "font": {"size": FONT_SIZE},
                "showarrow": True,
                "arrowhead": 0,
                "arrowwidth": 1,
                "arrowcolor": "#777777",
                "standoff": radius[each.name],
                "ax": round(cx - x, 1),
                "ay": round(cy - y, 1),
            }
        )
    return annotations


def square(centre: tuple[float, float], half_width: float, half_height: float | None = None) -> Box:
    """The box of these half sizes around `centre` (a square when only one is given)."""
    x, y = centre
    half_height = half_width if half_height is None else half_height
    return x - half_width, y - half_height, x + half_width, y + half_height


def meets(a: Box, b: Box) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def within(box: Box, area: Box) -> bool:
    return box[0] >= area[0] and box[1] >= area[1] and box[2] <= area[2] and box[3] <= area[3]


def points(
    plans: list[Alternative], name: str, *, size: int, symbol: str = "circle", **marker: object
) -> go.Scatter:
    """One trace of plans (labels are annotations: see `labels`)."""
    return go.Scatter(
        x=[each.card["enrollment_cv"] for each in plans],
        y=[each.card["cohesion"] for each in plans],
        mode="markers",
        text=[each.name for each in plans],  # names the points in the data; drawn as `labels`
        marker={"size": size, "symbol": symbol, "line": {"width": 1, "color": "#222222"}, **marker},
        name=name,
        hovertext=[hover(each) for each in plans],
        hoverinfo="text",
    )


def chart_html(figure: go.Figure) -> str:
    """A self-contained page: plotly.js inlined, so it opens with no network."""
    return pio.to_html(figure, include_plotlyjs=True, full_html=True, div_id=DIV_ID)


def chart_png(figure: go.Figure) -> bytes | None:
    """The static PNG (kaleido drives a local Chrome), or None when no Chrome or Chromium runs here."""
    try:
        return pio.to_image(figure, format="png", width=WIDTH, height=HEIGHT, scale=2)
    except (ChromeNotFoundError, BrowserFailedError):
        return None
    except RuntimeError as error:  # plotly 7 reports kaleido's missing Chrome as a RuntimeError
        if "Chrome" not in str(error):
            raise
        return None
