"""report.html: the printed cohort report — a district page, the district's feeder diagram,
then one page per cohort (map, diagram, roster with principals and distances, program breaks).

Print styles put every section on its own sheet; maps are PNG images inside the page,
the diagrams use the plotly.min.js written beside it, so the report opens and prints
with no network. Every text from the input is escaped.
"""

from __future__ import annotations

import base64
from html import escape

import numpy as np
import pandas as pd
from plotly.offline import get_plotlyjs

from feeder import metrics
from feeder.alignment import AlignmentResult
from feeder.alignment.report import NO_PROGRAMS, break_line, lists_no_program
from feeder.io.plan_tables import grades_served, summary_table
from feeder.maps import cohort_file_names
from feeder.plan import Plan
from feeder.privacy import data_notes
from feeder.provenance import estimate_note, flows_label
from feeder.report.diagrams import cohort_sankey, district_sankey, figure_div
from feeder.report.map_images import Canvas, canvas, cohort_png, overview_png
from feeder.report.terminal import ROWS, cell
from feeder.words import counted, plan_shape

PLOTLY_JS = "plotly.min.js"
REPORT = "report.html"
LEVEL_ORDER = {"high": 0, "span": 1, "middle": 2, "elementary": 3}
MAX_BREAKS = 4
STYLE = """
@page { size: letter portrait; margin: 10mm; }
body { font: 10px/1.35 Helvetica, Arial, sans-serif; color: #222; margin: 0; }
.page { padding: 10px 14px; box-sizing: border-box; }
h1 { font-size: 19px; margin: 0 0 4px; } h2 { font-size: 16px; margin: 0 0 2px; }
h3 { font-size: 11px; margin: 8px 0 3px; text-transform: uppercase; letter-spacing: .04em; color: #555; }
.subtitle { color: #555; margin: 0 0 6px; }
.banner { background: #fff4c2; border: 1px solid #d9a400; border-radius: 4px; padding: 4px 8px; margin: 4px 0 6px; }
table { border-collapse: collapse; width: 100%; }
th { text-align: left; border-bottom: 1.5px solid #999; padding: 2px 4px; font-weight: 600; }
td { border-bottom: 1px solid #e4e4e4; padding: 1.5px 4px; vertical-align: top; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.meeting td { background: #fff7d6; }
.overview { display: block; max-width: 100%; max-height: 470px; margin: 0 auto; }
.key { font-size: 9px; margin: 2px 0 0; }
.scorecard { display: grid; grid-template-columns: repeat(3, 1fr); gap: 2px 16px; margin: 4px 0; }
.scorecard div { display: flex; justify-content: space-between; border-bottom: 1px solid #eee; }
.pair { display: grid; grid-template-columns: 44% 56%; gap: 8px; align-items: start; }
.pair img { width: 100%; max-height: 300px; object-fit: contain; }
.cohort td { padding: 0.5px 4px; font-size: 9.5px; }
ul.breaks li, ul.notes li { font-size: 9.5px; }
ul.notes { margin: 2px 0; padding-left: 16px; color: #444; }
ul.breaks { margin: 2px 0; padding-left: 16px; }
.muted { color: #666; }
@media screen { .page { max-width: 8in; margin: 12px auto; border: 1px solid #ddd; box-shadow: 0 1px 4px #ccc; } }
@media print { .page { break-after: page; } .page:last-child { break-after: auto; } }
"""


def report_files(plan: Plan, alignment: AlignmentResult) -> dict[str, str | bytes]:
    """report.html and the plotly.min.js it loads, by file name."""
    return {REPORT: report_html(plan, alignment), PLOTLY_JS: get_plotlyjs()}


def report_html(plan: Plan, alignment: AlignmentResult) -> str:
    """The whole report as one HTML document."""
    district = plan.district
    banner = estimate_note(district)
    drawn = canvas(plan)
    sections = [district_page(plan, drawn, banner), table_page(plan, banner), diagram_page(plan, banner)]
    files = cohort_file_names(sorted(set(plan.labels)))  # unique ids, as the map pages' file names
    sections += [
        cohort_section(plan, drawn, name, alignment, banner, key=files[name].removesuffix(".html"))
        for name in sorted(files)
    ]
    title = escape(f"{district.name}: portfolio report")
    return (
        f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>{title}</title>\n'
        f'<meta name="generator" content="feeder">\n<style>{STYLE}</style>\n'
        f'<script src="{PLOTLY_JS}"></script>\n</head>\n<body>\n'
        + "\n".join(sections)
        + "\n</body>\n</html>\n"
    )


