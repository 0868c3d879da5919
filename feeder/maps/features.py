"""GeoJSON layers of a map: schools, meeting sites, portfolio areas, flows, broken pathways.

Every text that came from an input file is HTML-escaped here, once, because the page
script writes properties into tooltips and popups as HTML. Coordinates are rounded to
5 decimals (about 1 m) and each layer is one FeatureCollection, so a 1,000-school
district stays well under 2 MB and pans smoothly. A line between two schools (a flow, a
broken pathway) is written without its geometry (null, as GeoJSON allows): the page
script draws it between its ends' sites (maps.js `layerData`), so each site is written once.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd
import shapely

from feeder.explain import SchoolExplanation, explain_schools
from feeder.io.schools import grade_name
from feeder.maps import counts
from feeder.maps.model import MapModel
from feeder.privacy import Privacy, privacy_of
from feeder.words import program_name

LEVEL_NAMES = {"elementary": "Elementary", "middle": "Middle", "high": "High", "span": "Span"}
SHORT_LEVEL_NAMES = {"elementary": "ES", "middle": "MS", "high": "HS", "span": "Span"}
STANDARD_COLUMNS = {
    "school_id", "name", "level", "grade_lo", "grade_hi", "lat", "lon", "enrollment", "capacity",
    "need_index", "region", "portfolio", "programs", "principal", "geometry",
}  # fmt: skip
PLACES = 5
EN_DASH = "\u2013"
NEAREST = "Nearest other meeting site"  # a popup row the edit mode updates (edit-panel.js)
CHECK = "Location to check"  # the popup row of a school whose site a data note doubts

Feature = dict


def esc(value: object) -> str:
    """Input text made safe to write into HTML."""
    return html.escape(str(value), quote=True)


def feature(geometry: Mapping | None, properties: Mapping) -> Feature:
    """A GeoJSON Feature; geometry None for a line the page draws between two schools."""
    return {
        "type": "Feature",
        "geometry": None if geometry is None else dict(geometry),
        "properties": dict(properties),
    }


def point(lat: float, lon: float) -> dict:
    return {"type": "Point", "coordinates": [round(float(lon), PLACES), round(float(lat), PLACES)]}


def number(value: float, digits: int = 0) -> str:
    return f"{value:,.{digits}f}"


def school_kind(school: Mapping, *, short: bool = False) -> str:
    """'Elementary K-5' (short: 'ES K-5') description; just the level when grades are unknown."""
    kind = (SHORT_LEVEL_NAMES if short else LEVEL_NAMES)[school["level"]]
    if pd.isna(school["grade_lo"]) or pd.isna(school["grade_hi"]):
        return kind
    return f"{kind} {grade_name(school['grade_lo'])}{EN_DASH}{grade_name(school['grade_hi'])}"


def popup_rows(
    school: Mapping,
    extra: list[str],
    today: str,
    *,
    privacy: Privacy,
    explanation: SchoolExplanation | None = None,
) -> list[list[str]]:
    """Label / value rows of a school's popup after its level, escaped; absent values are left out."""
    rows = [["School id", esc(school["school_id"])], ["Portfolio", esc(school["portfolio"])]]
    if school["check"]:
        rows.append([CHECK, esc(school["check"])])
    if today and today != school["portfolio"]:
        rows.append(["Portfolio today", esc(today)])
    if not pd.isna(school["enrollment"]):
        seats = "" if pd.isna(school["capacity"]) else f" of {number(school['capacity'])} seats"
        rows.append(["Enrollment", number(school["enrollment"]) + " students" + seats])
    for column, label in (("principal", "Principal"), ("region", "Region")):
        if school[column]:
            rows.append([label, esc(school[column])])
    if school["programs"]:
        tags = [t.strip() for t in str(school["programs"]).split(";") if t.strip()]
        rows.append(["Programs", "<br>".join(esc(program_name(t)) for t in tags)])
    if not pd.isna(school["need_index"]):
        rows.append(["Need index", number(school["need_index"], 2)])
    rows.append(["Meeting site", "this school" if school["medoid"] else f"{school['km']:.1f} km away"])
    if explanation is not None and explanation.nearest_other_portfolio is not None:
        rows.append([NEAREST, nearest_site(explanation)])
    rows.extend(flow_rows(school, privacy=privacy))
    if explanation is not None:
        rows.extend(portfolio_rows(explanation, privacy=privacy))
    rows.extend([esc(c), esc(school[c])] for c in extra if str(school[c]) not in ("", "nan", "<NA>"))
    return rows


