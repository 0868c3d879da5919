"""compare.html: a map of what moves between two plans, readable with no network.

Every school is coloured by its portfolio in plan B; schools that move are drawn large
with a dark ring and say where they come from, the others small and faded. The page is
built like feeder's cohort maps (Leaflet inlined, element ids numbered, not random).
"""

from __future__ import annotations

import folium

from feeder.compare import Comparison, destination
from feeder.maps.colors import portfolio_colours
from feeder.maps.elements import Raw
from feeder.maps.features import esc
from feeder.maps.pages import new_map, render
from feeder.plan import Plan

MOVED_RADIUS = 8
STILL_RADIUS = 4


def compare_page(a: Plan, b: Plan, comparison: Comparison, *, name_a: str, name_b: str) -> str:
    """The page's HTML: B's portfolios, moved schools highlighted, a short legend."""
    schools = b.district.schools
    lat, lon = schools["lat"].to_numpy(dtype=float), schools["lon"].to_numpy(dtype=float)
    title = f"{b.district.name}: {name_a} → {name_b}"
    figure, folium_map = new_map(title, (lon.min(), lat.min(), lon.max(), lat.max()))
    edges = {(int(i), int(j)) for i, j in b.district.adjacency}
    colours = portfolio_colours(b.labels, edges)
    moved = dict(
        zip(
            comparison.moved["school_id"],
            map(destination, comparison.moved["to"], comparison.moved["to_continues"]),
            strict=True,
        )
    )
    still_layer = folium.FeatureGroup(name="Schools that stay").add_to(folium_map)
    moved_layer = folium.FeatureGroup(name=f"Schools that move ({len(moved)})").add_to(folium_map)
    for i, school_id in enumerate(schools["school_id"]):
        moves = school_id in moved
        text = f"<b>{esc(schools['name'].iloc[i])}</b> ({esc(school_id)})<br>"
        text += (
            f"moves from {esc(a.labels[i])} to {esc(moved[school_id])}"
            if moves
            else f"stays in {esc(b.labels[i])}"
        )
        folium.CircleMarker(
            location=[float(lat[i]), float(lon[i])],
            radius=MOVED_RADIUS if moves else STILL_RADIUS,
            color="#222222" if moves else colours[b.labels[i]],
            weight=2.5 if moves else 1,
            fill=True,
            fill_color=colours[b.labels[i]],
            fill_opacity=0.95 if moves else 0.4,
            tooltip=text,
        ).add_to(moved_layer if moves else still_layer)
    folium.LayerControl(collapsed=False).add_to(folium_map)
    figure.html.add_child(Raw(legend(comparison, name_a=name_a, name_b=name_b)), name="panel")
    return render(figure)


def legend(comparison: Comparison, *, name_a: str, name_b: str) -> str:
    """A corner panel: how many schools move, and the largest flows between portfolios."""
    pairs = comparison.moved.assign(
        to=list(map(destination, comparison.moved["to"], comparison.moved["to_continues"]))
    )
    moves = pairs.groupby(["from", "to"]).size().sort_values(ascending=False, kind="stable")
    rows = "".join(
        f"<tr><td>{esc(source)}</td><td>→ {esc(target)}</td><td>{count}</td></tr>"
        for (source, target), count in moves.head(12).items()
    )
    more = f"<p>and {len(moves) - 12} more pairs</p>" if len(moves) > 12 else ""
    return (
        '<div class="feeder-panel" style="position:absolute;top:10px;left:60px;z-index:1000;'
        'background:white;padding:8px;max-width:320px;font:13px sans-serif;opacity:0.92">'
        f"<b>{esc(name_a)} → {esc(name_b)}</b><p>{len(comparison.moved)} schools change portfolio "
        "(B's portfolios matched to A's by most shared schools); large ringed dots move, colours are "
        f"B's portfolios.</p><table>{rows}</table>{more}</div>"
    )