def banner_html(banner: str | None) -> str:
    return f'<p class="banner"><b>Estimated flows.</b> {escape(banner)}</p>' if banner else ""


def image(png: bytes, alt: str, css: str = "") -> str:
    data = base64.b64encode(png).decode("ascii")
    return f'<img class="{css}" alt="{escape(alt)}" src="data:image/png;base64,{data}">'


def district_page(plan: Plan, drawn: Canvas, banner: str | None) -> str:
    """Overview map and scorecard."""
    district, card = plan.district, plan.score()
    plan_name = plan.provenance.source
    figures = "".join(
        f"<div><span>{escape(label)}</span><b>{escape(cell(card.get(key), fmt))}</b></div>"
        for key, label, fmt in ROWS
        if card.get(key) is not None
    )
    figures += f"<div><span>flows from</span><b>{escape(flows_label(district))}</b></div>"
    overview, numbered = overview_png(drawn)
    return (
        '<section class="page district">'
        f"<h1>{escape(district.name)}: {plan_shape(card)}</h1>"
        f'<p class="subtitle">{counted(len(plan.labels), "school")} · plan: {escape(str(plan_name))}</p>'
        f"{banner_html(banner)}"
        f"{image(overview, 'Map of the portfolios', 'overview')}{numbered_key(numbered)}"
        f'<h3>Scorecard</h3><div class="scorecard">{figures}</div>{data_notes_html(plan)}</section>'
    )


def data_notes_html(plan: Plan) -> str:
    """What loading the district warned of (a likely wrong geocode, missing enrollment, estimated
    flows), so the printed report carries what only the terminal said; empty when nothing."""
    notes = data_notes(plan.district)
    if not notes:
        return ""
    items = "".join(f"<li>{escape(note)}</li>" for note in notes)
    return f'<h3>Data notes</h3><ul class="notes">{items}</ul>'


def numbered_key(numbered: list[str]) -> str:
    """The names the overview map shows as numbers (where full names would have overlapped)."""
    if not numbered:
        return ""
    entries = " · ".join(f"<b>{number}</b> {escape(name)}" for number, name in enumerate(numbered, start=1))
    return f'<p class="key muted">Numbered on the map: {entries}</p>'


def table_page(plan: Plan, banner: str | None) -> str:
    """One row per portfolio (summary.csv), on its own sheet so long tables of large districts can run on."""
    summary = summary_table(plan)
    need = " enrollment-weighted need," if summary["need"].notna().any() else ""
    return (
        '<section class="page portfolios">'
        f"<h2>{escape(plan.district.name)}: portfolios</h2>"
        '<p class="subtitle">Schools by level (elementary/middle/high/span), the schools teaching grades '
        f"9-12 by name (high schools, and span schools such as 6-12 or K-12), students,{need} the meeting "
        "site (the member with the least total distance to the others), distances to it, and the share "
        "of the students on flows touching the portfolio that stay inside it.</p>"
        f"{banner_html(banner)}{portfolio_table(summary)}</section>"
    )


def portfolio_table(summary: pd.DataFrame) -> str:
    """The summary table with readable headers; no need column when no school lists a need index
    (a column of dashes says nothing)."""
    with_need = bool(summary["need"].notna().any())
    need_header = "<th class=num>need</th>" if with_need else ""
    header = (
        "<tr><th>portfolio</th><th class=num>schools</th><th class=num>ES/MS/HS/span</th>"
        f"<th>schools with grades 9-12</th><th class=num>students</th>{need_header}<th>meeting site</th>"
        "<th class=num>mean km</th><th class=num>max km</th><th class=num>flows kept</th><th>K-12</th>"
        "<th>contiguous</th></tr>"
    )
    rows = [
        f"<tr><td>{escape(r.portfolio)}</td><td class=num>{r.schools}</td>"
        f"<td class=num>{r.elementary}/{r.middle}/{r.high}/{r.span}</td><td>{escape(first_names(r.high_schools))}</td>"
        f"<td class=num>{r.students:,}</td>"
        + (f"<td class=num>{number(r.need, '{:.2f}')}</td>" if with_need else "")
        + f"<td>{escape(r.meeting_site)}</td><td class=num>{r.mean_km:.1f}</td><td class=num>{r.max_km:.1f}</td>"
        f"<td class=num>{number(r.flows_kept, '{:.0%}')}</td><td>{r.k12}</td><td>{r.contiguous}</td></tr>"
        for r in summary.itertuples()
    ]
    return f"<table>{header}{''.join(rows)}</table>"


