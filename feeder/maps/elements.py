"""The two page elements feeder adds to folium's: raw markup and a GeoJSON layer fed from page data.

folium.GeoJson writes its data into script text that branca then compiles as a Jinja
template: slow for thousands of features, and a school named `{{ ... }}` would be
evaluated. Here data goes into one inline script (`FEEDER_DATA`) that no template
touches, and each layer only names its entry.
"""

from __future__ import annotations

import json

from branca.element import Element
from folium.map import Layer
from folium.template import Template
from folium.utilities import JsCode


class Raw(Element):
    """Markup written into the page as it is; unlike Element(text), braces in it are not Jinja."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text

    def render(self, **kwargs: object) -> str:
        return self.text


class FeatureLayer(Layer):
    """A switchable Leaflet GeoJSON layer over `FEEDER_DATA[key]` (lines completed by maps.js
    `layerData`), drawn by maps.js functions.

    functions: Leaflet GeoJSON options (style, point_to_layer, on_each_feature) naming
    functions of the page script's `feeder` object, which also keeps the layer by key
    (`feeder.layers`) for the edit mode.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = feeder.register({{ this.key|tojson }}, L.geoJson(feeder.layerData({{ this.key|tojson }}), {{ this.options|tojavascript }}));
        {% endmacro %}
        """
    )

    def __init__(self, key: str, name: str, **functions: str) -> None:
        super().__init__(name=name, overlay=True)
        self._name = "FeatureLayer"
        self.key = key
        self.options = {option: JsCode(f"feeder.{function}") for option, function in functions.items()}


def data_script(data: dict, *, variable: str = "FEEDER_DATA") -> Raw:
    """Page data as one inline script; `</` is escaped so no text can end the script."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":")).replace("</", "<\\/")
    return Raw(f"<script>var {variable} = {text};</script>")
