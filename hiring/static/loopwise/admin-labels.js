// Gives every select2 search box in the admin an accessible name: "Search <the field's label>".
// select2 builds these inputs itself, with no <label>; screen readers (and axe) need one.
(function () {
  "use strict";
  function nameOf(select) {
    var label = select.id ? document.querySelector('label[for="' + select.id + '"]') : null;
    var text = label ? label.textContent.replace(/[:*]\s*$/, "").trim() : select.name;
    return "Search " + text;
  }
  function labelAll(root) {
    root.querySelectorAll("select.admin-autocomplete").forEach(function (select) {
      var container = select.nextElementSibling;
      if (!container || !container.classList.contains("select2")) return;
      container.querySelectorAll(".select2-search__field").forEach(function (input) {
        if (!input.getAttribute("aria-label")) input.setAttribute("aria-label", nameOf(select));
      });
    });
    // The dropdown's search box (single selects) lives at the end of <body>.
    document.querySelectorAll(".select2-dropdown .select2-search__field").forEach(function (input) {
      if (!input.getAttribute("aria-label")) input.setAttribute("aria-label", "Search");
    });
  }
  function start() {
    labelAll(document);
    new MutationObserver(function () { labelAll(document); }).observe(document.body, {
      childList: true,
      subtree: true,
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
