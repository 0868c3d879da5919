"""The two kinds of page: the district overview and one page per cohort (portfolio).

Each page is a folium map beside a side panel (title, key figures, legend, member
table). Element ids are numbered in tree order, so one plan always renders to the
same bytes, and every text from the input is escaped before it reaches the page.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

import folium
import numpy as np
import pandas as pd
from branca.element import Element, Figure

from feeder.maps import features
from feeder.maps.assets import make_offline
from feeder.maps.editor import edit_scripts, edit_section
from feeder.maps.elements import FeatureLayer, Raw, data_script
from feeder.maps.features import Drawing, Feature, esc, number
from feeder.maps.key import data_notes_section, map_key
from feeder.maps.model import MapModel
from feeder.maps.symbols import swatch, symbol
from feeder.privacy import shown_cohesion
from feeder.words import counted

INDEX = "index.html"
TILES = "OpenStreetMap"
LEVEL_ORDER = {"high": 0, "middle": 1, "elementary": 2, "span": 3}
SCHOOL_FUNCTIONS = {"point_to_layer": "school", "on_each_feature": "bindSchool"}


def overview_page(model: MapModel, drawing: Drawing, links: Mapping[str, str]) -> str:
    """The district overview: every portfolio, school and flow; links to each cohort page."""
    district = model.plan.district
    figure, folium_map = new_map(f"{district.name}: portfolios", tuple(model.areas.total_bounds))
    names = set(model.colours)
    add_layers(
        figure,
        folium_map,
        model,
        drawing,
        areas=features.area_features(model, names, links, names),
        members=np.ones(len(model.schools), dtype=bool),
        flows=np.ones(len(drawing.flows), dtype=bool),
        broken=np.ones(len(drawing.broken), dtype=bool),
    )
    for number_, script in enumerate(edit_scripts(model)):
        figure.header.add_child(script, name=f"feeder_edit_{number_}")
    key = map_key(model, editor=True)
    figure.html.add_child(Raw(overview_panel(model, links) + key), name="panel")
    return render(figure)


def cohort_page(model: MapModel, drawing: Drawing, name: str) -> str:
    """One cohort zoomed in: its schools, flows within and across its line, its meeting site.

    Schools of other portfolios at the far end of those flows are drawn faded.
    """
    schools, pairs = model.schools, drawing.broken_pairs
    members = (schools["portfolio"] == name).to_numpy()
    ids = set(schools.loc[members, "school_id"])
    flows = (model.flows["from_id"].isin(ids) | model.flows["to_id"].isin(ids)).to_numpy()
    broken = (pairs["from_id"].isin(ids) | pairs["to_id"].isin(ids)).to_numpy()
    ends = pd.concat([model.flows.loc[flows, ["from_id", "to_id"]], pairs.loc[broken]]).stack()
    others = (schools["school_id"].isin(set(ends)) & ~members).to_numpy()
    area = model.areas.loc[model.areas["name"] == name, "geometry"]
    # A portfolio whose every site is shared with an earlier portfolio's school owns no cell.
    lat, lon = schools.loc[members, "lat"], schools.loc[members, "lon"]
    bounds = area.iloc[0].bounds if len(area) else (lon.min(), lat.min(), lon.max(), lat.max())
    figure, folium_map = new_map(f"{model.plan.district.name}: {name}", bounds)
    add_layers(
        figure,
        folium_map,
        model,
        drawing,
        areas=features.area_features(model, {name}, {}, set(model.colours) - {name}),
        members=members,
        flows=flows,
        broken=broken,
        others=others,
    )
    key = map_key(model, shown=shown(members, others))
    figure.html.add_child(Raw(cohort_panel(model, name, schools[members]) + key), name="panel")
    return render(figure)


def new_map(title: str, bounds: tuple[float, float, float, float]) -> tuple[Figure, folium.Map]:
    """An offline-ready map fitted to bounds (west, south, east, north), street base map switchable."""
    figure = Figure(title=esc(title))
    west, south, east, north = (round(float(b), 5) for b in bounds)
    folium_map = folium.Map(
        location=[(south + north) / 2, (west + east) / 2],
        zoom_start=11,
        tiles=None,
        control_scale=True,
        zoom_snap=0.25,
    )
    figure.add_child(folium_map)
    make_offline(figure, folium_map)
    folium.TileLayer(TILES, name="Street map (online)", overlay=True, class_name="feeder-tiles").add_to(
        folium_map
    )
    # The map key covers the lower right corner: keep the district clear of it.
    folium_map.fit_bounds(
        [[south, west], [north, east]], padding_top_left=(12, 12), padding_bottom_right=(270, 12)
    )
    return figure, folium_map


def add_layers(
    figure: Figure,
    folium_map: folium.Map,
    model: MapModel,
    drawing: Drawing,
    *,
    areas: list[Feature],
    members: np.ndarray,
    flows: np.ndarray,
    broken: np.ndarray,
    others: np.ndarray | None = None,
) -> None:
    """Areas, regions, flows, broken pathways, schools and meeting sites, each a switchable layer.

    members, flows, broken, others: masks over model.schools, drawing.flows, drawing.broken
    and model.schools saying what this page shows.
    """
    data: dict[str, dict] = {}

    def layer(key: str, items: list[Feature], name: str, **functions: str) -> None:
        data[key] = {"type": "FeatureCollection", "features": items}
        FeatureLayer(key, name, **functions).add_to(folium_map)

    layer(
        "areas",
        areas,
        "Portfolio areas",
        style="areaStyle",
        point_to_layer="area",
        on_each_feature="bindArea",
    )
    if not model.regions.empty:
        layer("regions", features.region_features(model), "Regions", style="regionStyle")
    layer("flows", pick(drawing.flows, flows), "Student flows", style="flowStyle", on_each_feature="bindFlow")
    if drawing.broken:
        chosen = pick(drawing.broken, broken)
        layer("broken", chosen, "Broken program pathways", style="brokenStyle", on_each_feature="bindBroken")
    if others is not None and others.any():
        context = [features.as_context(school) for school in pick(drawing.schools, others)]
        layer("others", context, "Schools in other portfolios", **SCHOOL_FUNCTIONS)
    layer("schools", pick(drawing.schools, members), "Schools", **SCHOOL_FUNCTIONS)
    meeting = features.meeting_features(model.schools[members])
    layer("meeting", meeting, "Meeting sites", point_to_layer="meetingSite")
    checks = features.check_features(model.schools[shown(members, others)])
    if checks:
        layer("checks", checks, "Locations to check", point_to_layer="checkRing")
    folium.LayerControl(collapsed=False).add_to(folium_map)
    figure.header.add_child(data_script(data), name="feeder_data")


def shown(members: np.ndarray, others: np.ndarray | None) -> np.ndarray:
    """The schools a page draws: its members and, on a cohort page, the others at its flows' ends."""
    return members if others is None else members | others


