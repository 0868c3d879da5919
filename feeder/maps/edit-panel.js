/* feeder edit mode: the side panel's live scorecard, portfolio table and tool states, and the
 * school popup rows that change with the plan. Text from input files is set as text, never as HTML,
 * except in popup rows, which are HTML escaped here as features.py escapes them.
 */
var feederPanel = (function () {
  "use strict";

  var NEAREST = "Nearest other meeting site";  // the popup row features.py writes

  function escapeHtml(text) {
    return String(text).replace(/[&<>"']/g, function (c) {
      return {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#x27;"}[c];
    });
  }

  // Python's round(): halves to even, so 12.5 students read 12 here as in every other output.
  function roundHalfEven(value) {
    var whole = Math.round(value);
    return Math.abs(value % 1) === 0.5 && whole % 2 !== 0 ? whole - 1 : whole;
  }

  function thousands(value) {
    return String(roundHalfEven(value)).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  }

  // A count as feeder.privacy publishes it (raw text, escaped with its line): exact, or under the
  // small-cell rule "<10" below min_cell and the rest rounded to min_cell.
  function published(students, data) {
    if (!data.flowsApproximate || students <= 0) { return thousands(students); }
    if (students < data.minCell) { return "<" + data.minCell; }
    return thousands(data.minCell * Math.floor(students / data.minCell + 0.5));
  }

  function cell(tag, text, className) {
    var node = document.createElement(tag);
    node.textContent = text;
    if (className) { node.className = className; }
    return node;
  }

  function row(cells) {
    var tr = document.createElement("tr");
    cells.forEach(function (c) { tr.appendChild(c); });
    return tr;
  }

  function percent(value) {
    return value === null ? "—" : (100 * value).toFixed(1) + " %";
  }

  function decimal(value, digits, unit) {
    return value === null ? "—" : value.toFixed(digits) + (unit || "");
  }

  function plural(n, word) {
    return feeder.count(n) + " " + word + (n === 1 ? "" : "s");
  }

  function list(names) {
    return names.length > 6 ? names.slice(0, 6).join(", ") + " and " + (names.length - 6) + " more" : names.join(", ");
  }

  // Metric, value (with unit) and what it means or which portfolios fail it, in METRICS.md order.
  // approximate: flows come from student records and the plan was edited: the page holds only
  // published (rounded) counts, so the change in cohesion is an estimate (feederScore.anchored).
  function metricRows(card, approximate) {
    var rows = [
      ["n_portfolios", plural(card.n_portfolios, "portfolio"), plural(card.n_schools, "school") + " in all"],
      ["size_ok", card.size_ok ? "yes" : "no", card.size_ok
        ? "every portfolio has " + card.min_size + "–" + card.max_size + " schools"
        : "outside " + card.min_size + "–" + card.max_size + " schools: " + list(card.details.off_size)],
      ["cohesion", (approximate ? "≈ " : "") + percent(card.cohesion), "of students on flows stay in their portfolio" +
        (approximate ? " (approximate: this page holds flow counts rounded for privacy, not exact ones)" : "")],
      ["split_schools", plural(card.split_schools, "school"), "send >10 % of their students to other portfolios"],
      ["mean_km", decimal(card.mean_km, 2, " km"), "mean distance from a school to its meeting site"],
      ["max_km", decimal(card.max_km, 2, " km"), "farthest school from its meeting site"],
      ["contiguous", percent(card.contiguous), card.details.non_contiguous.length
        ? "in pieces: " + list(card.details.non_contiguous) : "every portfolio is one connected area"],
      ["k12_complete", percent(card.k12_complete), "of portfolios hold grades 3, 7 and 10"],
      ["enrollment_cv", decimal(card.enrollment_cv, 3), "spread of students per portfolio (std ÷ mean)"],
      ["need_cv", decimal(card.need_cv, 3),
        card.need_cv === null ? "no need index given" : "spread of mean need index"],
      ["in_region", percent(card.in_region),
        card.in_region === null ? "no regions given" : "of portfolios inside one region"],
      ["moved", card.moved === null ? "—" : plural(card.moved, "school"),
        card.moved === null ? "no plan today to compare with" : "in another portfolio than today"]
    ];
    return rows.map(function (r) {
      return row([cell("th", r[0]), cell("td", r[1], "num"), cell("td", r[2], "feeder-note")]);
    }).concat([ruleRow(card.violations)]);
  }

  // The spec's rules the plan breaks (caps, sizes, count, regions, locks, contiguity), one line each,
  // in `feeder score`'s words: the page judges every rule the plan was designed under, live.
  function ruleRow(broken) {
    var note = cell("td", broken.length ? "" : "the plan meets every rule of its spec", "feeder-note");
    broken.forEach(function (reason) { note.appendChild(cell("div", reason, "feeder-bad")); });
    return row([cell("th", "violations"), cell("td", broken.length ? plural(broken.length, "rule") + " broken" : "none",
      broken.length ? "num feeder-bad" : "num"), note]);
  }

  function portfolioRows(card, context) {
    var data = context.data;
    return card.details.portfolios.map(function (p) {
      var swatch = cell("span", "", "feeder-swatch");
      swatch.style.background = context.colourOf(p.name);
      var name = cell("td", "");
      name.appendChild(swatch);
      name.appendChild(document.createTextNode(" " + p.name));
      var size = cell("td", String(p.schools), "num");
      if (p.schools < card.min_size || p.schools > card.max_size) { size.className += " feeder-bad"; }
      if (card.details.non_contiguous.indexOf(p.name) >= 0) { name.className = "feeder-bad"; }
      var students = cell("td", feeder.count(p.students), "num");
      if (data.maxEnrollment !== null && p.students > data.maxEnrollment) { students.className += " feeder-bad"; }
      return row([name, size, students,
        cell("td", data.names[p.meetingSite]), cell("td", p.meanKm.toFixed(1), "num"),
        cell("td", p.maxKm.toFixed(1), "num")]);
    });
  }

  function replaceRows(body, rows) {
    while (body.firstChild) { body.removeChild(body.firstChild); }
    rows.forEach(function (r) { body.appendChild(r); });
  }

  // The portfolios to move to, then "New portfolio…". Until the planner picks one, the selection's
  // (first school's) portfolio is chosen, else the first: never "New portfolio…", whose Move only
  // asked for a name.
  function targetOptions(select, names, current) {
    var chosen = select.dataset.picked ? select.value : names.indexOf(current) >= 0 ? current : names[0];
    while (select.firstChild) { select.removeChild(select.firstChild); }
    names.forEach(function (name) {
      var option = cell("option", name);
      option.value = name;
      select.appendChild(option);
    });
    var fresh = cell("option", "New portfolio…");
    fresh.value = "";
    select.appendChild(fresh);
    select.value = names.indexOf(chosen) >= 0 || chosen === "" ? chosen : names[0];
  }

  // The portfolio legend above: counts and colours of the edited plan; new portfolios have no cohort page.
  function legend(card, context) {
    var list = document.querySelector(".feeder-portfolios");
    if (!list) { return; }
    var entries = Object.create(null);
    list.querySelectorAll(".feeder-legend-portfolio").forEach(function (li) { entries[li.dataset.portfolio] = li; });
    while (list.firstChild) { list.removeChild(list.firstChild); }
    card.details.portfolios.forEach(function (p) {
      var li = entries[p.name];
      if (!li) {
        li = cell("li", "", "feeder-legend-portfolio");
        li.dataset.portfolio = p.name;
        li.appendChild(cell("span", "", "feeder-swatch"));
        li.appendChild(cell("span", p.name));
        li.appendChild(cell("span", "", "feeder-count"));
      }
      li.querySelector(".feeder-swatch").style.background = context.colourOf(p.name);
      li.querySelector(".feeder-count").textContent = plural(p.schools, "school") + " · " +
        feeder.count(p.students) + " students";
      list.appendChild(li);
    });
  }

  function show(ui, card, context) {
    legend(card, context);
    replaceRows(ui.scorecard, metricRows(card, card.approximate));
    replaceRows(ui.portfolios, portfolioRows(card, context));
    targetOptions(ui.target, card.details.portfolios.map(function (p) { return p.name; }), context.current);
    ui.newName.hidden = ui.target.value !== "";
    ui.target.onchange = function () {
      ui.target.dataset.picked = "yes";
      ui.newName.hidden = ui.target.value !== "";
    };
    ui.selection.textContent = plural(context.selected, "school") + " selected · " + context.locked + " locked";
    ["move", "lock", "unlock", "clear"].forEach(function (name) { ui[name].disabled = context.selected === 0; });
    ui.undo.disabled = !context.canUndo;
    ui.redo.disabled = !context.canRedo;
    document.querySelectorAll("[data-metric]").forEach(function (node) {
      var key = node.dataset.metric, value = card[key];
      node.textContent = key === "cohesion"
        ? (card.approximate ? "≈ " : "") + decimal(value === null ? null : 100 * value, 1, " %")
        : key === "mean_km" ? decimal(value, 1, " km") : String(value);
    });
  }

  /* Per school, its students from and to each portfolio, as `feeder explain` groups them, and whether
   * any of its flows has an end in another portfolio than on the drawn plan (`changed`). With flows
   * from student records the page holds published counts only: a school not changed keeps the rows
   * Python wrote from exact counts; a changed one shows sums of published counts, marked ≈. */
  function schoolFlows(data, labels) {
    var n = labels.length, changed = new Array(n).fill(false);
    var by = labels.map(function () { return Object.create(null); });
    function add(i, name, key, students) {
      var totals = by[i][name] || (by[i][name] = {from: 0, to: 0});
      totals[key] += students;
    }
    data.flows.forEach(function (f) {
      add(f[1], labels[f[0]], "from", f[2]);
      add(f[0], labels[f[1]], "to", f[2]);
      if (labels[f[0]] !== data.labels[f[0]] || labels[f[1]] !== data.labels[f[1]]) {
        changed[f[0]] = changed[f[1]] = true;
      }
    });
    return by.map(function (totals, i) { return {portfolios: totals, changed: changed[i]}; });
  }

  // "Students by portfolio" (features.portfolio_rows): own portfolio first, then most students, then name.
  function portfolioLines(own, flows, data, mark) {
    var names = Object.keys(flows.portfolios).filter(function (name) {
      return flows.portfolios[name].from > 0 || flows.portfolios[name].to > 0;
    });
    var total = function (name) { return flows.portfolios[name].from + flows.portfolios[name].to; };
    names.sort(function (a, b) {
      return (a !== own) - (b !== own) || total(b) - total(a) || (a < b ? -1 : a > b ? 1 : 0);
    });
    return names.map(function (name) {
      var t = flows.portfolios[name], parts = [];
      if (t.from > 0) { parts.push("from " + mark + published(t.from, data)); }
      if (t.to > 0) { parts.push("to " + mark + published(t.to, data)); }
      return escapeHtml(name + (name === own ? " (this portfolio)" : "") + ": " + parts.join(" · ") + " students");
    }).join("<br>");
  }

  // "Sends" (features.flow_rows): a share of the students sent, or under the small-cell rule two counts.
  function sendsText(facts, data, mark) {
    var sent = published(facts.sent, data);
    var text = data.flowsApproximate
      ? mark + published(facts.crossing, data) + " of " + mark + sent + " students to other portfolios"
      : roundHalfEven(100 * facts.crossing / facts.sent) + " % of " + sent + " students to other portfolios";
    return facts.split ? "<b>" + escapeHtml(text + " (split school)") + "</b>" : escapeHtml(text);
  }

  // A school's popup rows that depend on the plan: its portfolio, meeting sites and students' flows.
  function updateRows(p, facts, data) {
    var approximate = data.flowsApproximate, keep = approximate && !facts.flows.changed, mark = approximate ? "≈ " : "";
    p.rows.forEach(function (r) {
      if (r.drawn === undefined) { r.drawn = r[1]; }  // Python's text, from exact counts
      if (r[0] === "Portfolio") { r[1] = facts.portfolio; }
      if (r[0] === "Meeting site") { r[1] = facts.site; }
      if (r[0] === NEAREST) { r[1] = facts.nearest === null ? "none: the plan has one portfolio" : facts.nearest; }
      if (r[0] === "Sends" && facts.sent > 0) { r[1] = keep ? r.drawn : sendsText(facts, data, mark); }
      if (r[0] === "Students by portfolio") {
        r[1] = keep ? r.drawn : portfolioLines(facts.own, facts.flows, data, mark);
      }
    });
  }

  return {show: show, updateRows: updateRows, schoolFlows: schoolFlows, escapeHtml: escapeHtml};
})();
