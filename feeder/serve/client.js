/* feeder serve: the page's link to the local re-design API.
 *
 * Defines window.feederServer.design(locks, options) → Promise of {plan, scorecard}, which
 * the map's edit mode calls from its "Re-design around my locks" button, and
 * window.feederServer.keeps, the server's spec in one line (FEEDER_SERVE, written by page.py), which
 * the edit mode shows by the button. While the server designs, a status line shows the seconds
 * spent and a Cancel button (DELETE /api/design). After a re-design, a line under the edit mode's
 * message says what the locks cost (the answer's lock_cost, worded as `feeder design --lock` words
 * it) and whether --time-limit stopped the search.
 */
(function () {
  "use strict";
  var POLL_MS = 500;

  function statusBox() {
    var box = document.createElement("div");
    box.className = "feeder-server-status";
    box.setAttribute("role", "status");
    box.style.cssText = "position:fixed;bottom:12px;left:50%;transform:translateX(-50%);z-index:2000;" +
      "background:#fff;border:1px solid #888;border-radius:4px;padding:6px 10px;font:14px sans-serif;";
    var text = document.createElement("span");
    var cancel = document.createElement("button");
    cancel.type = "button";
    cancel.textContent = "Cancel";
    cancel.style.marginLeft = "8px";
    cancel.addEventListener("click", function () { fetch("/api/design", {method: "DELETE"}); });
    box.appendChild(text);
    box.appendChild(cancel);
    document.body.appendChild(box);
    return {text: text, close: function () { box.remove(); }};
  }

  // What the last re-design could not show on the map: that --time-limit cut it short, and what its
  // locks cost. The line stays until the next re-design (it is about the proposal, which Undo may
  // discard) and sits under the edit mode's message.
  function showNote(answer) {
    var parts = [];
    if (answer.time_limit_hit) { parts.push("stopped at --time-limit (a longer one may find a better plan)"); }
    if (answer.lock_cost) { parts.push(answer.lock_cost.line); }
    var line = document.querySelector(".feeder-redesign-note");
    if (!line) {
      line = document.createElement("p");
      line.className = "feeder-note feeder-redesign-note";
      var message = document.querySelector(".feeder-edit [data-ref=message]");
      if (message) { message.after(line); } else { document.body.appendChild(line); }
    }
    line.textContent = parts.length ? "Last re-design: " + parts.join("; ") + "." : "";
    line.hidden = !parts.length;
  }

  function design(locks, options) {
    var body = Object.assign({}, options, {locks: locks});
    var status = statusBox();
    status.text.textContent = "Re-designing around your locks…";
    var timer = setInterval(function () {
      fetch("/api/design").then(function (r) { return r.json(); }).then(function (state) {
        if (state.running) { status.text.textContent = "Re-designing around your locks… " + state.seconds + " s"; }
      });
    }, POLL_MS);
    return fetch("/api/design", {
      method: "POST",
      headers: {"content-type": "application/json"},
      body: JSON.stringify(body)
    }).then(function (response) {
      return response.json().then(function (answer) {
        if (!response.ok) { throw new Error(answer.error); }
        showNote(answer);
        return answer;
      });
    }).finally(function () {
      clearInterval(timer);
      status.close();
    });
  }

  window.feederServer = {design: design, keeps: FEEDER_SERVE.keeps};
})();
