// Keyboard shortcuts and small conveniences for the team inbox. Served as a static file: the
// Content-Security-Policy allows no inline script. Reader content is never touched here.
(function () {
  "use strict";
  var help = document.getElementById("help");
  function toggleHelp(show) {
    if (!help) return;
    help.hidden = show === undefined ? !help.hidden : !show;
  }
  var hb = document.getElementById("help-button");
  if (hb) hb.addEventListener("click", function () { toggleHelp(); });
  var hc = document.getElementById("help-close");
  if (hc) hc.addEventListener("click", function () { toggleHelp(false); });

  // Filters and the selection bar are drawers on a phone, always open on a wide screen.
  if (window.matchMedia("(min-width: 761px)").matches) {
    Array.prototype.forEach.call(document.querySelectorAll("details.drawer"), function (d) { d.open = true; });
  }

  // After "done" or "archive" on the list the row leaves the queue: keep the cursor where it was,
  // which is now the next reaction.
  var CURSOR_KEY = "team-cursor:" + window.location.pathname;
  var rows = Array.prototype.slice.call(document.querySelectorAll("li.row"));
  var cursor = rows.length ? 0 : -1;
  var kept = window.sessionStorage ? sessionStorage.getItem(CURSOR_KEY) : null;
  if (kept !== null) {
    sessionStorage.removeItem(CURSOR_KEY);
    if (rows.length) cursor = Math.max(0, Math.min(rows.length - 1, parseInt(kept, 10) || 0));
  }
  function showCursor() {
    rows.forEach(function (r, i) { r.classList.toggle("cursor", i === cursor); });
    if (cursor >= 0) rows[cursor].scrollIntoView({ block: "nearest" });
  }
  if (rows.length) showCursor();

  var selectAll = document.getElementById("select-all");
  if (selectAll) selectAll.addEventListener("change", function () {
    rows.forEach(function (r) { r.querySelector("input[type=checkbox]").checked = selectAll.checked; });
  });

  function bulk(action) {
    var form = document.getElementById("bulk");
    if (!form || cursor < 0) return;
    var anyChecked = rows.some(function (r) { return r.querySelector("input[type=checkbox]").checked; });
    if (!anyChecked) rows[cursor].querySelector("input[type=checkbox]").checked = true;
    document.getElementById("bulk-action").value = action;
    if (window.sessionStorage) sessionStorage.setItem(CURSOR_KEY, String(cursor));
    form.submit();
  }
  // Done or Archive on a row: the row leaves the queue, so the cursor stays on the same place.
  rows.forEach(function (r, i) {
    Array.prototype.forEach.call(r.querySelectorAll(".row-actions button"), function (b) {
      b.addEventListener("click", function () {
        if (window.sessionStorage) sessionStorage.setItem(CURSOR_KEY, String(i));
      });
    });
  });
  function openAnswer() {
    var box = document.getElementById("answer"), body = document.getElementById("answer-body");
    if (!box || !body) return;
    box.open = true;
    body.focus();
  }
  function submit(id) { var f = document.getElementById(id); if (f) f.submit(); }
  function go(id) { var a = document.getElementById(id); if (a) window.location.href = a.href; }

  document.addEventListener("keydown", function (ev) {
    var t = ev.target;
    // Ctrl+Enter (Cmd+Enter) in the answer sends it.
    if (ev.key === "Enter" && (ev.ctrlKey || ev.metaKey) && t && t.id === "answer-body") {
      var answer = document.getElementById("answer-form");
      if (answer && answer.reportValidity()) answer.submit();
      ev.preventDefault();
      return;
    }
    if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
    if (t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA" || t.tagName === "SELECT" || t.isContentEditable)) {
      if (ev.key === "Escape") t.blur();
      return;
    }
    // Enter or space on a focused button or link does what that button or link does.
    if (t && (t.tagName === "BUTTON" || t.tagName === "A") && (ev.key === "Enter" || ev.key === " ")) return;
    var key = ev.key;
    if (key === "?") { toggleHelp(); ev.preventDefault(); return; }
    if (key === "Escape") { toggleHelp(false); return; }
    if (key === "z" && document.getElementById("undo-form")) { submit("undo-form"); ev.preventDefault(); return; }
    if (key === "/") { var s = document.getElementById("search"); if (s) { s.focus(); ev.preventDefault(); } return; }
    if (rows.length) {  // the list
      if (key === "j") { cursor = Math.min(rows.length - 1, cursor + 1); showCursor(); }
      else if (key === "k") { cursor = Math.max(0, cursor - 1); showCursor(); }
      else if (key === "o" || key === "Enter") { window.location.href = rows[cursor].getAttribute("data-href"); }
      else if (key === "x") { var cb = rows[cursor].querySelector("input[type=checkbox]"); cb.checked = !cb.checked; }
      else if (key === "e") { bulk("status:afgehandeld"); }
      else if (key === "#") { bulk("status:gearchiveerd"); }
      else return;
      ev.preventDefault();
      return;
    }
    if (document.getElementById("done-form")) {  // the reading pane
      if (key === "j") go("next-link");
      else if (key === "k") go("prev-link");
      else if (key === "e") submit("done-form");
      else if (key === "#") submit("archive-form");
      else if (key === "u") go("back-link");
      else if (key === "r") { openAnswer(); }
      else return;
      ev.preventDefault();
    }
  });
})();
