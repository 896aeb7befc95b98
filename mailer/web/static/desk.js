// The desk's editor: live preview (the mail's own renderer, via the server), errors beside the fields
// as you type, the theme picker's "new theme" box, the preview width tabs; and on the send page, the
// state of a send as it goes out. Served as a static file: the CSP allows no inline script.
(function () {
  "use strict";
  var form = document.getElementById("editor");
  if (form) {
    var NEW_THEME = "__new__";
    var phone = document.getElementById("preview-phone");
    var desktop = document.getElementById("preview-desktop");
    var text = document.getElementById("preview-text");
    var status = document.getElementById("preview-status");
    var dirty = document.getElementById("dirty");
    var frames = document.querySelector(".frames");
    var msg = function (name) { return form.getAttribute("data-msg-" + name) || ""; };

    var syncTheme = function (select) {
      var box = select.parentNode.querySelector(".new-theme");
      if (box) box.hidden = select.value !== NEW_THEME;
    };
    Array.prototype.forEach.call(form.querySelectorAll(".theme-select"), function (select) {
      syncTheme(select);
      select.addEventListener("change", function () { syncTheme(select); });
    });

    Array.prototype.forEach.call(document.querySelectorAll(".tabs button"), function (button, _i, all) {
      button.addEventListener("click", function () {
        Array.prototype.forEach.call(all, function (b) { b.setAttribute("aria-pressed", String(b === button)); });
        frames.setAttribute("data-view", button.getAttribute("data-view"));
      });
    });

    var showErrors = function (errors) {
      Array.prototype.forEach.call(form.querySelectorAll(".field-error, #err-form"), function (p) {
        var key = p.id.slice(4);
        var message = errors[key] || "";
        p.textContent = message;
        if (p.id === "err-form") p.hidden = !message;
        var box = p.closest(".field");
        if (box) box.classList.toggle("has-error", !!message);
        var input = document.getElementById("f-" + key);
        if (input) {
          if (message) input.setAttribute("aria-invalid", "true"); else input.removeAttribute("aria-invalid");
        }
      });
    };

    var timer = null;
    var latest = 0;
    var refresh = function () {
      var mine = ++latest;
      var data = new FormData(form);
      data.set("action", "save");
      status.textContent = msg("updating");
      fetch(form.getAttribute("data-preview"), {
        method: "POST", body: data, credentials: "same-origin", headers: { "Accept": "application/json" }
      }).then(function (response) { return response.json(); }).then(function (result) {
        if (mine !== latest) return;  // a newer edit is on its way
        showErrors(result.errors || {});
        if (result.ok) {
          phone.src = result.url;
          desktop.src = result.url;
          text.textContent = result.text;
          status.textContent = msg("updated");
        } else {
          status.textContent = msg("errors");
        }
      }).catch(function () {
        if (mine === latest) status.textContent = msg("failed");
      });
    };
    var changed = function () {
      if (dirty) dirty.hidden = false;
      window.clearTimeout(timer);
      timer = window.setTimeout(refresh, 400);
    };
    form.addEventListener("input", changed);
    form.addEventListener("change", changed);

    // The picture upload, sent in the background: its Markdown line goes to the cursor of the text
    // the writer last worked in, so nothing unsaved is lost (without script the form posts as usual).
    var upload = document.getElementById("upload");
    var lastText = null;
    form.addEventListener("focusin", function (event) {
      if (event.target.tagName === "TEXTAREA") lastText = event.target;
    });
    var targetText = function () {
      if (lastText && form.contains(lastText)) return { box: lastText, atCursor: true };
      var bodies = form.querySelectorAll("textarea[name$='-body'], textarea[name=source]");
      return bodies.length ? { box: bodies[bodies.length - 1], atCursor: false } : null;
    };
    // The line as a paragraph of its own at the cursor: blank lines around it as needed; only the
    // spaces between two words where the line splits them go.
    var placeLine = function (box, line, atCursor) {
      var value = box.value;
      var pos = atCursor ? box.selectionEnd : value.replace(/\s+$/, "").length;
      var before = value.slice(0, pos);
      var after = value.slice(pos);
      var start = pos;
      var end = pos;
      if (/[^\s][ \t]+$/.test(before)) start = before.replace(/[ \t]+$/, "").length;
      if (/[^\s][ \t]*$/.test(before)) end = pos + (after.length - after.replace(/^[ \t]+/, "").length);
      before = value.slice(0, start);
      after = value.slice(end);
      var lead = before === "" || /\n\n$/.test(before) ? "" : (/\n$/.test(before) ? "\n" : "\n\n");
      var trail = after === "" || /^\n\n/.test(after) ? "" : (/^\n/.test(after) ? "\n" : "\n\n");
      box.setRangeText(lead + line + trail, start, end, "start");
      var caret = start + lead.length + line.length;
      box.setSelectionRange(caret, caret);
    };
    if (upload && window.fetch && window.FormData) {
      var uploadStatus = document.getElementById("upload-status");
      var busy = false;
      var say = function (message, kind) {
        uploadStatus.textContent = message;
        uploadStatus.className = "upload-status" + (kind ? " flash " + kind : "");
      };
      var fields = [document.getElementById("f-image"), document.getElementById("f-alt")];
      upload.addEventListener("submit", function (event) {
        event.preventDefault();
        if (busy) return;
        busy = true;
        upload.setAttribute("aria-busy", "true");
        fields.forEach(function (input) { input.removeAttribute("aria-invalid"); });
        say(upload.getAttribute("data-msg-uploading"), "");
        var failed = upload.getAttribute("data-msg-failed");
        fetch(upload.action, {
          method: "POST", body: new FormData(upload), credentials: "same-origin",
          headers: { "Accept": "application/json" }
        }).then(function (response) {
          var type = response.headers.get("Content-Type") || "";
          if (type.indexOf("application/json") === 0) return response.json();
          // the form's token or the log-in lapsed: reloading now would lose the unsaved text
          return { ok: false, error: response.status >= 500 ? failed : upload.getAttribute("data-msg-expired") };
        }).then(function (result) {
          if (result.ok) {
            var target = targetText();
            if (target) {
              placeLine(target.box, result.markdown, target.atCursor);
              changed();
            }
            fields.forEach(function (input) { input.value = ""; });
            say(target ? upload.getAttribute(target.atCursor ? "data-msg-placed" : "data-msg-placed-end")
              : result.markdown, "ok");
          } else {
            say(result.error || failed, "error");
            var bad = document.getElementById(result.field === "alt" ? "f-alt" : "f-image");
            if (result.field) {
              bad.setAttribute("aria-invalid", "true");
              bad.focus();
            }
          }
        }).catch(function () {
          say(failed, "error");
        }).then(function () {
          busy = false;
          upload.removeAttribute("aria-busy");
        });
      });
    }
  }

  // The send page and the deliveries page follow a send the same way.
  var sendPage = document.getElementById("send-page") || document.getElementById("deliveries-live");
  if (sendPage) {
    var state = document.getElementById("state");
    var follow = ["scheduled", "sending"];
    var current = state ? state.getAttribute("data-state") : "";
    var bar = document.getElementById("send-progress");
    var set = function (id, value) { var el = document.getElementById(id); if (el) el.textContent = value; };
    var poll = function () {
      fetch(sendPage.getAttribute("data-state-url"), { credentials: "same-origin" })
        .then(function (r) { return r.json(); })
        .then(function (s) {
          if (s.status !== current) { window.location.reload(); return; }
          if (bar) {  // the deliveries page: every state on its own
            var c = s.counts;
            set("count-sent", c.sent); set("count-failed", c.failed); set("count-bounced", c.bounced);
            set("count-waiting", c.waiting); set("count-pending", c.pending + c.sending); set("count-suppressed", c.suppressed);
            var total = 0;
            Object.keys(c).forEach(function (k) { total += c[k]; });
            bar.max = total; bar.value = total - c.pending - c.sending - c.waiting;
            var settled = document.getElementById("settled");
            if (settled) settled.textContent = settled.getAttribute("data-format").replace("%(done)s", bar.value).replace("%(total)s", total);
          } else {
            set("count-sent", s.sent); set("count-failed", s.failed); set("count-pending", s.pending); set("count-waiting", s.waiting);
          }
          window.setTimeout(poll, 2000);
        }).catch(function () { window.setTimeout(poll, 5000); });
    };
    if (follow.indexOf(current) >= 0) window.setTimeout(poll, 2000);
  }
})();
