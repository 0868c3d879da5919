"""Inline Leaflet and feeder's own script and styles so every map opens with no network.

folium links Leaflet, jQuery and Bootstrap from CDNs; a board room or a locked-down
laptop may have no network. Leaflet comes from the XStatic-Leaflet package (the same
1.9.3 folium targets) and is written into each page; nothing feeder draws needs jQuery
or Bootstrap, so they are dropped. Only the optional base tiles still come from the web.
"""

from __future__ import annotations

import base64
import functools
import re
from pathlib import Path

import folium
from branca.element import Figure
from xstatic.pkg import leaflet

from feeder.maps.elements import Raw
from feeder.maps.symbols import symbols_script

LEAFLET = Path(leaflet.BASE_DIR)
HERE = Path(__file__).parent
SOURCE_MAP = re.compile(r"\n?//# sourceMappingURL=\S+")
CSS_IMAGE = re.compile(r"url\((images/[\w.-]+\.png)\)")


@functools.cache
def leaflet_js() -> str:
    """leaflet.js without its source-map comment (the map file is not shipped in the page)."""
    return SOURCE_MAP.sub("", (LEAFLET / "leaflet.js").read_text(encoding="utf-8"))


@functools.cache
def leaflet_css() -> str:
    """leaflet.css with its images (layer-control icon, default marker) as data URIs."""
    css = (LEAFLET / "leaflet.css").read_text(encoding="utf-8")
    return CSS_IMAGE.sub(lambda match: f"url({data_uri(LEAFLET / match.group(1))})", css)


def data_uri(path: Path) -> str:
    return "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode("ascii")


@functools.cache
def own_file(name: str) -> str:
    """feeder's own script or stylesheet shipped next to this module."""
    return (HERE / name).read_text(encoding="utf-8")


def make_offline(figure: Figure, folium_map: folium.Map) -> None:
    """Replace folium's CDN links with inline Leaflet plus feeder's map script and styles."""
    folium_map.default_js = []
    folium_map.default_css = []
    header = figure.header
    header.add_child(Raw(f"<style>{leaflet_css()}</style>"), name="leaflet_css")
    header.add_child(Raw(f"<style>{own_file('maps.css')}</style>"), name="feeder_css")
    header.add_child(Raw(f"<script>{leaflet_js()}</script>"), name="leaflet_js")
    header.add_child(Raw(f"<script>{symbols_script()}\n{own_file('maps.js')}</script>"), name="feeder_js")
