// Permission to quote: "Use the words selected in the letter" copies the selection into the form.
(function () {
  "use strict";
  var button = document.getElementById("quote-use-selection");
  var field = document.getElementById("quote-passage-input");
  var letter = document.getElementById("reply-text") || document.getElementById("reply-html");
  if (!button || !field || !letter) return;
  var chosen = "";
  document.addEventListener("selectionchange", function () {
    var sel = window.getSelection();
    if (sel && sel.rangeCount && letter.contains(sel.anchorNode) && sel.toString().trim()) {
      chosen = sel.toString().trim();
      button.hidden = false;
    }
  });
  button.addEventListener("click", function () {
    if (chosen) { field.value = chosen; field.focus(); }
  });
})();
