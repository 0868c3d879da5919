/* feeder edit mode: the METRICS.md scorecard of any plan, computed as feeder/metrics.py does, and
 * the spec's broken rules, worded as feeder/constraints.py words them.
 *
 * Pure functions of the page's FEEDER_EDIT data (schools in schools.csv order, internal
 * flows, Delaunay edges, the spec, all from Python) and a labels array (a portfolio per school).
 * Floating-point steps follow numpy's order where it decides a comparison (split shares,
 * medoid totals), so the page and `feeder score` agree to the last digits.
 */
var feederScore = (function () {
  "use strict";

  var SPLIT_ABOVE = 0.10 * (1 + 1e-9), K12_GRADES = [3, 7, 10], EARTH_RADIUS_KM = 6371.0088, RAD = Math.PI / 180;
  var NAMES_SHOWN = 5, CAP_SLACK = 1e-9;  // constraints.py: portfolios named per rule, cap tolerance

  function compare(a, b) {
    return a < b ? -1 : a > b ? 1 : 0;
  }

  // Portfolio → member positions in schools.csv order; portfolios sorted by name (np.unique).
  function groups(labels) {
    var members = Object.create(null);
    labels.forEach(function (label, i) {
      (members[label] = members[label] || []).push(i);
    });
    var names = Object.keys(members).sort(compare);
    return {names: names, members: names.map(function (name) { return members[name]; })};
  }

  // numpy's pairwise summation (used by sum along a contiguous axis), so near-equal totals tie-break alike.
  function pairwiseSum(values, start, n) {
    var i, sum;
    if (n < 8) {
      sum = -0;
      for (i = 0; i < n; i++) { sum += values[start + i]; }
      return sum;
    }
    if (n <= 128) {
      var r = values.slice(start, start + 8);
      for (i = 8; i < n - (n % 8); i += 8) {
        for (var j = 0; j < 8; j++) { r[j] += values[start + i + j]; }
      }
      sum = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
      for (; i < n; i++) { sum += values[start + i]; }
      return sum;
    }
    var half = Math.floor(n / 2);
    half -= half % 8;
    return pairwiseSum(values, start, half) + pairwiseSum(values, start + half, n - half);
  }

  function sum(values) {
    return pairwiseSum(values, 0, values.length);
  }

  function haversineKm(lat1, lon1, lat2, lon2) {
    var p1 = lat1 * RAD, p2 = lat2 * RAD;
    var dlat = p2 - p1, dlon = lon2 * RAD - lon1 * RAD;
    var a = Math.pow(Math.sin(dlat / 2), 2) + Math.cos(p1) * Math.cos(p2) * Math.pow(Math.sin(dlon / 2), 2);
    return 2 * EARTH_RADIUS_KM * Math.asin(Math.sqrt(Math.min(Math.max(a, 0), 1)));
  }

  // The member with least total distance to the others; the first in file order on ties.
  function medoid(data, members) {
    var best = members[0], bestTotal = Infinity;
    members.forEach(function (i) {
      var total = sum(members.map(function (j) {
        return haversineKm(data.lat[i], data.lon[i], data.lat[j], data.lon[j]);
      }));
      if (total < bestTotal) { best = i; bestTotal = total; }
    });
    return best;
  }

  // Population std over mean; null when undefined (no values, or mean 0).
  function coefficientOfVariation(values) {
    if (!values.length) { return null; }
    var mean = sum(values) / values.length;
    if (mean === 0) { return null; }
    var variance = sum(values.map(function (v) { return (v - mean) * (v - mean); })) / values.length;
    return Math.sqrt(variance) / mean;
  }

  function cohesion(data, labels) {
    var total = 0, kept = 0;
    data.flows.forEach(function (f) {
      total += f[2];
      if (labels[f[0]] === labels[f[1]]) { kept += f[2]; }
    });
    return total === 0 ? null : kept / total;
  }

  // Per school: students sent to district schools and those sent to other portfolios (bincount order).
  function sending(data, labels) {
    var n = labels.length, sent = new Array(n).fill(0), crossing = new Array(n).fill(0);
    data.flows.forEach(function (f) {
      sent[f[0]] += f[2];
      crossing[f[0]] += f[2] * (labels[f[0]] !== labels[f[1]] ? 1 : 0);
    });
    return {sent: sent, crossing: crossing, split: sent.map(function (s, i) {
      return s > 0 && crossing[i] / s > SPLIT_ABOVE;  // more than 10 %, float rounding aside
    })};
  }

  // Portfolios whose schools do not induce a connected Delaunay subgraph.
  function broken(data, labels, parts) {
    var neighbours = labels.map(function () { return []; });
    data.edges.forEach(function (e) {
      if (labels[e[0]] === labels[e[1]]) {
        neighbours[e[0]].push(e[1]);
        neighbours[e[1]].push(e[0]);
      }
    });
    return parts.names.filter(function (name, k) {
      var members = parts.members[k], seen = new Set([members[0]]), queue = [members[0]];
      while (queue.length) {
        neighbours[queue.pop()].forEach(function (j) {
          if (!seen.has(j)) { seen.add(j); queue.push(j); }
        });
      }
      return seen.size !== members.length;
    });
  }

  function serves(data, i, grade) {
    var lo = data.gradeLo[i], hi = data.gradeHi[i];
    return lo !== null && hi !== null && lo <= grade && hi >= grade;
  }

  function k12Complete(data, parts) {
    var complete = parts.members.filter(function (members) {
      return K12_GRADES.every(function (g) {
        return members.some(function (i) { return serves(data, i, g); });
      });
    });
    return complete.length / parts.names.length;
  }

  function enrollmentOf(data, i) {
    return data.enrollment[i] === null ? 0 : data.enrollment[i];
  }

  function needCv(data, parts) {
    if (data.need.every(function (v) { return v === null; })) { return null; }
    var means = [];
    parts.members.forEach(function (members) {
      var known = members.filter(function (i) { return data.need[i] !== null; });
      if (!known.length) { return; }
      var weights = known.map(function (i) { return enrollmentOf(data, i); });
      if (sum(weights) === 0) { weights = known.map(function () { return 1; }); }
      var weighted = sum(known.map(function (i, k) { return data.need[i] * weights[k]; }));
      means.push(weighted / sum(weights));
    });
    return coefficientOfVariation(means);
  }

  function inRegion(data, parts) {
    if (!data.region) { return null; }
    var whole = parts.members.filter(function (members) {
      return members.every(function (i) { return data.region[i] === data.region[members[0]]; });
    });
    return whole.length / parts.names.length;
  }

  // Largest total weight of a one-to-one matching of rows to columns (Hungarian method, O(n²m)).
  function maxMatching(weights) {
    var rows = weights.length, cols = rows ? weights[0].length : 0;
    if (rows > cols) {
      return maxMatching(weights[0] ? weights[0].map(function (_, c) {
        return weights.map(function (row) { return row[c]; });
      }) : []);
    }
    var top = 0;
    weights.forEach(function (row) { row.forEach(function (w) { top = Math.max(top, w); }); });
    var u = new Array(rows + 1).fill(0), v = new Array(cols + 1).fill(0);
    var match = new Array(cols + 1).fill(0), way = new Array(cols + 1).fill(0);
    function cost(i, j) { return top - weights[i - 1][j - 1]; }
    for (var i = 1; i <= rows; i++) {
      match[0] = i;
      var j0 = 0, minv = new Array(cols + 1).fill(Infinity), used = new Array(cols + 1).fill(false);
      do {
        used[j0] = true;
        var i0 = match[j0], delta = Infinity, j1 = 0;
        for (var j = 1; j <= cols; j++) {
          if (used[j]) { continue; }
          var reduced = cost(i0, j) - u[i0] - v[j];
          if (reduced < minv[j]) { minv[j] = reduced; way[j] = j0; }
          if (minv[j] < delta) { delta = minv[j]; j1 = j; }
        }
        for (j = 0; j <= cols; j++) {
          if (used[j]) { u[match[j]] += delta; v[j] -= delta; } else { minv[j] -= delta; }
        }
        j0 = j1;
      } while (match[j0] !== 0);
      do { var prev = way[j0]; match[j0] = match[prev]; j0 = prev; } while (j0);
    }
    var total = 0;
    for (var c = 1; c <= cols; c++) {
      if (match[c]) { total += weights[match[c] - 1][c - 1]; }
    }
    return total;
  }

  // Schools whose portfolio differs from today's after the best one-to-one matching of names.
  function moved(data, labels, parts) {
    if (data.today.every(function (t) { return t === ""; })) { return null; }
    var old = groups(data.today), oldIndex = Object.create(null), newIndex = Object.create(null);
    old.names.forEach(function (name, k) { oldIndex[name] = k; });
    parts.names.forEach(function (name, k) { newIndex[name] = k; });
    var overlap = parts.names.map(function () { return new Array(old.names.length).fill(0); });
    labels.forEach(function (label, i) {  // a school without a portfolio today moves into whichever it gets
      if (data.today[i] !== "") { overlap[newIndex[label]][oldIndex[data.today[i]]] += 1; }
    });
    return labels.length - maxMatching(overlap);
  }

  /* Python's format(value, "g"): 6 significant digits rounded half to even on the double's exact
   * decimal digits (toExponential rounds a tie up: 1234565 read 1.23457e+06, Python 1.23456e+06),
   * trailing zeros dropped, an exponent below 1e-4 and from 1e6 on. */
  function general(value) {
    if (value === 0) { return Object.is(value, -0) ? "-0" : "0"; }
    var exact = Math.abs(value).toExponential(99).split("e"), digits = exact[0].replace(".", "");
    var exponent = Number(exact[1]), head = digits.slice(0, 6), rest = digits.slice(6);
    if (rest[0] > "5" || (rest[0] === "5" && (/[1-9]/.test(rest.slice(1)) || Number(head[5]) % 2 === 1))) {
      head = String(Number(head) + 1);
      if (head.length > 6) { head = head.slice(0, 6); exponent += 1; }
    }
    var sign = value < 0 ? "-" : "";
    if (exponent < -4 || exponent >= 6) {
      var power = Math.abs(exponent);
      return sign + (head[0] + "." + head.slice(1)).replace(/\.?0+$/, "") + "e" + (exponent < 0 ? "-" : "+") +
        (power < 10 ? "0" : "") + power;
    }
    var whole = exponent >= 0 ? head.slice(0, exponent + 1) : "0";
    var fraction = (exponent >= 0 ? head.slice(exponent + 1) : "0".repeat(-exponent - 1) + head).replace(/0+$/, "");
    return sign + whole + (fraction ? "." + fraction : "");
  }

  // 'A, B and 3 more' (constraints.named).
  function named(names) {
    return names.slice(0, NAMES_SHOWN).join(", ") +
      (names.length > NAMES_SHOWN ? " and " + (names.length - NAMES_SHOWN) + " more" : "");
  }

  // At most `cap` of a per-school quantity in every portfolio (constraints.column_cap).
  function capBroken(label, flag, cap, totals, names) {
    if (cap === null) { return null; }
    var over = [];
    names.forEach(function (name, k) {
      if (totals[k] > cap + CAP_SLACK) { over.push(name + " (" + general(totals[k]) + ")"); }
    });
    return over.length ? label + " cap: portfolios above " + flag + " " + general(cap) + " " + label + ": " +
      named(over) : null;
  }

  // Lock groups not whole under their own name (constraints.locks_kept), groups in name order.
  function locksBroken(data, labels) {
    var position = new Map(data.ids.map(function (id, i) { return [id, i]; })), groups = Object.create(null);
    data.locks.forEach(function (lock) { (groups[lock[1]] = groups[lock[1]] || []).push(position.get(lock[0])); });
    var broken = Object.keys(groups).sort(compare).filter(function (name) {
      return groups[name].some(function (i) { return labels[i] !== name; });
    }).map(function (name) {
      var held = Array.from(new Set(groups[name].map(function (i) { return labels[i]; }))).sort(compare);
      return name + " (in " + held.join(", ") + ")";
    });
    return broken.length ? "locks: lock groups not kept whole under their own name: " + named(broken) : null;
  }

  /* The spec's broken rules, one line each, as feeder.constraints.violations() words them, in its
   * order. Every school has a portfolio on the page, so its first rule never breaks here. */
  function violations(data, labels, parts, sizes, enrollment, nonContiguous) {
    var found = [];
    var offSize = parts.names.map(function (name, k) { return name + " (" + sizes[k] + ")"; })
      .filter(function (_, k) { return sizes[k] < data.minSize || sizes[k] > data.maxSize; });
    if (offSize.length) {
      found.push("size range: portfolios outside " + data.minSize + "-" + data.maxSize + " schools: " + named(offSize));
    }
    if (data.k !== null && parts.names.length !== data.k) {
      found.push("number of portfolios: " + parts.names.length + " portfolios instead of " + data.k);
    }
    if (data.withinRegion && data.region) {
      var crossing = parts.names.filter(function (_, k) {
        return parts.members[k].some(function (i) { return data.region[i] !== data.region[parts.members[k][0]]; });
      });
      if (crossing.length) { found.push("within regions: portfolios crossing regions: " + named(crossing)); }
    }
    var high = new Set(data.highSchools);
    var highSchools = parts.members.map(function (m) { return sum(m.map(function (i) { return high.has(i) ? 1 : 0; })); });
    [capBroken("students", "--max-enrollment", data.maxEnrollment, enrollment, parts.names),
      capBroken("high schools", "--max-high-schools", data.maxHighSchools, highSchools, parts.names),
      locksBroken(data, labels)].forEach(function (reason) { if (reason !== null) { found.push(reason); } });
    if (data.contiguous && nonContiguous.length) {
      found.push("contiguous: portfolios not contiguous on the map: " + named(nonContiguous));
    }
    return found;
  }

  /* The scorecard of `labels`: the keys of feeder.plan.Plan.score(), plus `details`:
   * sizes / enrollment / meeting site (medoid, position) / mean and max km per portfolio,
   * the portfolios out of the size range and the non-contiguous ones, and per school
   * its km to the meeting site and whether it is split. */
  function scorecard(data, labels) {
    var parts = groups(labels), n = labels.length;
    var sizes = parts.members.map(function (m) { return m.length; });
    var medoids = parts.members.map(function (m) { return medoid(data, m); });
    var km = new Array(n);
    parts.members.forEach(function (members, k) {
      var centre = medoids[k];
      members.forEach(function (i) {
        km[i] = haversineKm(data.lat[i], data.lon[i], data.lat[centre], data.lon[centre]);
      });
    });
    var flows = sending(data, labels);
    var nonContiguous = broken(data, labels, parts);
    var enrollment = parts.members.map(function (m) {
      return sum(m.map(function (i) { return enrollmentOf(data, i); }));
    });
    var offSize = parts.names.filter(function (_, k) {
      return sizes[k] < data.minSize || sizes[k] > data.maxSize;
    });
    var portfolios = parts.names.map(function (name, k) {
      var distances = parts.members[k].map(function (i) { return km[i]; });
      return {
        name: name, schools: sizes[k], students: enrollment[k], meetingSite: medoids[k],
        meanKm: sum(distances) / distances.length, maxKm: Math.max.apply(null, distances)
      };
    });
    return {
      n_schools: n,
      n_portfolios: parts.names.length,
      min_size: data.minSize,
      max_size: data.maxSize,
      size_ok: offSize.length === 0,
      smallest: Math.min.apply(null, sizes),
      largest: Math.max.apply(null, sizes),
      cohesion: cohesion(data, labels),
      split_schools: flows.split.filter(Boolean).length,
      mean_km: sum(km) / n,
      max_km: Math.max.apply(null, km),
      contiguous: (parts.names.length - nonContiguous.length) / parts.names.length,
      k12_complete: k12Complete(data, parts),
      enrollment_cv: coefficientOfVariation(enrollment),
      need_cv: needCv(data, parts),
      in_region: inRegion(data, parts),
      moved: moved(data, labels, parts),
      violations: violations(data, labels, parts, sizes, enrollment, nonContiguous),
      details: {
        portfolios: portfolios, off_size: offSize, non_contiguous: nonContiguous,
        km: km, sent: flows.sent, crossing: flows.crossing, split: flows.split
      }
    };
  }

  /* With flows from student records the page holds published (rounded) counts only; data.exact
   * has the drawn plan's exact cohesion and split flags. The scorecard then shows those until an
   * edit, and after one the exact values plus the change the published counts estimate (a school
   * keeps its exact split flag while none of its flows changed sides); `approximate` says which. */
  function anchored(data, labels, card) {
    var exact = data.exact;
    card.approximate = false;
    if (!exact) { return card; }
    if (!data.drawnCard) { data.drawnCard = scorecard(data, data.labels); }
    var drawn = data.drawnCard, moved = new Array(labels.length).fill(false);
    data.flows.forEach(function (f) {
      if ((labels[f[0]] === labels[f[1]]) !== (data.labels[f[0]] === data.labels[f[1]])) { moved[f[0]] = true; }
    });
    var split = card.details.split.map(function (estimate, i) { return moved[i] ? estimate : exact.split[i]; });
    card.approximate = moved.some(Boolean);
    card.cohesion = card.cohesion === null || exact.cohesion === null ? card.cohesion
      : Math.min(1, Math.max(0, exact.cohesion + card.cohesion - drawn.cohesion));
    card.details.split = split;
    card.split_schools = split.filter(Boolean).length;
    return card;
  }

  return {scorecard: function (data, labels) { return anchored(data, labels, scorecard(data, labels)); },
    maxMatching: maxMatching, general: general,
    km: function (data, i, j) { return haversineKm(data.lat[i], data.lon[i], data.lat[j], data.lon[j]); }};
})();