def nearest_site(explanation: SchoolExplanation) -> str:
    """`feeder explain`'s nearest other meeting site: name, portfolio and km as explain rounds them,
    the distance the school's own meeting site is judged against. The edit mode rewrites it in this
    form (edit-ui.js) when the plan changes."""
    return (
        f"{esc(explanation.nearest_other_site_name)} ({esc(explanation.nearest_other_portfolio)}), "
        f"{explanation.km_to_nearest_other_site:.1f} km"
    )


def flow_rows(school: Mapping, *, privacy: Privacy) -> list[list[str]]:
    """Where a school's students go next: share to other portfolios (a split school above 10 %) and out.

    Under the privacy rule the share is given as published counts ("<10 of 120"), since a percentage
    of an exact total would reveal a small count.
    """
    rows = []
    if school["sent"] > 0:
        sent = counts.count_text(school["sent"], privacy=privacy)
        if privacy.active:
            text = f"{counts.count_text(school['crossing'], privacy=privacy)} of {sent} students to other portfolios"
        else:
            text = f"{100 * school['crossing'] / school['sent']:.0f} % of {sent} students to other portfolios"
        rows.append(["Sends", f"<b>{esc(text)} (split school)</b>" if school["split"] else esc(text)])
    if school["leaving"] > 0:
        rows.append(
            ["Leaves district", f"{esc(counts.count_text(school['leaving'], privacy=privacy))} students"]
        )
    return rows


def portfolio_rows(explanation: SchoolExplanation, *, privacy: Privacy) -> list[list[str]]:
    """Where the school's students come from and go, by portfolio (`feeder explain` in the popup)."""
    lines = []
    for flow in explanation.flows:
        if flow.students_in <= 0 and flow.students_out <= 0:
            continue
        own = " (this portfolio)" if flow.portfolio == explanation.portfolio else ""
        parts = []
        if flow.students_in > 0:
            parts.append(f"from {counts.count_text(flow.students_in, privacy=privacy)}")
        if flow.students_out > 0:
            parts.append(f"to {counts.count_text(flow.students_out, privacy=privacy)}")
        lines.append(esc(f"{flow.portfolio}{own}: {' · '.join(parts)} students"))
    return [["Students by portfolio", "<br>".join(lines)]] if lines else []


def school_features(model: MapModel) -> list[Feature]:
    """One symbol per school (shape by level, size by enrollment, fill by portfolio colour)."""
    schools = model.plan.district.schools
    extra = [c for c in schools.columns if c not in STANDARD_COLUMNS]
    privacy = privacy_of(model.plan.district)
    explanations = explain_schools(model.plan)
    names = schools["name"].tolist()
    features = []
    for i, (school, today) in enumerate(
        zip(model.schools.to_dict("records"), schools["portfolio"], strict=True)
    ):
        properties = {
            "i": i,  # position in schools.csv, as the edit mode's data counts schools
            "id": esc(school["school_id"]),
            "name": esc(school["name"]),
            "portfolio": esc(school["portfolio"]),
            "kind": school_kind(school),  # the popup's first row and the tooltip
            "level": school["level"],
            "colour": school["colour"],
            "radius": float(school["radius"]),
            "split": bool(school["split"]),
            "rows": popup_rows(
                school, extra, today, privacy=privacy, explanation=explanations[school["school_id"]]
            ),
        }
        if school["fan"] is not None:
            properties["fan"] = school["fan"]
            others = ", ".join(esc(names[other]) for other in school["campus"])
            properties["rows"].insert(2, ["Same site as", others])
        features.append(feature(point(school["lat"], school["lon"]), properties))
    return features


def as_context(school: Feature) -> Feature:
    """A school of another portfolio, drawn faded on a cohort map."""
    return {**school, "properties": {**school["properties"], "context": True}}


