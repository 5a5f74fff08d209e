// Devices and safety charts: SRDL cases, devices, follow-up, checklists and overrides; a click
// opens the cases, devices or follow-up tasks behind a bar (charts.js draws them).
(function () {
  "use strict";
  var charts = window.irflowQualityCharts;
  charts.page("safety-root", "safety-data", function (data, root) {
    var lists = {
      cases: root.getAttribute("data-cases"),
      devices: root.getAttribute("data-devices"),
      tasks: root.getAttribute("data-tasks"),
    };
    var COLOURS = ["#0b5cad", "#b35c00", "#a3161d", "#9cc3e6"];

    function plot(element, traces, extra, list) {
      var options = { legend: { orientation: "h", y: 1.15 } };
      Object.keys(extra).forEach(function (k) { options[k] = extra[k]; });
      charts.plot(element, traces, options, lists[list]);
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
          return charts.empty(element, "No case reached the substantial radiation dose level in this period.");
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
          return charts.empty(element, "No retrievable IVC filter placed in this period.");
        }
        plot(element, [bars("IVC filters", rows, function (r) { return r.y; }, function (r) { return r.drill; }, COLOURS[0])],
          { height: 300, yaxis: { title: { text: "Filters" }, rangemode: "tozero" } }, "devices");
      },
      overdue: function (element) {
        var rows = data.overdue_devices;
        if (!rows.length) {
          return charts.empty(element, "No overdue device.");
        }
        plot(element, [bars("Overdue", rows, function (r) { return r.y; }, function (r) { return r.drill; }, COLOURS[2])],
          { height: 300, yaxis: { title: { text: "Devices" }, rangemode: "tozero" } }, "devices");
      },
      followup: function (element) {
        var f = data.followup;
        if (!f.rows.length) {
          return charts.empty(element, "No follow-up task due in this period.");
        }
        plot(element, f.states.map(function (state, i) {
          return bars(state.label, f.rows, function (r) { return r.counts[state.code]; },
            function (r) { return r.drill[state.code]; }, COLOURS[i % COLOURS.length]);
        }), { height: 340, barmode: "stack", yaxis: { title: { text: "Tasks" }, rangemode: "tozero" } }, "tasks");
      },
      checklists: function (element) {
        var rows = data.checklists;
        if (!rows.length || !rows[0].n) {
          return charts.empty(element, "No procedures in this period.");
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
          return charts.empty(element, "No procedures in this period.");
        }
        plot(element, [
          bars("Readiness overrides", rows, function (r) { return r.readiness; }, function (r) { return r.drill_readiness; }, COLOURS[0]),
          bars("Emergency overrides", rows, function (r) { return r.emergency; }, function (r) { return r.drill_emergency; }, COLOURS[2]),
        ], { height: 320, barmode: "group", yaxis: { title: { text: "Overrides" }, rangemode: "tozero" } }, "cases");
      },
    };
    return draw;
  });
})();
