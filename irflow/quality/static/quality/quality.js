// Outcomes charts: volumes, success rates, adverse events and dose (charts.js draws them).
(function () {
  "use strict";
  var charts = window.irflowQualityCharts;
  charts.page("quality-root", "quality-data", function (data, root) {
    var casesUrl = root.getAttribute("data-cases");
    var GRADE_COLOURS = ["#9cc3e6", "#0b5cad", "#b35c00", "#a3161d", "#15191e"];

    function volume(element) {
      var bars = data.volumes[element.getAttribute("data-key")] || [];
      if (!bars.length) {
        return charts.empty(element, "No procedures in this period.");
      }
      charts.plot(element, [{
        type: "bar", x: bars.map(function (b) { return b.x; }), y: bars.map(function (b) { return b.y; }),
        customdata: bars.map(function (b) { return b.drill; }), marker: { color: "#0b5cad" },
        hovertemplate: "%{x}: %{y} procedures<extra></extra>",
      }], { height: 300, yaxis: { title: { text: "Procedures" }, rangemode: "tozero" } }, casesUrl);
    }

    function success(element) {
      var rows = data.success;
      if (!rows.length) {
        return charts.empty(element, "No procedures in this period.");
      }
      function trace(name, key, colour, drillKey) {
        return {
          type: "bar", name: name, x: rows.map(function (r) { return r.x; }),
          y: rows.map(function (r) { return r[key] === null ? null : r[key] * 100; }),
          customdata: rows.map(function (r) { return r[drillKey]; }),
          error_y: {
            type: "data", symmetric: false, color: "#15191e",
            array: rows.map(function (r) { return r[key + "_ci"] ? (r[key + "_ci"][1] - r[key]) * 100 : 0; }),
            arrayminus: rows.map(function (r) { return r[key + "_ci"] ? (r[key] - r[key + "_ci"][0]) * 100 : 0; }),
          },
          marker: { color: colour }, hovertemplate: "%{x}<br>" + name + " %{y:.1f} %<extra></extra>",
        };
      }
      charts.plot(element, [
        trace("Technical success", "technical", "#0b5cad", "drill_technical"),
        trace("Clinical success", "clinical", "#b35c00", "drill_clinical"),
      ], { height: 340, barmode: "group", yaxis: { title: { text: "Rate (%), 95 % CI" }, range: [0, 105] }, legend: { orientation: "h", y: 1.12 } }, casesUrl);
    }

    function adverseEvents(element) {
      var ae = data.adverse_events;
      if (!ae.rows.length) {
        return charts.empty(element, "No procedures in this period.");
      }
      var x = ae.rows.map(function (r) { return r.x; });
      var traces = ae.grades.map(function (grade, i) {
        return {
          type: "bar", name: grade.label, x: x,
          y: ae.rows.map(function (r) { return r.procedures ? (r.by_grade[grade.code] / r.procedures) * 100 : 0; }),
          customdata: ae.rows.map(function (r) { return r.drill_grade[grade.code]; }),
          text: ae.rows.map(function (r) { return r.by_grade[grade.code] + " of " + r.procedures; }),
          textposition: "none", marker: { color: GRADE_COLOURS[i % GRADE_COLOURS.length] },
          hovertemplate: "%{x}<br>" + grade.label + ": %{text} (%{y:.1f} %)<extra></extra>",
        };
      });
      traces.push({
        type: "scatter", mode: "markers", name: "Any grade, 95 % CI", x: x,
        y: ae.rows.map(function (r) { return r.rate * 100; }),
        customdata: ae.rows.map(function (r) { return r.drill; }),
        error_y: {
          type: "data", symmetric: false, color: "#15191e",
          array: ae.rows.map(function (r) { return (r.ci[1] - r.rate) * 100; }),
          arrayminus: ae.rows.map(function (r) { return (r.rate - r.ci[0]) * 100; }),
        },
        marker: { color: "#15191e", size: 9, symbol: "diamond" },
        hovertemplate: "%{x}<br>Any grade %{y:.1f} %<extra></extra>",
      });
      var limits = ae.rows.filter(function (r) { return r.threshold !== null; });
      if (limits.length) {
        traces.push({
          type: "scatter", mode: "markers", name: "Site threshold",
          x: limits.map(function (r) { return r.x; }), y: limits.map(function (r) { return r.threshold * 100; }),
          marker: { symbol: "line-ew-open", size: 40, color: "#a3161d", line: { width: 3 } },
          hovertemplate: "Threshold %{y:.1f} %<extra>%{x}</extra>",
        });
      }
      charts.plot(element, traces, {
        height: 360, barmode: "stack", yaxis: { title: { text: "Cases with an adverse event (%)" }, rangemode: "tozero" },
        legend: { orientation: "h", y: 1.12 },
      }, casesUrl);
    }

    var draw = { volume: volume, success: success, ae: adverseEvents };
    return draw;
  });
})();