def check_features(shown: pd.DataFrame) -> list[Feature]:
    """Rings around the schools, among those shown, whose site a data note doubts (model `check`)."""
    return [
        feature(
            point(s["lat"], s["lon"]),
            {"id": esc(s["school_id"]), "radius": float(s["radius"])}
            | ({"fan": s["fan"]} if s["fan"] else {}),
        )
        for s in shown[shown["check"] != ""].to_dict("records")
    ]


def meeting_features(members: pd.DataFrame) -> list[Feature]:
    """Rings around the meeting sites (medoids) among the given schools."""
    sites = members[members["medoid"]].to_dict("records")
    return [
        feature(
            point(s["lat"], s["lon"]),
            {"name": esc(s["name"]), "radius": float(s["radius"])} | ({"fan": s["fan"]} if s["fan"] else {}),
        )
        for s in sites
    ]


def area_features(
    model: MapModel, focus: set[str], links: Mapping[str, str], labelled: set[str]
) -> list[Feature]:
    """Portfolio areas (polygons) and the labelled ones' names (points) in one layer.

    Areas in `focus` are drawn in their colour, the others as grey context.
    """
    sizes = model.plan.sizes()
    enrollment = model.schools.groupby("portfolio")["enrollment"].sum()
    polygons, labels = [], []
    for area in model.areas.itertuples():
        name = area.name
        summary = f"{esc(name)}: {sizes[name]} schools, {number(enrollment[name])} students"
        properties = {
            "name": esc(name),
            "colour": model.colours[name],
            "focus": name in focus,
            "summary": summary,
            "link": links.get(name, ""),
        }
        polygons.append(feature(shapely.geometry.mapping(area.geometry), properties))
        if name in labelled:
            labels.append(
                feature(shapely.geometry.mapping(area.anchor), {"name": esc(name), "focus": name in focus})
            )
    return polygons + labels


def region_features(model: MapModel) -> list[Feature]:
    """Region outlines (e.g. Local Districts), which portfolios are meant to nest in."""
    return [
        feature(shapely.geometry.mapping(region.geometry), {"name": esc(region.name)})
        for region in model.regions.itertuples()
    ]


def flow_features(model: MapModel) -> list[Feature]:
    """One line per flow between district schools, its ends named by school id: the page script
    draws it between their sites, finds their positions (`a`, `b`) and whether it crosses a
    portfolio line (`crossing`: its ends' portfolios differ, as model.flows says), and names
    them on hover. 2,000 flows of a 1,000-school district took 430 kB with all of that written out."""
    privacy = privacy_of(model.plan.district)
    return [
        feature(
            None,
            {
                "from": esc(flow["from_id"]),
                "to": esc(flow["to_id"]),
                "students": counts.published_count(flow["students"], privacy=privacy),
                "weight": float(flow["weight"]),
            },
        )
        for flow in model.flows.to_dict("records")
    ]


def broken_features(model: MapModel) -> tuple[list[Feature], pd.DataFrame]:
    """One dotted line per school pair where programs stop (drawn between its ends' sites, as a
    flow is), and the (from_id, to_id) of each."""
    privacy = privacy_of(model.plan.district)
    features, pairs = [], []
    for (sender, receiver), rows in model.broken.groupby(["from_id", "to_id"], sort=True):
        stops = sorted({esc(program_name(f"{r.family}:{r.value_from}")) for r in rows.itertuples()})
        students = pd.to_numeric(rows["students"], errors="coerce").max()
        properties = {
            "from": esc(sender),
            "to": esc(receiver),
            "students": None if pd.isna(students) else counts.published_count(students, privacy=privacy),
            "stops": stops,
        }
        features.append(feature(None, properties))
        pairs.append((sender, receiver))
    return features, pd.DataFrame(pairs, columns=["from_id", "to_id"])


@dataclass(frozen=True)
class Drawing:
    """The plan's school, flow and broken-pathway features, built once and picked from by every page.

    schools align with model.schools, flows with model.flows, broken with broken_pairs.
    """

    schools: list[Feature]
    flows: list[Feature]
    broken: list[Feature]
    broken_pairs: pd.DataFrame


def draw(model: MapModel) -> Drawing:
    broken, pairs = broken_features(model)
    return Drawing(school_features(model), flow_features(model), broken, pairs)