def pick(items: list[Feature], mask: np.ndarray) -> list[Feature]:
    return [item for item, keep in zip(items, mask, strict=True) if keep]


def render(figure: Figure) -> str:
    """The page's HTML, with element ids numbered in tree order instead of random."""
    for number_, element in enumerate(walk(figure)):
        element._id = f"{number_:04d}"
    return figure.render()


def walk(element: Element) -> Iterator[Element]:
    yield element
    for child in element._children.values():
        yield from walk(child)


def linked(name: str, links: Mapping[str, str]) -> str:
    """A portfolio's name, as a link to its cohort page when it has one (the served page has none)."""
    return f'<a href="{esc(links[name])}">{esc(name)}</a>' if name in links else f"<span>{esc(name)}</span>"


def overview_panel(model: MapModel, links: Mapping[str, str]) -> str:
    """Title, key figures, the portfolio legend (with links) and the edit mode."""
    plan, schools = model.plan, model.schools
    district = plan.district
    cohesion = shown_cohesion(district, schools["portfolio"].to_numpy())
    stats = [
        (metric("n_portfolios", len(model.colours)), "portfolios"),
        (len(schools), "schools"),
        (number(schools["enrollment"].sum()), "students"),
        (
            metric(
                "cohesion", "—" if cohesion is None else f"{100 * cohesion:.1f} %"
            ),  # tenths move on one edit
            "of flow students stay in their portfolio",
        ),
        (
            metric("split_schools", int(schools["split"].sum())),
            "split schools (send >10 % to other portfolios)",
        ),
        (metric("mean_km", f"{schools['km'].mean():.1f} km"), "mean distance to meeting site"),
    ]
    totals = schools.groupby("portfolio").agg(n=("school_id", "size"), students=("enrollment", "sum"))
    entries = "".join(
        f'<li class="feeder-legend-portfolio" data-portfolio="{esc(name)}">{swatch(model.colours[name])}'
        f"{linked(name, links)}"
        f'<span class="feeder-count">{counted(row.n, "school")} · {number(row.students)} students</span></li>'
        for name, row in zip(totals.index, totals.itertuples(), strict=True)
    )
    return (
        '<div class="feeder-panel">'
        f"<h1>{esc(district.name)}</h1>"
        f'<p class="feeder-subtitle">{esc(plan_title(model))}</p>'
        f"{stat_boxes(stats)}{by_level_note(model)}"
        f"{edit_section()}"
        f'<h2>Portfolios</h2><ul class="feeder-key feeder-portfolios">{entries}</ul>'
        f"{area_note()}{data_notes_section(model)}"
        "</div>"
    )


