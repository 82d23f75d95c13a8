// Small conveniences over pages that work without them: a confirmation
// before what cannot be undone (data-confirm on a button), a select-all
// box (data-select-all names the checkboxes it ticks), and common phrases
// (data-phrase) that fill in the opinion box they stand beside.
"use strict";
document.addEventListener("click", function (ev) {
  var el = ev.target.closest("[data-confirm]");
  if (el && !window.confirm(el.getAttribute("data-confirm"))) {
    ev.preventDefault();
  }
  var phrase = ev.target.closest("[data-phrase]");
  if (phrase) {
    var list = phrase.closest("[data-phrases-for]");
    var box = list && document.getElementById(list.getAttribute("data-phrases-for"));
    if (box) {
      var text = phrase.getAttribute("data-phrase");
      box.value = box.value.trim() ? box.value.replace(/\s*$/, "") + "\n" + text : text;
      box.focus();
    }
  }
});
// Phrases are offered only where script can put them in.
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("[data-phrases-for]").forEach(function (el) {
    el.hidden = false;
  });
});
document.addEventListener("change", function (ev) {
  var box = ev.target;
  var name = box.getAttribute && box.getAttribute("data-select-all");
  if (!name) {
    return;
  }
  var form = box.form || document;
  form.querySelectorAll('input[type="checkbox"][name="' + name + '"]').forEach(function (c) {
    c.checked = box.checked;
  });
});
