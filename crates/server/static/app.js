// Small conveniences over pages that work without them: a confirmation
// before what cannot be undone (data-confirm on a button), and a
// select-all box (data-select-all names the checkboxes it ticks).
"use strict";
document.addEventListener("click", function (ev) {
  var el = ev.target.closest("[data-confirm]");
  if (el && !window.confirm(el.getAttribute("data-confirm"))) {
    ev.preventDefault();
  }
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
