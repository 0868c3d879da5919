"""Maps: what each page holds, that it is the same every time, safe with hostile text, and offline."""

from __future__ import annotations

import html
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given
from hypothesis import strategies as st

from feeder.cli import main
from feeder.district import load_district
from feeder.geo import delaunay_edges
from feeder.maps import cohort_file_names, render_maps, slug
from feeder.maps.colors import PALETTE, portfolio_colours
from feeder.maps.model import REACH, build_model, shared_sites
from feeder.pattern_plan import plan_to_show
from feeder.plan import CURRENT, Plan, Provenance
from feeder.words import program_name

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"
EVIL = "<script>alert(1)</script>"
JINJA = "{{ 7*7 }} {% if true %}jinja{% endif %}"
DATA = re.compile(r"var FEEDER_DATA = (\{.*?\});</script>", re.S)


def row(school_id: str, name: str, level: str, lat: float, lon: float, portfolio: str, **extra: str) -> dict:
    grades = {"elementary": ("K", "5"), "middle": ("6", "8"), "high": ("9", "12"), "span": ("K", "8")}[level]
    return {
        "school_id": school_id,
        "name": name,
        "level": level,
        "grade_lo": grades[0],
        "grade_hi": grades[1],
        "lat": str(lat),
        "lon": str(lon),
        "enrollment": "500",
        "capacity": "600",
        "portfolio": portfolio,
        "principal": extra.pop("principal", "Ada Lovelace"),
        "programs": extra.pop("programs", ""),
        "website": "https://example.org/" + school_id,
        **extra,
    }


SCHOOLS = [
    row("H1", "North High", "high", 39.10, -77.50, "North/East"),
    row("M1", "North Middle", "middle", 39.08, -77.52, "North/East"),
    row("E1", "Oak Elementary", "elementary", 39.11, -77.55, "North/East", programs="dual_language:spanish"),
    row("E2", JINJA, "elementary", 39.06, -77.49, "North/East", principal="O'Brien & <b>Sons</b>"),
    row("H2", "South High", "high", 38.98, -77.50, "South"),
    row("M2", "South Middle", "middle", 39.00, -77.53, "South"),
    row(
        "E3",
        "Elm Elementary",
        "elementary",
        38.97,
        -77.56,
        "South",
        programs="magnet:<img src=x onerror=alert(1)>",
    ),
    row("S1", EVIL, "span", 39.01, -77.47, "South"),
]
FLOWS = [
    ("E1", "M1", 100),
    ("E2", "M1", 80),
    ("E2", "M2", 30),
    ("M1", "H1", 150),
    ("E3", "M2", 90),
    ("E3", "OUT", 10),
    ("M2", "H2", 140),
    ("S1", "H2", 60),
]
BROKEN = pd.DataFrame(
    [
        ("E1", "M1", 100.0, "dual_language", "spanish"),
        ("E3", "M2", 90.0, "magnet", "<b>stem</b>"),
        ("E3", "ZZZ", 5.0, "magnet", "stem"),
    ],
    columns=["from_id", "to_id", "students", "family", "value_from"],
)


@pytest.fixture(scope="module")
def plan(make_district) -> Plan:
    return Plan.current(load_district(make_district(SCHOOLS, FLOWS)))


