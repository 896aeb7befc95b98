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
  }

  var sendPage = document.getElementById("send-page");
  if (sendPage) {
    var state = document.getElementById("state");
    var follow = ["scheduled", "sending"];
    var current = state ? state.className.replace(/.*state-/, "") : "";
    var set = function (id, value) { var el = document.getElementById(id); if (el) el.textContent = value; };
    var poll = function () {
      fetch(sendPage.getAttribute("data-state-url"), { credentials: "same-origin" })
        .then(function (r) { return r.json(); })
        .then(function (s) {
          if (s.status !== current) { window.location.reload(); return; }
          set("count-sent", s.sent); set("count-failed", s.failed); set("count-pending", s.pending);
          window.setTimeout(poll, 2000);
        }).catch(function () { window.setTimeout(poll, 5000); });
    };
    if (follow.indexOf(current) >= 0) window.setTimeout(poll, 2000);
  }
})();