def metric(key: str, text: object) -> str:
    """A key figure the edit mode rewrites when the plan changes."""
    return f'<span data-metric="{key}">{text}</span>'


def cohort_panel(model: MapModel, name: str, members: pd.DataFrame) -> str:
    """Back link, the cohort's key figures and its member table."""
    sent, crossing = members["sent"].sum(), members["crossing"].sum()
    meeting = members[members["medoid"]].iloc[0]
    stats = [
        (len(members), "schools"),
        (number(members["enrollment"].sum()), "students"),
        ("—" if sent == 0 else f"{100 * (1 - crossing / sent):.0f} %", "of students sent stay in the cohort"),
        (int(members["split"].sum()), "split schools (send >10 % to other portfolios)"),
        (f"{members['km'].mean():.1f} km", "mean distance to meeting site"),
        (f"{members['km'].max():.1f} km", "farthest school"),
    ]
    return (
        '<div class="feeder-panel">'
        f'<p><a href="{INDEX}">← District overview</a></p>'
        f"<h1>{swatch(model.colours[name])} {esc(name)}</h1>"
        f'<p class="feeder-subtitle">{esc(plan_title(model))} · meeting site: '
        f"<b>{esc(meeting['name'])}</b></p>"
        f"{stat_boxes(stats)}{by_level_note(model)}"
        f"<h2>Schools</h2>{member_table(model, members)}{data_notes_section(model)}"
        "</div>"
    )


def member_table(model: MapModel, members: pd.DataFrame) -> str:
    """School, level, enrollment, principal and km to the meeting site, high schools first."""
    with_principal = bool((model.plan.district.schools["principal"] != "").any())
    order = members.assign(rank=members["level"].map(LEVEL_ORDER)).sort_values(
        ["rank", "name"], kind="stable"
    )
    head = "<th>School</th><th>Level</th><th class=num>Students</th>"
    head += "<th>Principal</th>" if with_principal else ""
    head += "<th class=num>km to meeting site</th>"
    rows = []
    for _, school in order.iterrows():
        enrollment = "—" if pd.isna(school["enrollment"]) else number(school["enrollment"])
        principal = f"<td>{esc(school['principal']) or '—'}</td>" if with_principal else ""
        meeting = ' class="feeder-meeting-row"' if school["medoid"] else ""
        rows.append(
            f"<tr{meeting}><td>{symbol(school['level'], school['colour'])} {esc(school['name'])}</td>"
            f'<td class="feeder-level">{features.school_kind(school, short=True)}</td><td class=num>{enrollment}</td>{principal}'
            f"<td class=num>{school['km']:.1f}</td></tr>"
        )
    note = '<p class="feeder-note">Highlighted: the meeting site (the school with the least total distance to the others).</p>'
    return f'<table class="feeder-members"><tr>{head}</tr>{"".join(rows)}</table>{note}'


def by_level_note(model: MapModel) -> str:
    """Why today's plan scores cohesion 0 and K-12 0 % when each portfolio holds one level only."""
    if not model.plan.provenance.is_current:
        return ""
    levels = model.schools.loc[model.schools["level"] != "span"].groupby("portfolio")["level"].nunique()
    if levels.empty or levels.max() > 1:
        return ""
    return (
        '<p class="feeder-note feeder-by-level">Today\'s portfolios are organized by level: apart from '
        "a few span schools, each holds only elementary, only middle or only high schools. Students who "
        "move up change portfolio, so a low cohesion and few K-12 portfolios come from that organization, "
        "not from a fault.</p>"
    )


def area_note() -> str:
    return (
        '<p class="feeder-note">Areas are the Voronoi cells of each portfolio\'s school sites, '
        "not attendance zones. Click an area or a school for details. The street map needs "
        "internet; everything else works offline.</p>"
    )


def plan_title(model: MapModel) -> str:
    """Today's plan, a plan read from a file, or a designed one."""
    provenance = model.plan.provenance
    if provenance.is_current:
        return "Today's portfolios"
    return (
        "Proposed portfolios" if provenance.source in ("designed", "given") else f"Plan: {provenance.source}"
    )


def stat_boxes(stats: list[tuple[object, str]]) -> str:
    boxes = "".join(f"<div><b>{value}</b><span>{label}</span></div>" for value, label in stats)
    return f'<div class="feeder-stats">{boxes}</div>'