@pytest.fixture(scope="module")
def pages(plan: Plan, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """File name → HTML of the small district's maps, drawn with broken pathways."""
    folder = tmp_path_factory.mktemp("maps")
    return {
        path.name: path.read_text(encoding="utf-8") for path in render_maps(plan, folder, broken_edges=BROKEN)
    }


def data(page: str) -> dict[str, dict]:
    """The page's layers (FEEDER_DATA) by key."""
    match = DATA.search(page)
    assert match, "no FEEDER_DATA script in the page"
    return json.loads(match.group(1).replace("<\\/", "</"))


def features(page: str, key: str) -> list[dict]:
    return data(page).get(key, {"features": []})["features"]


def polygons(page: str) -> list[dict]:
    return [f for f in features(page, "areas") if f["geometry"]["type"] != "Point"]


def layer_names(page: str) -> list[str]:
    block = re.search(r"overlays\s*:\s*\{(.*?)\}", page, re.S)
    assert block, "no layer control"
    return re.findall(r'"([^"]+)"\s*:', block.group(1))


def test_writes_overview_and_one_page_per_cohort(pages: dict[str, str]) -> None:
    assert sorted(pages) == ["cohort-north-east.html", "cohort-south.html", "index.html"]


def test_overview_holds_every_school_portfolio_flow_and_legend_entry(
    pages: dict[str, str], plan: Plan
) -> None:
    page = pages["index.html"]
    assert len(features(page, "schools")) == len(plan.district.schools)
    assert len(polygons(page)) == 2
    assert len(features(page, "flows")) == len(plan.district.internal_flows())
    assert page.count('class="feeder-legend-portfolio"') == 2
    assert 'href="cohort-north-east.html"' in page and 'href="cohort-south.html"' in page
    assert len(features(page, "meeting")) == 2
    assert layer_names(page) == [
        "Street map (online)",
        "Portfolio areas",
        "Student flows",
        "Broken program pathways",
        "Schools",
        "Meeting sites",
    ]


def test_split_feeders_and_crossing_flows_are_flagged(pages: dict[str, str]) -> None:
    page = pages["index.html"]
    split = {f["properties"]["id"] for f in features(page, "schools") if f["properties"]["split"]}
    assert split == {"E2"}  # 30 of its 110 students go to the other portfolio
    portfolio = {f["properties"]["id"]: f["properties"]["portfolio"] for f in features(page, "schools")}
    ends = [(f["properties"]["from"], f["properties"]["to"]) for f in features(page, "flows")]
    crossing = [(a, b) for a, b in ends if portfolio[a] != portfolio[b]]  # what the page draws dashed
    assert crossing == [("E2", "M2")]


def test_cohort_page_holds_its_members_flows_meeting_site_and_table(
    pages: dict[str, str], plan: Plan
) -> None:
    page = pages["cohort-south.html"]
    members = plan.portfolios()["South"]
    assert [f["properties"]["id"] for f in features(page, "schools")] == members
    assert [f["properties"]["id"] for f in features(page, "others")] == ["E2"]  # across the crossing flow
    touching = [(f["properties"]["from"], f["properties"]["to"]) for f in features(page, "flows")]
    assert sorted(touching) == [("E2", "M2"), ("E3", "M2"), ("M2", "H2"), ("S1", "H2")]
    meeting = features(page, "meeting")
    medoid = plan.district.schools.set_index("school_id").loc[plan.medoids()["South"]]
    assert len(meeting) == 1 and meeting[0]["geometry"]["coordinates"] == [medoid["lon"], medoid["lat"]]
    table = page[page.index('class="feeder-members"') :]
    assert table.count("<tr") == len(members) + 1
    assert table.count('class="feeder-meeting-row"') == 1
    assert '<a href="index.html">' in page
    assert len(polygons(page)) == 2  # its own area plus the neighbour for context
    assert len(features(page, "broken")) == 1


def test_broken_pathways_layer_lists_each_school_pair_once(pages: dict[str, str]) -> None:
    broken = features(pages["index.html"], "broken")
    assert [(f["properties"]["from"], f["properties"]["to"]) for f in broken] == [("E1", "M1"), ("E3", "M2")]
    assert broken[1]["properties"]["stops"] == ["&lt;b&gt;stem&lt;/b&gt; magnet"]


def test_no_broken_layer_without_broken_edges(plan: Plan, tmp_path: Path) -> None:
    render_maps(plan, tmp_path)
    page = (tmp_path / "index.html").read_text(encoding="utf-8")
    assert "broken" not in data(page)
    assert "Broken program pathways" not in page


def test_same_plan_gives_byte_identical_pages(plan: Plan, tmp_path: Path) -> None:
    first = render_maps(plan, tmp_path / "a", broken_edges=BROKEN)
    second = render_maps(plan, tmp_path / "b", broken_edges=BROKEN)
    assert [p.name for p in first] == [p.name for p in second]
    for a, b in zip(first, second, strict=True):
        assert a.read_bytes() == b.read_bytes(), a.name


def test_no_random_element_ids_leak(pages: dict[str, str]) -> None:
    for name, page in pages.items():
        assert not re.search(r"[0-9a-f]{32}", page), name
        assert re.search(r"var map_\d{4} = L\.map", page), name


def test_input_text_is_escaped_everywhere(pages: dict[str, str]) -> None:
    for name, page in pages.items():
        assert EVIL not in page, name
        assert "<img src=x" not in page, name
        assert "<b>Sons</b>" not in page, name
        assert "49 jinja" not in page, name  # a name is never evaluated as a template
    schools = {f["properties"]["id"]: f["properties"] for f in features(pages["index.html"], "schools")}
    assert schools["S1"]["name"] == html.escape(EVIL)
    assert schools["E2"]["name"] == html.escape(JINJA)  # not evaluated as a template
    assert ["Principal", "O&#x27;Brien &amp; &lt;b&gt;Sons&lt;/b&gt;"] in schools["E2"]["rows"]
    table = pages["cohort-south.html"]
    assert html.escape(EVIL) in table


def test_pages_are_self_contained(pages: dict[str, str]) -> None:
    for name, page in pages.items():
        assert not re.search(r"<script[^>]+src=", page), name
        assert not re.search(r"<link[^>]+href=", page), name
        assert "Leaflet 1.9.3" in page and "jquery" not in page.lower() and "bootstrap" not in page.lower()
        assert not re.search(r"url\((?!data:|#)", page), name  # css images inlined
        assert not re.search(r"<(img|iframe)[^>]+src=|@import", page), name
        assert page.count("{z}/{x}/{y}") == 1, name  # the switchable street map is the only fetch


def test_extra_columns_reach_the_popup(pages: dict[str, str]) -> None:
    school = features(pages["index.html"], "schools")[0]["properties"]
    assert ["website", "https://example.org/H1"] in school["rows"]


def test_touching_portfolios_get_different_colours(plan: Plan) -> None:
    model = build_model(plan)
    assert set(model.colours.values()) <= set(PALETTE)
    assert_touching_areas_differ(model)


def assert_touching_areas_differ(model) -> None:
    areas = model.areas.set_index("name").geometry
    for a in areas.index:
        for b in areas.index:
            if a < b and shapely.intersection(areas[a], areas[b]).length > 0:
                assert model.colours[a] != model.colours[b], (a, b)


def test_areas_tile_the_district_without_overlaps(plan: Plan) -> None:
    areas = build_model(plan).areas.to_crs(plan.district.schools.estimate_utm_crs())
    union = shapely.union_all(areas.geometry.to_numpy())
    assert areas.geometry.is_valid.all()
    assert areas.area.sum() == pytest.approx(union.area, rel=1e-3)
    points = plan.district.schools.to_crs(areas.crs)
    for portfolio, school in zip(plan.labels, points.geometry, strict=True):
        area = areas.loc[areas["name"] == portfolio, "geometry"].iloc[0]
        assert area.buffer(5).contains(school)  # simplification may move a boundary a few metres


def test_file_names_are_safe_and_unique() -> None:
    names = cohort_file_names(["../../etc/passwd", "A/B", "a-b", "", "日本", "Ünïcode Ñame", "a b"])
    assert list(names.values()) == [
        "cohort-etc-passwd.html",
        "cohort-a-b.html",
        "cohort-a-b-2.html",
        "cohort-portfolio.html",
        "cohort-portfolio-2.html",
        "cohort-unicode-name.html",
        "cohort-a-b-3.html",
    ]


@given(st.text())
def test_slug_is_always_a_plain_file_name_part(text: str) -> None:
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", slug(text))


def test_cli_writes_the_maps(make_district, tmp_path: Path) -> None:
    folder = make_district(SCHOOLS, FLOWS)
    assert main(["map", str(folder), "--out", str(tmp_path / "maps")]) == 0
    assert (tmp_path / "maps" / "index.html").exists()
    plan = pd.DataFrame(
        {"school_id": [s["school_id"] for s in SCHOOLS], "portfolio": ["One"] * 4 + ["Two"] * 4}
    )
    plan.to_csv(tmp_path / "plan.csv", index=False)
    assert (
        main(["map", str(folder), "--plan", str(tmp_path / "plan.csv"), "--out", str(tmp_path / "other")])
        == 0
    )
    assert sorted(p.name for p in (tmp_path / "other").glob("*.html")) == [
        "cohort-one.html",
        "cohort-two.html",
        "index.html",
    ]
    assert "Plan: plan.csv" in (tmp_path / "other" / "index.html").read_text(encoding="utf-8")


def test_lcps_maps(lcps_path: Path, tmp_path: Path) -> None:
    district = load_district(lcps_path)
    plan = Plan(district, district.schools["pyramid"].to_numpy(dtype=object))
    written = render_maps(plan, tmp_path)
    index = (tmp_path / "index.html").read_text(encoding="utf-8")
    assert len(written) == 1 + 16
    assert len(features(index, "schools")) == 90
    assert len(polygons(index)) == 16
    assert index.count('class="feeder-legend-portfolio"') == 16
    assert len(features(index, "flows")) == len(district.internal_flows())
    split = sum(f["properties"]["split"] for f in features(index, "schools"))
    assert split == plan.score()["split_schools"]
    assert_touching_areas_differ(build_model(plan))


@pytest.fixture(scope="module")
def sample_plan() -> Plan:
    if not (SAMPLE / "schools.csv").exists():
        pytest.skip(f"the sample district is not at {SAMPLE}")
    return Plan.current(load_district(SAMPLE))


def test_sample_maps(sample_plan: Plan, tmp_path: Path) -> None:
    district = sample_plan.district
    render_maps(sample_plan, tmp_path)
    index = (tmp_path / "index.html").read_text(encoding="utf-8")
    n = len(sample_plan.sizes())
    assert len(features(index, "schools")) == len(district.schools)
    assert len(polygons(index)) == n
    assert index.count('class="feeder-legend-portfolio"') == n
    assert len(features(index, "regions")) == district.schools["region"].nunique()
    split = sum(f["properties"]["split"] for f in features(index, "schools"))
    assert split == sample_plan.score()["split_schools"]
    for name, members in sample_plan.portfolios().items():
        page = (tmp_path / cohort_file_names(sorted(sample_plan.sizes()))[name]).read_text(encoding="utf-8")
        assert len(features(page, "schools")) == len(members)
        assert len(features(page, "meeting")) == 1
    assert_touching_areas_differ(build_model(sample_plan))


@pytest.mark.slow
def test_thousand_schools_stay_small_and_quick(tmp_path: Path) -> None:
    from synthetic import generate_district, write_district

    schools, flows = generate_district(1000, seed=3)
    plan = Plan.current(load_district(write_district(tmp_path / "district", schools, flows)))
    start = time.perf_counter()
    written = render_maps(plan, tmp_path / "maps")
    seconds = time.perf_counter() - start
    index = (tmp_path / "maps" / "index.html").stat().st_size
    assert len(written) == 1 + len(plan.sizes())
    assert index < 2_000_000, f"index.html is {index:,} bytes"
    assert seconds < 60, f"took {seconds:.0f} s"
    layers = data((tmp_path / "maps" / "index.html").read_text(encoding="utf-8"))
    assert all(feature["geometry"] is None for feature in layers["flows"]["features"])  # drawn from ends
    for layer in layers.values():
        for feature in layer["features"]:
            if feature["geometry"] is not None:
                xy = shapely.get_coordinates(shapely.geometry.shape(feature["geometry"]))
                assert np.array_equal(xy, xy.round(5))


def test_model_rejects_broken_edges_without_their_columns(plan: Plan) -> None:
    with pytest.raises(ValueError, match="family"):
        build_model(plan, BROKEN.drop(columns="family"))


def test_distances_in_table_match_metrics(pages: dict[str, str], plan: Plan) -> None:
    from feeder.metrics import distances_to_medoid

    km = dict(
        zip(plan.district.ids, np.round(distances_to_medoid(plan.district, plan.labels), 1), strict=True)
    )
    table = pages["cohort-north-east.html"]
    cells = re.findall(r"<td class=num>([\d.]+)</td></tr>", table)
    assert sorted(float(c) for c in cells) == sorted(km[s] for s in plan.portfolios()["North/East"])


def test_pages_do_not_depend_on_the_process(make_district, tmp_path: Path) -> None:
    """Same bytes under different hash seeds (set and dict order must never reach a page)."""
    folder = make_district(SCHOOLS, FLOWS)
    script = "import sys; from feeder.cli import main; sys.exit(main(sys.argv[1:]))"
    for seed in ("1", "2"):
        command = [sys.executable, "-c", script, "map", str(folder), "--out", str(tmp_path / seed)]
        subprocess.run(command, check=True, env={**os.environ, "PYTHONHASHSEED": seed})
    for page in (tmp_path / "1").iterdir():
        assert page.read_bytes() == (tmp_path / "2" / page.name).read_bytes(), page.name


def test_each_portfolio_has_its_own_colour_while_the_palette_lasts(plan: Plan) -> None:
    labels = np.array([f"P{i}" for i in range(len(PALETTE))], dtype=object)
    edges = {(i, i + 1) for i in range(len(labels) - 1)}
    assert sorted(portfolio_colours(labels, edges).values()) == sorted(PALETTE)
    model = build_model(plan)
    assert len(set(model.colours.values())) == len(model.colours)


def test_more_portfolios_than_colours_use_every_colour_and_keep_neighbours_apart(sample_plan: Plan) -> None:
    schools = sample_plan.district.schools
    strips = np.argsort(np.argsort(schools["lat"].to_numpy(), kind="stable")) * 20 // len(schools)
    labels = np.array([f"P{strip}" for strip in strips], dtype=object)  # 20 bands from south to north
    edges = delaunay_edges(schools["lat"], schools["lon"])
    colours = portfolio_colours(labels, edges)
    assert set(colours.values()) == set(PALETTE)
    assert all(colours[labels[a]] != colours[labels[b]] for a, b in edges if labels[a] != labels[b])


EDIT = re.compile(r"var FEEDER_EDIT = (\{.*?\});</script>", re.S)


def popup(page: str, school_id: str) -> dict[str, str]:
    school = next(f for f in features(page, "schools") if f["properties"]["id"] == school_id)
    return dict(map(tuple, school["properties"]["rows"]))


def test_popups_name_the_school_id_and_programs_in_words(pages: dict[str, str]) -> None:
    rows = popup(pages["index.html"], "E1")
    assert rows["School id"] == "E1"
    assert rows["Programs"] == "Dual language: Spanish"
    assert "dual_language" not in pages["index.html"].split("var FEEDER_EDIT")[0]
    assert rows["Enrollment"] == "500 students of 600 seats"


def test_maps_call_split_schools_what_the_graph_calls_split_feeders(pages: dict[str, str]) -> None:
    """The graph's "split feeder" (past its main next school) is another idea than a split school."""
    for page in pages.values():
        assert "split feeder" not in page.lower()
        assert "Split school: sends &gt;10 %" in page or "Split school: sends >10 %" in page
    assert "(split school)" in popup(pages["index.html"], "E2")["Sends"]


def test_key_scales_flow_width_in_students(pages: dict[str, str], plan: Plan) -> None:
    page = pages["index.html"]
    key = page[page.index('class="feeder-map-key"') :]
    scale = [
        (int(n.replace(",", "")), float(w))
        for w, n in re.findall(r'stroke-width="([\d.]+)"/></svg><span>Flow of ([\d,]+) students', key)
    ]
    assert [n for n, _ in scale] == [100, 20, 5]  # the largest flow carries 150 students
    drawn = {f["properties"]["students"]: f["properties"]["weight"] for f in features(page, "flows")}
    assert drawn[90] < scale[0][1] < drawn[140]  # 100 students: between the map's 90- and 140-student lines
    assert scale[0][1] > scale[1][1] > scale[2][1] >= 1.0


def test_todays_plan_by_level_is_explained(plan: Plan, tmp_path: Path) -> None:
    levels = plan.district.schools["level"].replace({"span": "elementary"}).to_numpy(dtype=object)
    by_level = Plan(plan.district, levels, provenance=Provenance(source=CURRENT))
    render_maps(by_level, tmp_path / "by-level")
    assert "organized by level" in (tmp_path / "by-level" / "index.html").read_text(encoding="utf-8")
    render_maps(plan, tmp_path / "mixed")
    assert "organized by level" not in (tmp_path / "mixed" / "index.html").read_text(encoding="utf-8")


def test_every_flow_count_passes_the_publishing_rule(
    plan: Plan, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """feeder.maps.counts decides how every flow count appears, so the privacy rule is hooked in there."""
    monkeypatch.setattr("feeder.maps.counts.published_count", lambda students, *, privacy: 7.0)
    monkeypatch.setattr("feeder.maps.counts.count_text", lambda students, *, privacy: "7")
    monkeypatch.setattr("feeder.maps.counts.scored_count", lambda students, *, privacy: 7.0)
    render_maps(plan, tmp_path)
    for path in tmp_path.glob("*.html"):
        page = path.read_text(encoding="utf-8")
        assert {f["properties"]["students"] for f in features(page, "flows")} == {7.0}
        for school in features(page, "schools"):
            rows = dict(map(tuple, school["properties"]["rows"]))
            assert "Sends" not in rows or " of 7 students" in rows["Sends"]
    edit = json.loads(EDIT.search((tmp_path / "index.html").read_text(encoding="utf-8")).group(1))
    assert {flow[2] for flow in edit["flows"]} == {7.0}


def test_edit_data_holds_what_the_metrics_read(plan: Plan, pages: dict[str, str]) -> None:
    edit = json.loads(EDIT.search(pages["index.html"]).group(1).replace("<\\/", "</"))
    schools = plan.district.schools
    assert edit["ids"] == plan.district.ids
    assert edit["labels"] == list(plan.labels)
    assert {tuple(e) for e in edit["edges"]} == delaunay_edges(schools["lat"], schools["lon"])
    flows = plan.district.internal_flows()
    assert [(edit["ids"][a], edit["ids"][b], s) for a, b, s in edit["flows"]] == list(
        zip(flows["from_id"], flows["to_id"], flows["students"].astype(float), strict=True)
    )
    assert sorted(owner for owner, _ in edit["cells"]) == sorted(set(range(len(schools))))


@pytest.mark.parametrize(
    ("tag", "words"),
    [
        ("dual_language:spanish", "Dual language: Spanish"),
        ("magnet:stem", "STEM magnet"),
        ("Magnet:Law", "Law magnet"),
        ("ib", "International Baccalaureate (IB)"),
        ("linked_learning:arts_media", "Linked Learning: Arts media"),
        ("gate", "GATE"),
        ("cte:it", "CTE: IT"),
    ],
)
def test_programs_read_as_words(tag: str, words: str) -> None:
    assert program_name(tag) == words


def test_a_portfolio_whose_sites_are_all_shared_still_gets_its_cohort_page(tmp_path: Path) -> None:
    """The real sample has campuses shared by several schools; grouped by feeder pattern, some
    small patterns own no Voronoi cell of their own (the cell goes to the first school on the site)."""
    schools = pd.read_csv(SAMPLE / "schools.csv", dtype=str, keep_default_na=False).drop(columns="portfolio")
    folder = tmp_path / "no-plan"
    folder.mkdir()
    schools.to_csv(folder / "schools.csv", index=False)
    (folder / "flows.csv").write_bytes((SAMPLE / "flows.csv").read_bytes())
    assert main(["map", str(folder), "--out", str(tmp_path / "maps")]) == 0
    pages = sorted((tmp_path / "maps").glob("cohort-*.html"))
    assert len(pages) == len(set(plan_to_show(load_district(folder), None).labels))


def test_popups_explain_where_each_schools_students_come_from_and_go(tmp_path: Path) -> None:
    """Every school's popup lists its flows by portfolio, and they add up to its flows in flows.csv."""
    district = load_district(SAMPLE)
    plan = Plan.current(district)
    render_maps(plan, tmp_path)
    page = (tmp_path / "index.html").read_text(encoding="utf-8")
    flows = pd.read_csv(SAMPLE / "flows.csv", dtype={"from_id": str, "to_id": str})
    flows = flows[flows["to_id"] != "OUT"]
    portfolio = dict(zip(district.ids, plan.labels, strict=True))
    school = flows.groupby("from_id")["students"].sum().idxmax()
    sent = flows[flows["from_id"] == school]
    expected = sent.groupby(sent["to_id"].map(portfolio))["students"].sum()
    layers = data(page)
    rows = next(
        f["properties"]["rows"] for f in layers["schools"]["features"] if f["properties"]["id"] == school
    )
    listing = dict(rows)["Students by portfolio"]
    for name, students in expected.items():
        assert f"to {students:,.0f} students" in next(
            line for line in listing.split("<br>") if line.startswith(name)
        )


def test_a_shared_campus_fans_its_schools_out_and_names_them(sample_plan: Plan) -> None:
    """Esteban Torres High's five schools share one site: each symbol gets its own spot around it
    (the browser test checks each is visible and clickable) and its popup names the other four."""
    from feeder.maps.features import school_features

    features_by_name = {
        f["properties"]["name"]: f["properties"] for f in school_features(build_model(sample_plan))
    }
    schools = sample_plan.district.schools
    where = schools[["lat", "lon"]].round(5)
    site = where[schools["name"] == "Esteban Torres East LA Performing Arts Magnet"].iloc[0]
    torres = [
        features_by_name[html.escape(name)] for name in schools.loc[(where == site).all(axis=1), "name"]
    ]
    assert len(torres) == 5 and len({tuple(p["fan"]) for p in torres}) == 5
    for school in torres:
        campus = dict(map(tuple, school["rows"]))["Same site as"]
        assert sorted(campus.split(", ")) == sorted(p["name"] for p in torres if p is not school)
    alone = features_by_name["Tweedy Elementary"]
    assert "fan" not in alone and "Same site as" not in dict(map(tuple, alone["rows"]))


@given(
    radii=st.lists(st.floats(min_value=4.0, max_value=11.0), min_size=2, max_size=12),
    lat=st.floats(min_value=-60, max_value=60),
)
def test_fanned_symbols_on_one_site_never_overlap(radii: list[float], lat: float) -> None:
    """However many schools share a site, their symbols (a star reaches 1.4 radii) stay apart."""
    facts = pd.DataFrame({"lat": lat, "lon": 10.0, "radius": radii})
    fan, campus = shared_sites(facts)
    points = np.array(fan, dtype=float)
    gaps = np.hypot(*(points[:, None, :] - points[None, :, :]).transpose(2, 0, 1))
    np.fill_diagonal(gaps, np.inf)
    assert gaps.min() >= 2 * REACH * max(radii) - 0.2  # offsets are rounded to 0.1 px
    assert all(sorted(others) == [j for j in range(len(radii)) if j != i] for i, others in enumerate(campus))
