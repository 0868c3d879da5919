"""The trade-off chart: cohesion against enrollment balance, compactness as colour, default marked.

One point per designed plan; the alternatives kept are large and labelled, the other
plans tried small and grey, so a planner sees at a glance what evening out enrollment
or shrinking distances costs in students kept together. Drawn with plotly: an
interactive page with plotly.js inlined (works offline) and a PNG through kaleido (when a Chrome runs).
"""

from __future__ import annotations

import plotly.graph_objects as go
import plotly.io as pio
from kaleido.errors import BrowserFailedError, ChromeNotFoundError

from feeder.alternatives import Alternative, TradeOffs

WIDTH, HEIGHT = 1000, 650
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
    cv = [each.card["enrollment_cv"] for each in result.tried]
    pad = 0.12 * ((max(cv) - min(cv)) or 1.0)
    figure.update_layout(
        title={"text": title},
        xaxis={
            "title": {"text": "enrollment imbalance: CV of students per portfolio (lower is more even)"},
            "range": [min(cv) - pad, max(cv) + pad],
        },
        yaxis={"title": {"text": "cohesion: share of students kept together (higher is better)"}},
        legend={"orientation": "h", "y": -0.18},
        template="plotly_white",
        width=WIDTH,
        height=HEIGHT,
    )
    return figure


def points(
    plans: list[Alternative], name: str, *, size: int, symbol: str = "circle", **marker: object
) -> go.Scatter:
    """One trace of plans, labelled with their names when drawn large."""
    return go.Scatter(
        x=[each.card["enrollment_cv"] for each in plans],
        y=[each.card["cohesion"] for each in plans],
        mode="markers+text" if size > 10 else "markers",
        text=[each.name for each in plans],
        textposition="top center",
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
