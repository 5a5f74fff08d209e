// Devices and safety charts: read the data the page embeds as <script type="application/json">
// and draw it with Plotly (served from the installed plotly package). A click on a bar opens
// the list behind it: cases, devices or follow-up tasks. No inline script anywhere (CSP).
(function () {
  "use strict";
  if (typeof Plotly === "undefined") {
    return;
  }
  var root = document.getElementById("safety-root");
  var source = document.getElementById("safety-data");
  if (!root || !source) {
    return;
  }
  var data = JSON.parse(source.textContent);
  var lists = {
    cases: root.getAttribute("data-cases"),
    devices: root.getAttribute("data-devices"),
    tasks: root.getAttribute("data-tasks"),
  };
  var FONT = { family: "DejaVu Sans, Liberation Sans, system-ui, sans-serif", size: 14, color: "#15191e" };
  var CONFIG = { displaylogo: false, responsive: true, modeBarButtonsToRemove: ["lasso2d", "select2d", "autoScale2d"] };
  var COLOURS = ["#0b5cad", "#b35c00", "#a3161d", "#9cc3e6"];

  function layout(extra) {
    var out = {
      font: FONT, margin: { l: 60, r: 20, t: 10, b: 90 },
      paper_bgcolor: "#ffffff", plot_bgcolor: "#ffffff", legend: { orientation: "h", y: 1.15 },
    };
    Object.keys(extra).forEach(function (k) { out[k] = extra[k]; });
    return out;
  }

  function plot(element, traces, extra, list) {
    Plotly.newPlot(element, traces, layout(extra), CONFIG).then(function () {
      element.on("plotly_click", function (event) {
        var point = event.points && event.points[0];
        var drill = point && point.customdata;
        if (typeof drill === "string" && drill) {
          window.location.assign(lists[list] + "?" + drill);
        }
      });
    });
  }

  function empty(element, text) {
    element.textContent = text;
    element.className += " empty";
  }

  function bars(name, rows, value, drill, colour) {
    return {
      type: "bar", name: name, x: rows.map(function (r) { return r.x; }),
      y: rows.map(value), customdata: rows.map(drill), marker: { color: colour },
      hovertemplate: "%{x}<br>" + name + ": %{y}<extra></extra>",
    };
  }

  var draw = {
    srdl: function (element) {
      var rows = data.srdl;
      if (!rows.length) {
        return empty(element, "No case reached the substantial radiation dose level in this period.");
      }
      plot(element, [
        bars("SRDL cases", rows, function (r) { return r.srdl; }, function (r) { return r.drill.any; }, COLOURS[0]),
        bars("Follow-up done", rows, function (r) { return r.done; }, function (r) { return r.drill.done; }, COLOURS[1]),
        bars("Follow-up open, overdue", rows, function (r) { return r.overdue; }, function (r) { return r.drill.overdue; }, COLOURS[2]),
      ], { height: 320, barmode: "group", yaxis: { title: { text: "Cases" }, rangemode: "tozero" } }, "cases");
    },
    ivc: function (element) {
      var rows = data.ivc;
      if (!rows.some(function (r) { return r.y; })) {
        return empty(element, "No retrievable IVC filter placed in this period.");
      }
      plot(element, [bars("IVC filters", rows, function (r) { return r.y; }, function (r) { return r.drill; }, COLOURS[0])],
        { height: 300, yaxis: { title: { text: "Filters" }, rangemode: "tozero" } }, "devices");
    },
    overdue: function (element) {
      var rows = data.overdue_devices;
      if (!rows.length) {
        return empty(element, "No overdue device.");
      }
      plot(element, [bars("Overdue", rows, function (r) { return r.y; }, function (r) { return r.drill; }, COLOURS[2])],
        { height: 300, yaxis: { title: { text: "Devices" }, rangemode: "tozero" } }, "devices");
    },
    followup: function (element) {
      var f = data.followup;
      if (!f.rows.length) {
        return empty(element, "No follow-up task due in this period.");
      }
      plot(element, f.states.map(function (state, i) {
        return bars(state.label, f.rows, function (r) { return r.counts[state.code]; },
          function (r) { return r.drill[state.code]; }, COLOURS[i % COLOURS.length]);
      }), { height: 340, barmode: "stack", yaxis: { title: { text: "Tasks" }, rangemode: "tozero" } }, "tasks");
    },
    checklists: function (element) {
      var rows = data.checklists;
      if (!rows.length || !rows[0].n) {
        return empty(element, "No procedures in this period.");
      }
      var trace = bars("Completed", rows, function (r) { return r.rate * 100; }, function (r) { return r.drill; }, COLOURS[0]);
      trace.text = rows.map(function (r) { return r.done + " of " + r.n; });
      trace.textposition = "none";
      trace.hovertemplate = "%{x}: %{text} (%{y:.1f} %)<br>Click for the cases without it<extra></extra>";
      trace.error_y = {
        type: "data", symmetric: false, color: "#15191e",
        array: rows.map(function (r) { return (r.ci[1] - r.rate) * 100; }),
        arrayminus: rows.map(function (r) { return (r.rate - r.ci[0]) * 100; }),
      };
      plot(element, [trace], { height: 300, yaxis: { title: { text: "Cases (%), 95 % CI" }, range: [0, 105] } }, "cases");
    },
    overrides: function (element) {
      var rows = data.overrides;
      if (!rows.length) {
        return empty(element, "No procedures in this period.");
      }
      plot(element, [
        bars("Readiness overrides", rows, function (r) { return r.readiness; }, function (r) { return r.drill_readiness; }, COLOURS[0]),
        bars("Emergency overrides", rows, function (r) { return r.emergency; }, function (r) { return r.drill_emergency; }, COLOURS[2]),
      ], { height: 320, barmode: "group", yaxis: { title: { text: "Overrides" }, rangemode: "tozero" } }, "cases");
    },
  };
  Array.prototype.forEach.call(root.querySelectorAll("[data-chart]"), function (element) {
    var kind = draw[element.getAttribute("data-chart")];
    if (kind) {
      kind(element);
    }
  });
})();