def first_names(names: str, shown: int = 3) -> str:
    """'A; B; C; +2 more' so a row stays one or two lines (summary.csv keeps every name)."""
    parts = [name for name in names.split("; ") if name]
    return "; ".join(parts[:shown]) + (f"; +{len(parts) - shown} more" if len(parts) > shown else "")


def number(value: object, fmt: str) -> str:
    return "—" if value is None or pd.isna(value) else fmt.format(value)


def diagram_page(plan: Plan, banner: str | None) -> str:
    """The district's feeder diagram by portfolio and level."""
    return (
        '<section class="page diagram">'
        f"<h2>{escape(plan.district.name)}: where students go next</h2>"
        '<p class="subtitle">Bands are as wide as the students moving from one school level to the next; '
        "a band between two colours crosses a portfolio line.</p>"
        f"{banner_html(banner)}{figure_div(district_sankey(plan), 'sankey-district')}</section>"
    )


def cohort_section(
    plan: Plan, drawn: Canvas, name: str, alignment: AlignmentResult, banner: str | None, *, key: str
) -> str:
    """One cohort's page: map and diagram side by side, roster, program breaks. `key` is unique
    among the cohorts ('East 01' and 'east-01' both slug to east-01): the page's and diagram's ids."""
    schools = plan.district.schools
    members = np.flatnonzero(plan.labels == name)
    medoid = metrics.medoids(plan.district, plan.labels)[name]
    km = metrics.distances_to_medoid(plan.district, plan.labels)
    students = schools["enrollment"].iloc[members].fillna(0).sum()
    return (
        f'<section class="page cohort" id="{key}">'
        f"<h2>{escape(name)}</h2>"
        f'<p class="subtitle">{counted(len(members), "school")} · {students:,.0f} students · meeting site: '
        f"{escape(schools['name'].iloc[medoid])} (★)</p>{banner_html(banner)}"
        f'<div class="pair">{image(cohort_png(drawn, name), f"Map of {name}")}'
        f"{figure_div(cohort_sankey(plan, name), f'sankey-{key}')}</div>"
        f"<h3>Roster</h3>{roster(schools, members, medoid, km)}"
        f"<h3>Program pathways that break</h3>{breaks(alignment, set(schools['school_id'].iloc[members]))}"
        "</section>"
    )


def roster(schools: pd.DataFrame, members: np.ndarray, medoid: int, km: np.ndarray) -> str:
    """Members by level (high first), with principal (when the district lists any) and distance to
    the meeting site."""
    grades = grades_served(schools.iloc[members])
    with_principal = bool(schools["principal"].fillna("").astype(str).str.strip().ne("").any())
    order = sorted(
        range(len(members)),
        key=lambda i: (
            LEVEL_ORDER.get(schools["level"].iloc[members[i]], 9),
            schools["name"].iloc[members[i]],
        ),
    )
    header = (
        "<tr><th>school</th><th>id</th><th>level</th><th>grades</th><th class=num>students</th>"
        + ("<th>principal</th>" if with_principal else "")
        + "<th class=num>km to meeting site</th></tr>"
    )
    rows = []
    for i in order:
        row = schools.iloc[members[i]]
        enrollment = "—" if pd.isna(row["enrollment"]) else f"{row['enrollment']:,.0f}"
        meeting = ' class="meeting"' if members[i] == medoid else ""
        rows.append(
            f"<tr{meeting}><td>{escape(row['name'])}{' ★' if meeting else ''}</td><td>{escape(row['school_id'])}</td>"
            f"<td>{escape(row['level'])}</td><td>{escape(grades[i])}</td><td class=num>{enrollment}</td>"
            + (f"<td>{escape(row['principal']) or '—'}</td>" if with_principal else "")
            + f"<td class=num>{km[members[i]]:.1f}</td></tr>"
        )
    return f"<table>{header}{''.join(rows)}</table>"


def breaks(alignment: AlignmentResult, ids: set[str]) -> str:
    """The largest program breaks starting at a member school (default alignment rules)."""
    if lists_no_program(alignment):
        return f'<p class="muted">{escape(NO_PROGRAMS[0].upper() + NO_PROGRAMS[1:])}.</p>'
    found = [s for s in alignment.suggestions if s["from_id"] in ids]
    if not found:
        return '<p class="muted">None: every program here continues at the next school.</p>'
    items = "".join(f"<li>{escape(break_line(alignment, s))}</li>" for s in found[:MAX_BREAKS])
    more = (
        f'<p class="muted">and {len(found) - MAX_BREAKS} smaller ones.</p>' if len(found) > MAX_BREAKS else ""
    )
    return f'<ul class="breaks">{items}</ul>{more}'
