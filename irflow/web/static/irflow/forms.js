// Forms that were refused: the first field to correct gets the focus, so that the keyboard
// and the screen reader start where the work is (the summary above the form lists the rest).
// Markup: web/_errors.html (data-error-summary) and web/_field.html (aria-invalid).
(function () {
  "use strict";

  function shown(elt) {
    return !!(elt.offsetWidth || elt.offsetHeight || elt.getClientRects().length);
  }

  function focusFirstInvalid(root) {
    var summary = root.querySelector("[data-error-summary]");
    if (!summary) return;
    var form = summary.closest("form") || root;
    var fields = form.querySelectorAll('[aria-invalid="true"]');
    for (var i = 0; i < fields.length; i++) {
      if (shown(fields[i]) && !fields[i].disabled) {
        fields[i].focus();
        return;
      }
    }
    // Nothing to type into (a message about the whole form): start at the summary.
    summary.setAttribute("tabindex", "-1");
    summary.focus();
  }

  document.addEventListener("DOMContentLoaded", function () {
    focusFirstInvalid(document);
  });
  // A form swapped in by htmx (a refused inline form) is treated like a new page.
  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail && event.detail.target;
    if (target && target.querySelector) focusFirstInvalid(target);
  });
})();
