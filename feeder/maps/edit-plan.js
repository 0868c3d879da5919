/* feeder edit mode: the plan being edited — labels, locks, undo/redo and the two CSV downloads.
 *
 * No drawing here: every change calls the listeners given to `feederPlan`, which redraw.
 * One undo step is one user action (assigning a whole selection is one step).
 *
 * The plan's spec may lock schools (data.locks: [school id, lock name], from `feeder design --lock`
 * or scorecard.json): they start locked, under their lock name. With `holdSpecLocks` (a design
 * server, which keeps the spec's locks whatever the page sends) they cannot be unlocked, so the
 * page never shows a school free that every re-design will hold.
 */
var feederPlan = function (data, onChange, holdSpecLocks) {
  "use strict";

  var position = new Map(data.ids.map(function (id, i) { return [id, i]; }));
  // Locked position → its lock name: the spec's, or null for a lock set here (named by its portfolio).
  var specLocks = new Map(data.locks.map(function (lock) { return [index(lock[0]), lock[1]]; }));
  var labels = data.labels.slice(), locks = new Map(specLocks), past = [], future = [];

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
      fresh.forEach(function (i) { locks.set(i, specLocks.has(i) ? specLocks.get(i) : null); });
      return fresh.length > 0;
    });
  }

  // Whether a design server holds this school's lock (the spec's), so it stays locked.
  function held(i) {
    return Boolean(holdSpecLocks) && specLocks.has(i);
  }

  function unlock(schoolIds) {
    var freed = schoolIds.map(index).filter(function (i) { return locks.has(i) && !held(i); });
    return step(function () {
      freed.forEach(function (i) { locks.delete(i); });
      return freed.length > 0;
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

  // Each locked position (schools.csv order) with its lock name: the spec's, else its portfolio now.
  function lockNames() {
    return data.ids.map(function (_, i) { return i; }).filter(function (i) { return locks.has(i); })
      .map(function (i) { return [i, locks.get(i) === null ? labels[i] : locks.get(i)]; });
  }

  // locks.csv as `feeder design --lock` reads it.
  function locksCsv() {
    return csv(lockNames().map(function (lock) { return [data.ids[lock[0]], lock[1]]; }));
  }

  // {school id: lock name}, as a design server takes the page's locks.
  function lockMap() {
    var map = {};
    lockNames().forEach(function (lock) { map[data.ids[lock[0]]] = lock[1]; });
    return map;
  }

  return {
    index: index, assign: assign, setPlan: setPlan, lock: lock, unlock: unlock, undo: undo, redo: redo,
    planCsv: planCsv, locksCsv: locksCsv, lockMap: lockMap, held: held,
    labels: function () { return labels.slice(); },
    locked: function (i) { return locks.has(i); },
    lockedIds: function () { return data.ids.filter(function (_, i) { return locks.has(i); }); },
    canUndo: function () { return past.length > 0; },
    canRedo: function () { return future.length > 0; }
  };
};
