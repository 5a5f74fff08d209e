// irflow's own behaviour, kept small. No inline scripts anywhere (CSP).
(function () {
  "use strict";
  // Background refreshes (hx-trigger="every ...") are marked so that they do not count as
  // activity for the idle timeout.
  document.addEventListener("htmx:configRequest", function (event) {
    var elt = event.detail.elt;
    if (elt && elt.hasAttribute("data-background")) {
      event.detail.headers["X-Irflow-Background"] = "1";
    }
  });
})();
