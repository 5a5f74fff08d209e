// The quality pages' charts. Each page embeds its figures as <script type="application/json">
// and says how to draw each chart; Plotly (served from the installed plotly package) draws
// them, and a click on a bar opens the list of what lies behind it. No inline script (CSP).
window.irflowQualityCharts = (function () {
  "use strict";
  var FONT = { family: "DejaVu Sans, Liberation Sans, system-ui, sans-serif", size: 14, color: "#15191e" };
  var CONFIG = { displaylogo: false, responsive: true, modeBarButtonsToRemove: ["lasso2d", "select2d", "autoScale2d"] };

  function layout(extra) {
    var out = {
      font: FONT, margin: { l: 60, r: 20, t: 10, b: 90 },
      paper_bgcolor: "#ffffff", plot_bgcolor: "#ffffff",
    };
    Object.keys(extra).forEach(function (k) { out[k] = extra[k]; });
    return out;
  }

  // Draws the traces; a click on a bar opens `url` with the bar's drill-down query.
  function plot(element, traces, extra, url) {
    Plotly.newPlot(element, traces, layout(extra), CONFIG).then(function () {
      element.on("plotly_click", function (event) {
        var point = event.points && event.points[0];
        var drill = point && point.customdata;
        if (typeof drill === "string" && drill) {
          window.location.assign(url + "?" + drill);
        }
      });
    });
  }

  function empty(element, text) {
    element.textContent = text;
    element.className += " empty";
  }

  // The page whose root and data elements have these ids: `draws(data, root)` gives, per
  // chart kind (an element's data-chart), the function that draws that element.
  function page(rootId, dataId, draws) {
    if (typeof Plotly === "undefined") {
      return;
    }
    var root = document.getElementById(rootId);
    var source = document.getElementById(dataId);
    if (!root || !source) {
      return;
    }
    var draw = draws(JSON.parse(source.textContent), root);
    Array.prototype.forEach.call(root.querySelectorAll("[data-chart]"), function (element) {
      var kind = draw[element.getAttribute("data-chart")];
      if (kind) {
        kind(element);
      }
    });
  }

  return { plot: plot, empty: empty, page: page };
})();
