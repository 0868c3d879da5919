/* feeder maps: school symbols, styles, tooltips and popups drawn with Leaflet alone.
 *
 * Symbols are vector paths in screen pixels (no icon images, fonts or network), the
 * same size at every zoom. Every text property arriving here was HTML-escaped by
 * Python, so it may be written into tooltips and popups as it is.
 */
var feeder = (function () {
  "use strict";

  // From feeder/maps/symbols.py, which draws the legend: corners in units of the marker
  // radius (elementary schools stay circles) and the colours of outlines and lines.
  var SHAPES = FEEDER_SYMBOLS, COLOURS = FEEDER_COLOURS;

  // A circle drawn `options.fan` pixels ([dx, dy]) off its site: schools sharing a campus fan out
  // around it at every zoom instead of hiding one another.
  var Fanned = L.CircleMarker.extend({
    _project: function () {
      L.CircleMarker.prototype._project.call(this);
      var fan = this.options.fan;
      if (fan) {
        this._point = this._point.add([fan[0], fan[1]]);
        this._updateBounds();
      }
    }
  });

  var Symbol = Fanned.extend({
    _updatePath: function () {
      var corners = SHAPES[this.options.level];
      if (!corners) {
        return Fanned.prototype._updatePath.call(this);
      }
      var p = this._point, r = this._radius;
      this._renderer._setPath(this, "M" + corners.map(function (c) {
        return (p.x + c[0] * r).toFixed(1) + "," + (p.y + c[1] * r).toFixed(1);
      }).join("L") + "z");
    }
  });

  // School properties by id, filled as the school layers load; line tooltips name their ends from it.
  var schools = Object.create(null);

  // 12,345: thousands separated (toLocaleString is slow enough to show when 700 popups are refreshed);
  // a count suppressed for privacy arrives as text ("<10") and is shown as it is.
  function count(students) {
    if (typeof students === "string") { return students.replace("<", "&lt;"); }
    return String(Math.round(students)).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  }

  function table(rows) {
    return "<table>" + rows.map(function (row) {
      return "<tr><th>" + row[0] + "</th><td>" + row[1] + "</td></tr>";
    }).join("") + "</table>";
  }

  // Outline and fill of a school symbol; the edit mode restyles with it when the plan changes.
  function schoolStyle(p) {
    return {
      color: p.split ? COLOURS.split : "#222222",
      weight: p.split ? 2.5 : 1,
      dashArray: null,
      fillColor: p.colour,
      fillOpacity: p.context ? 0.35 : 0.95,
      opacity: p.context ? 0.6 : 1
    };
  }

  function school(feature, latlng) {
    var p = feature.properties;
    return new Symbol(latlng, L.extend(schoolStyle(p), {
      level: p.level,
      radius: p.radius,
      fan: p.fan,
      className: p.context ? "feeder-other" : "feeder-school"
    }));
  }

  // Read when opened, so the edit mode can change a school's rows in place.
  function schoolPopup(layer) {
    var p = layer.feature.properties;
    return "<h3>" + p.name + "</h3>" + table([["Level", p.kind]].concat(p.rows));
  }

  function bindSchool(feature, layer) {
    var p = feature.properties;
    schools[p.id] = p;
    layer.bindTooltip("<b>" + p.name + "</b> · " + p.kind);
    layer.bindPopup(schoolPopup, {maxWidth: 360});
  }

  function meetingSite(feature, latlng) {
    return new Fanned(latlng, {
      fan: feature.properties.fan,
      radius: feature.properties.radius + 5, color: "#111111", weight: 2.5,
      dashArray: "4 3", fill: false, interactive: false, className: "feeder-meeting-site"
    });
  }

  // A red ring around a school whose site the load warnings doubt (a likely wrong geocode).
  function checkRing(feature, latlng) {
    return new Fanned(latlng, {
      fan: feature.properties.fan,
      radius: feature.properties.radius + 9, color: COLOURS.check, weight: 2.5,
      fill: false, interactive: false, className: "feeder-check"
    });
  }

  function area(feature, latlng) {
    var p = feature.properties;
    var icon = L.divIcon({
      className: "feeder-area-label" + (p.focus ? "" : " feeder-context"),
      html: "<span>" + p.name + "</span>",
      iconSize: null
    });
    return L.marker(latlng, {icon: icon, interactive: false, keyboard: false});
  }

  // Area names that would cover a name drawn before them are hidden until a zoom gives them
  // room (35 names piled up over central Los Angeles); the map checks after every zoom or pan.
  function declutter(map) {
    var labels = Array.prototype.slice.call(map.getContainer().querySelectorAll(".feeder-area-label span"));
    labels.forEach(function (label) { label.style.visibility = ""; });
    var boxes = labels.map(function (label) { return label.getBoundingClientRect(); });  // one layout
    var shown = [];
    boxes.forEach(function (box, k) {
      var covers = shown.some(function (other) {
        return box.left < other.right && other.left < box.right && box.top < other.bottom && other.top < box.bottom;
      });
      if (covers) {
        labels[k].style.visibility = "hidden";
      } else {
        shown.push(box);
      }
    });
  }

  L.Map.addInitHook(function () {
    var map = this, pending = false;
    map.on("zoomend moveend layeradd", function () {
      if (!pending) {
        pending = true;
        setTimeout(function () { pending = false; declutter(map); }, 0);
      }
    });
  });

  function areaStyle(feature) {
    var p = feature.properties;
    return p.focus
      ? {color: p.colour, weight: 2, opacity: 0.9, fillColor: p.colour, fillOpacity: 0.22}
      : {color: "#777777", weight: 1, opacity: 0.7, dashArray: "3 3", fillColor: "#bbbbbb", fillOpacity: 0.08};
  }

  function bindArea(feature, layer) {
    var p = feature.properties;
    if (feature.geometry.type !== "Point") {
      layer.bindTooltip(p.summary, {sticky: true});
      if (p.link) {
        layer.bindPopup("<b>" + p.name + "</b><br>" + p.summary +
          '<br><a href="' + p.link + '">Open the cohort map</a>');
      }
    }
  }

  function regionStyle() {
    return {color: COLOURS.region, weight: 3, opacity: 0.85, fill: false, interactive: false};
  }

  // Both styles set every property either sets: the edit mode restyles a line in place when it
  // starts or stops crossing, and Leaflet's setStyle keeps what a new style leaves out (a flow
  // drawn inside one portfolio stayed dashed after a re-design).
  function flowStyle(feature) {
    var p = feature.properties;
    return p.crossing
      ? {color: COLOURS.crossing, weight: p.weight, opacity: 0.9, dashArray: "8 5", lineCap: "butt"}
      : {color: COLOURS.flow, weight: p.weight, opacity: 0.55, dashArray: null, lineCap: "round"};
  }

  function brokenStyle() {
    return {color: COLOURS.broken, weight: 3, opacity: 0.9, dashArray: "2 6"};
  }

  function ends(p) {
    return schools[p.from].name + " → " + schools[p.to].name;
  }

  function flowTip(layer) {
    var p = layer.feature.properties, tip = ends(p) + ": " + count(p.students) + " students";
    if (p.crossing) {
      tip += "<br>crosses from " + schools[p.from].portfolio + " to " + schools[p.to].portfolio;
    }
    return tip;
  }

  function brokenTip(layer) {
    var p = layer.feature.properties;
    return ends(p) + (p.students === null ? "" : ": " + count(p.students) + " students") +
      "<br>program not continued:<br>" + p.stops.join("<br>");
  }

  function bindFlow(feature, layer) {
    layer.bindTooltip(flowTip, {sticky: true});
  }

  function bindBroken(feature, layer) {
    layer.bindTooltip(brokenTip, {sticky: true});
  }

  // Each school drawn on the page by id (its feature in FEEDER_DATA), built on first use.
  var drawn = null;

  function drawnSchool(id) {
    if (!drawn) {
      drawn = Object.create(null);
      ["schools", "others"].forEach(function (key) {
        (FEEDER_DATA[key] ? FEEDER_DATA[key].features : []).forEach(function (f) { drawn[f.properties.id] = f; });
      });
    }
    return drawn[id];
  }

  // A layer's features, each line between two schools (a flow, a broken pathway: written without
  // geometry, see features.py) completed: drawn between its ends' sites, with their positions in
  // schools.csv (a, b: the edit mode's) and whether it crosses a portfolio line.
  function layerData(key) {
    var collection = FEEDER_DATA[key];
    collection.features.forEach(function (f) {
      var p = f.properties;
      if (f.geometry !== null || p.from === undefined) { return; }
      var a = drawnSchool(p.from), b = drawnSchool(p.to);
      f.geometry = {type: "LineString", coordinates: [a.geometry.coordinates, b.geometry.coordinates]};
      p.a = a.properties.i;
      p.b = b.properties.i;
      p.crossing = a.properties.portfolio !== b.properties.portfolio;
    });
    return collection;
  }

  // Each page layer by its FEEDER_DATA key, for the edit mode.
  var layers = Object.create(null);

  function register(key, layer) {
    layers[key] = layer;
    return layer;
  }

  return {
    layers: layers, register: register, layerData: layerData, schoolPopup: schoolPopup, schoolStyle: schoolStyle, count: count,
    school: school, bindSchool: bindSchool, meetingSite: meetingSite, checkRing: checkRing,
    area: area, areaStyle: areaStyle, bindArea: bindArea, regionStyle: regionStyle,
    flowStyle: flowStyle, brokenStyle: brokenStyle, bindFlow: bindFlow, bindBroken: bindBroken
  };
})();
