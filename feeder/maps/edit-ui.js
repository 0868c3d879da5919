/* feeder edit mode on the overview map: select schools, move them between portfolios, lock them,
 * undo / redo, download the plan and the locks; the scorecard and the map follow every change.
 *
 * Page API (stable, used by tests and power users): window.feeder.assign(id, portfolio),
 * scorecard(), planCsv(), locksCsv(), lock(id), unlock(id), undo(), redo(), setPlan({id: portfolio}).
 * A design server may define window.feederServer = {design: function (locks, options) → Promise
 * of {plan: {id: portfolio}}, keeps: "what a re-design keeps"} before the page loads; a
 * "Re-design around my locks" button then appears, with the `keeps` line beside it, and the
 * spec's locks (which the server keeps) cannot be unlocked.
 */
var feederEdit = (function () {
  "use strict";

  // A locked school's outline (feeder/maps/symbols.py, which draws it in the map key too).
  var SELECTED = "#1f5fa8", LOCKED = FEEDER_LOCKED;

  var escapeHtml = feederPanel.escapeHtml;

  function download(name, text) {
    var link = document.createElement("a");
    link.href = URL.createObjectURL(new Blob([text], {type: "text/csv"}));
    link.download = name;
    document.body.appendChild(link);
    link.click();
    link.remove();
  }

  // The colour of each portfolio: kept once given; a new one takes an unused palette colour, else
  // one no neighbouring portfolio has.
  function colourBook(data) {
    var colours = Object.assign(Object.create(null), data.colours);
    return function (name, labels) {
      if (colours[name]) { return colours[name]; }
      var used = new Set(Object.keys(colours).map(function (k) { return colours[k]; }));
      var near = new Set();
      data.edges.forEach(function (e) {
        if ((labels[e[0]] === name) !== (labels[e[1]] === name)) {
          near.add(colours[labels[labels[e[0]] === name ? e[1] : e[0]]]);
        }
      });
      colours[name] = data.palette.find(function (c) { return !used.has(c); }) ||
        data.palette.find(function (c) { return !near.has(c); }) || data.palette[0];
      return colours[name];
    };
  }

  function start() {
    if (typeof FEEDER_EDIT === "undefined" || !feeder.layers.schools) { return; }
    var data = FEEDER_EDIT, layers = feeder.layers, map = layers.schools._map;
    var server = window.feederServer && typeof window.feederServer.design === "function";
    var colourOf = colourBook(data), selected = new Set(), editing = false, card = null;
    var markers = [], cells = null;
    layers.schools.eachLayer(function (marker) { markers[marker.feature.properties.i] = marker; });
    var plan = feederPlan(data, redraw, server);
    var ui = buildPanel();

    function buildPanel() {
      var box = document.querySelector(".feeder-edit");
      var refs = {};
      box.querySelectorAll("[data-ref]").forEach(function (node) { refs[node.dataset.ref] = node; });
      refs.toggle.addEventListener("click", function () { setEditing(!editing); });
      refs.clear.addEventListener("click", function () { select([]); });
      refs.move.addEventListener("click", moveSelection);
      refs.lock.addEventListener("click", function () { plan.lock(selectedIds()); });
      refs.unlock.addEventListener("click", unlockSelection);
      refs.undo.addEventListener("click", plan.undo);
      refs.redo.addEventListener("click", plan.redo);
      refs.savePlan.addEventListener("click", function () { download("portfolios.csv", plan.planCsv()); });
      refs.saveLocks.addEventListener("click", function () { download("locks.csv", plan.locksCsv()); });
      if (server) {
        refs.redesign.hidden = false;
        refs.redesign.addEventListener("click", redesign);
        if (window.feederServer.keeps) {
          refs.keeps.textContent = "Re-design keeps: " + window.feederServer.keeps;
          refs.keeps.hidden = false;
        }
      }
      return refs;
    }

    function selectedIds() {
      return Array.from(selected).sort(function (a, b) { return a - b; }).map(function (i) { return data.ids[i]; });
    }

    function select(positions) {
      selected = new Set(positions);
      redraw();
    }

    function toggle(i) {
      if (selected.has(i)) { selected.delete(i); } else { selected.add(i); }
      redraw();
    }

    function moveSelection() {
      var target = ui.target.value === "" ? ui.newName.value : ui.target.value;
      if (!String(target).trim()) {
        ui.message.textContent = "Name the new portfolio first.";
        return;
      }
      var ids = selectedIds(), moved = plan.assign(ids, target);
      var kept = ids.filter(function (id) { return plan.locked(plan.index(id)); }).length;
      ui.message.textContent = "Moved " + moved + " school" + (moved === 1 ? "" : "s") + " to " + target +
        (kept ? "; " + kept + " locked school" + (kept === 1 ? "" : "s") + " stayed" : "") + ".";
    }

    // Locks the server holds (the spec's) stay; the message says why, so the button is not ignored.
    function unlockSelection() {
      var ids = selectedIds(), kept = ids.filter(function (id) { return plan.held(plan.index(id)); }).length;
      plan.unlock(ids);
      if (kept) {
        var them = kept === 1 ? "it" : "them";
        ui.message.textContent = kept + " school" + (kept === 1 ? " stays" : "s stay") + " locked: the plan's " +
          "spec locks " + them + " and every re-design keeps the spec (restart feeder serve with another " +
          "--lock to free " + them + ").";
      }
    }

    // The sizes sent are the page's; `feeder serve` refuses them unless they are its own spec's.
    function redesign() {
      var before = plan.labels(), was = card.cohesion, locks = plan.lockMap();
      ui.message.textContent = "Re-designing around " + plan.lockedIds().length + " locked schools…";
      window.feederServer.design(locks, {min_size: data.minSize, max_size: data.maxSize}).then(function (answer) {
        var changed = plan.setPlan(answer.plan);
        ui.message.textContent = changeNote(changed, movedBetween(before, plan.labels()), was, card);
      }, function (error) {
        ui.message.textContent = "Re-design failed: " + error;
      });
    }

    // Schools in another portfolio after the best one-to-one matching of old and new names (as
    // `feeder compare` and the `moved` metric match them): a renamed portfolio moves no school.
    function movedBetween(before, after) {
      var oldIndex = new Map(), newIndex = new Map();
      before.forEach(function (name) { if (!oldIndex.has(name)) { oldIndex.set(name, oldIndex.size); } });
      after.forEach(function (name) { if (!newIndex.has(name)) { newIndex.set(name, newIndex.size); } });
      var overlap = Array.from(newIndex.keys(), function () { return new Array(oldIndex.size).fill(0); });
      after.forEach(function (name, i) { overlap[newIndex.get(name)][oldIndex.get(before[i])] += 1; });
      return after.length - feederScore.maxMatching(overlap);
    }

    // What a re-design changed: schools moved and cohesion before → after.
    function changeNote(changed, moved, was, after) {
      var cohesion = function (value) {
        return value === null ? "—" : (after.approximate ? "≈ " : "") + (100 * value).toFixed(1) + " %";
      };
      if (!changed) { return "The re-design kept the plan as it is (cohesion " + cohesion(was) + ")."; }
      return "Proposal applied: " + moved + " school" + (moved === 1 ? "" : "s") + " moved, cohesion " +
        cohesion(was) + " → " + cohesion(after.cohesion) + "; Undo discards it.";
    }

    function setEditing(on) {
      editing = on;
      ui.toggle.textContent = on ? "Stop editing" : "Edit this plan";
      ui.tools.hidden = !on;
      map.boxZoom[on ? "disable" : "enable"]();
      markers.forEach(function (marker) {
        if (on) { marker.unbindPopup(); } else { marker.bindPopup(feeder.schoolPopup, {maxWidth: 360}); }
      });
      if (!on) { select([]); }
    }

    markers.forEach(function (marker, i) {
      marker.on("click", function () { if (editing) { toggle(i); } });
    });
    rectangleSelect();

    // Shift-drag draws a rectangle; the schools inside join the selection.
    function rectangleSelect() {
      var origin = null, box = null;
      map.on("mousedown", function (event) {
        if (!editing || !event.originalEvent.shiftKey) { return; }
        L.DomEvent.preventDefault(event.originalEvent);  // no focus (and focus ring) on the shape pressed
        origin = event.latlng;
        map.dragging.disable();
        box = L.rectangle(L.latLngBounds(origin, origin), {color: SELECTED, weight: 1, interactive: false}).addTo(map);
      });
      map.on("mousemove", function (event) {
        if (box) { box.setBounds(L.latLngBounds(origin, event.latlng)); }
      });
      map.on("mouseup", function (event) {
        if (!box) { return; }
        var bounds = L.latLngBounds(origin, event.latlng);  // where the button was released, moved or not
        box.remove();
        box = null;
        map.dragging.enable();
        data.ids.forEach(function (_, i) {
          if (bounds.contains([data.lat[i], data.lon[i]])) { selected.add(i); }
        });
        redraw();
      });
    }

    function redraw() {
      var labels = plan.labels();
      card = feederScore.scorecard(data, labels);
      drawSchools(labels);
      layers.flows.eachLayer(function (line) {
        var p = line.feature.properties;
        p.crossing = labels[p.a] !== labels[p.b];
        restyle(line, feeder.flowStyle(line.feature));
      });
      drawMeetingSites();
      if (labels.some(function (label, i) { return label !== data.labels[i]; }) || cells) { drawAreas(labels); }
      var lockKey = document.querySelector(".feeder-key-locked");
      if (lockKey) { lockKey.hidden = plan.lockedIds().length === 0; }  // the key explains a lock once one shows
      var first = selected.size ? labels[Math.min.apply(null, Array.from(selected))] : null;
      feederPanel.show(ui, card, {colourOf: function (name) { return colourOf(name, labels); }, data: data,
        selected: selected.size, current: first, locked: plan.lockedIds().length,
        canUndo: plan.canUndo(), canRedo: plan.canRedo()});
    }

    // The nearest meeting site of another portfolio, as `feeder explain` finds it (portfolios in
    // name order, the first on ties): "Name (Portfolio), 7.5 km", escaped for the popup.
    function nearestOtherSite(i, labels) {
      var best = null, bestKm = Infinity;
      card.details.portfolios.forEach(function (p) {
        if (p.name === labels[i]) { return; }
        var km = feederScore.km(data, i, p.meetingSite);
        if (km < bestKm) { best = p; bestKm = km; }
      });
      return best === null ? null : escapeHtml(data.names[best.meetingSite]) + " (" + escapeHtml(best.name) +
        "), " + bestKm.toFixed(1) + " km";
    }

    function drawSchools(labels) {
      var details = card.details, sites = Object.create(null), flows = feederPanel.schoolFlows(data, labels);
      details.portfolios.forEach(function (p) { sites[p.name] = p.meetingSite; });
      markers.forEach(function (marker, i) {
        var p = marker.feature.properties, colour = colourOf(labels[i], labels);
        p.portfolio = escapeHtml(labels[i]);
        p.colour = colour;
        p.split = details.split[i];
        feederPanel.updateRows(p, {
          portfolio: p.portfolio,
          site: sites[labels[i]] === i ? "this school" : details.km[i].toFixed(1) + " km away",
          nearest: nearestOtherSite(i, labels),
          sent: details.sent[i], crossing: details.crossing[i], split: p.split, own: labels[i], flows: flows[i]
        }, data);
        var style = feeder.schoolStyle(p);
        if (plan.locked(i)) { Object.assign(style, LOCKED); }
        if (selected.has(i)) { style.color = SELECTED; style.weight = 4; style.dashArray = null; }
        restyle(marker, style);
      });
    }

    // setStyle only where the style changed: a 700-school district redraws in a few milliseconds.
    function restyle(layer, style) {
      var key = JSON.stringify(style);
      if (layer.feederStyle !== key) {
        layer.feederStyle = key;
        layer.setStyle(style);
      }
    }

    function drawMeetingSites() {
      layers.meeting.clearLayers();
      card.details.portfolios.forEach(function (p) {
        var marker = markers[p.meetingSite];
        layers.meeting.addLayer(feeder.meetingSite(marker.feature, marker.getLatLng()));
      });
    }

    // A cell corner (an index into data.vertices) as a Leaflet [lat, lon].
    function corner(k) {
      return [data.vertices[k][1], data.vertices[k][0]];
    }

    // The borders between touching cells: the edges two cells share (touching cells share their
    // corners, editor.py), grouped by the two owners as {a, b, segments of [lat, lon] points}.
    function cellBorders() {
      var owner = new Map(), borders = new Map();
      data.cells.forEach(function (cell) {
        cell[1].forEach(function (polygon) {
          polygon.forEach(function (ring) {
            ring.forEach(function (p, k) {
              var q = ring[(k + 1) % ring.length], edge = p < q ? p + " " + q : q + " " + p;
              var other = owner.get(edge);
              if (other === undefined) { owner.set(edge, cell[0]); return; }
              var pair = other + " " + cell[0];
              if (!borders.has(pair)) { borders.set(pair, {a: other, b: cell[0], segments: []}); }
              borders.get(pair).segments.push([corner(p), corner(q)]);
            });
          });
        });
      });
      return Array.from(borders.values());
    }

    // Edited areas: every site's Voronoi cell in its school's colour, a line where portfolios meet.
    function drawAreas(labels) {
      if (!cells) {
        layers.areas.clearLayers();
        cells = data.cells.map(function (cell) {
          var polygon = L.polygon(cell[1].map(function (part) {
            return part.map(function (ring) { return ring.map(corner); });
          }), {stroke: false, fillOpacity: 0.22, interactive: false});
          layers.areas.addLayer(polygon);
          return {owner: cell[0], polygon: polygon};
        });
        cells.borders = cellBorders().map(function (border) {
          border.line = L.polyline(border.segments, {color: "#333333", weight: 1.5, opacity: 0.8, interactive: false});
          return border;
        });
        cells.names = L.layerGroup().addTo(layers.areas);
      }
      cells.forEach(function (cell) { restyle(cell.polygon, {fillColor: colourOf(labels[cell.owner], labels)}); });
      cells.borders.forEach(function (border) {
        var shown = layers.areas.hasLayer(border.line);
        if ((labels[border.a] !== labels[border.b]) !== shown) {
          layers.areas[shown ? "removeLayer" : "addLayer"](border.line);
        }
      });
      cells.names.clearLayers();
      card.details.portfolios.forEach(function (p) {
        var icon = L.divIcon({
          className: "feeder-area-label", html: "<span>" + escapeHtml(p.name) + "</span>", iconSize: null
        });
        cells.names.addLayer(L.marker([data.lat[p.meetingSite], data.lon[p.meetingSite]],
          {icon: icon, interactive: false, keyboard: false}));
      });
    }

    function one(fn) {
      return function (schoolId) { return fn([schoolId]); };
    }

    Object.assign(feeder, {
      assign: function (schoolId, portfolio) { return plan.assign([schoolId], portfolio); },
      scorecard: function () {
        var copy = JSON.parse(JSON.stringify(card));
        ["km", "sent", "crossing", "split"].forEach(function (key) { delete copy.details[key]; });
        copy.details.portfolios.forEach(function (p) { p.meetingSite = data.ids[p.meetingSite]; });
        return copy;
      },
      planCsv: plan.planCsv, locksCsv: plan.locksCsv, lock: one(plan.lock), unlock: one(plan.unlock),
      undo: plan.undo, redo: plan.redo, setPlan: plan.setPlan,
      edit: setEditing,
      select: function (schoolIds) { select(schoolIds.map(plan.index)); }
    });
    redraw();
  }

  document.addEventListener("DOMContentLoaded", start);
  return {start: start};
})();
