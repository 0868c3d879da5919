/* feeder edit mode: the plan being edited — labels, locks, undo/redo and the two CSV downloads.
 *
 * No drawing here: every change calls the listeners given to `feederPlan`, which redraw.
 * One undo step is one user action (assigning a whole selection is one step).
 */
var feederPlan = function (data, onChange) {
  "use strict";

  var labels = data.labels.slice(), locks = new Map(), past = [], future = [];
  var position = new Map(data.ids.map(function (id, i) { return [id, i]; }));

  function index(schoolId) {
    var i = position.get(String(schoolId));
    if (i === undefined) { throw new Error("'" + schoolId + "' is not a school of the district"); }
    return i;
  }

  function snapshot() {
    return {labels: labels.slice(), locks: new Map(locks)};
  }

  function restore(state) {
    labels = state.labels;
    locks = state.locks;
    onChange();
  }

  // Apply `change` (which edits labels / locks and says whether anything changed) as one undo step.
  function step(change) {
    var before = snapshot();
    if (!change()) { return false; }
    past.push(before);
    future = [];
    onChange();
    return true;
  }

  // Move schools to a portfolio (new or existing); locked schools stay. Returns how many moved.
  function assign(schoolIds, portfolio) {
    var name = String(portfolio).trim();
    if (!name) { throw new Error("a portfolio needs a name"); }
    var moving = schoolIds.map(index).filter(function (i) { return !locks.has(i) && labels[i] !== name; });
    step(function () {
      moving.forEach(function (i) { labels[i] = name; });
      return moving.length > 0;
    });
    return moving.length;
  }

  // Replace the whole plan (e.g. a proposal from a design server) as one undo step; locks stay.
  function setPlan(mapping) {
    var next = data.ids.map(function (id, i) {
      return Object.prototype.hasOwnProperty.call(mapping, id) ? String(mapping[id]) : labels[i];
    });
    return step(function () {
      var changed = next.some(function (label, i) { return label !== labels[i]; });
      labels = next;
      return changed;
    });
  }

  function lock(schoolIds) {
    var fresh = schoolIds.map(index).filter(function (i) { return !locks.has(i); });
    return step(function () {
      fresh.forEach(function (i) { locks.set(i, true); });
      return fresh.length > 0;
    });
  }

  function unlock(schoolIds) {
    var held = schoolIds.map(index).filter(function (i) { return locks.has(i); });
    return step(function () {
      held.forEach(function (i) { locks.delete(i); });
      return held.length > 0;
    });
  }

  function undo() {
    if (!past.length) { return false; }
    future.push(snapshot());
    restore(past.pop());
    return true;
  }

  function redo() {
    if (!future.length) { return false; }
    past.push(snapshot());
    restore(future.pop());
    return true;
  }

  // A CSV field as pandas writes it: quoted (quotes doubled) only when it holds , " or a line break.
  function field(text) {
    return /[",\r\n]/.test(text) ? '"' + text.replace(/"/g, '""') + '"' : text;
  }

  function csv(rows) {
    return ["school_id,portfolio"].concat(rows.map(function (row) {
      return field(row[0]) + "," + field(row[1]);
    })).join("\n") + "\n";
  }

  // portfolios.csv as `feeder score --plan` reads it (schools.csv order, ids as text).
  function planCsv() {
    return csv(data.ids.map(function (id, i) { return [id, labels[i]]; }));
  }

  // locks.csv as `feeder design --lock` reads it: each locked school with its portfolio now.
  function locksCsv() {
    var locked = data.ids.map(function (_, i) { return i; }).filter(function (i) { return locks.has(i); });
    return csv(locked.map(function (i) { return [data.ids[i], labels[i]]; }));
  }

  return {
    index: index, assign: assign, setPlan: setPlan, lock: lock, unlock: unlock, undo: undo, redo: redo,
    planCsv: planCsv, locksCsv: locksCsv,
    labels: function () { return labels.slice(); },
    locked: function (i) { return locks.has(i); },
    lockedIds: function () { return data.ids.filter(function (_, i) { return locks.has(i); }); },
    canUndo: function () { return past.length > 0; },
    canRedo: function () { return future.length > 0; }
  };
};
