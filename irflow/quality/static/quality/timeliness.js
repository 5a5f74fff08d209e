// Timeliness charts: waits against their targets, cancellations and room use; a click opens the
// referrals, procedures or bookings behind a bar (charts.js draws them).
(function () {
  "use strict";
  var charts = window.irflowQualityCharts;
  charts.page("timeliness-root", "timeliness-data", function (data, root) {
    var casesUrl = root.getAttribute("data-cases");
    // Median and 90th percentile (hours) per group, with the target as a marked line.
    function waits(element, rows, what) {
      rows = rows.filter(function (r) { return r.count > 0; });
      if (!rows.length) {
        return charts.empty(element, "None in this period.");
      }
      var x = rows.map(function (r) { return r.x; });
      function bar(name, key, colour) {
        return {
          type: "bar", name: name, x: x, y: rows.map(function (r) { return r[key]; }),
          customdata: rows.map(function (r) { return r.drill; }), marker: { color: colour },
          text: rows.map(function (r) { return r.count + " " + what; }), textposition: "none",
          hovertemplate: "%{x}<br>" + name + " %{y:.1f} h (%{text})<extra></extra>",
        };
      }
      var traces = [bar("Median", "median", "#0b5cad"), bar("90th percentile", "p90", "#9cc3e6")];
      var limits = rows.filter(function (r) { return r.target !== null; });
      if (limits.length) {
        traces.push({
          type: "scatter", mode: "markers", name: "Target",
          x: limits.map(function (r) { return r.x; }), y: limits.map(function (r) { return r.target; }),
          marker: { symbol: "line-ew-open", size: 40, color: "#a3161d", line: { width: 3 } },
          hovertemplate: "Target %{y} h<extra>%{x}</extra>",
        });
      }
      charts.plot(element, traces, {
        height: 340, barmode: "group", yaxis: { title: { text: "Hours" }, rangemode: "tozero" },
        legend: { orientation: "h", y: 1.12 },
      }, casesUrl);
    }

    function cancellations(element) {
      var rows = data.cancellations;
      if (!rows.length) {
        return charts.empty(element, "No cancellations in this period.");
      }
      charts.plot(element, [{
        type: "bar", x: rows.map(function (r) { return r.x; }), y: rows.map(function (r) { return r.y; }),
        customdata: rows.map(function (r) { return r.drill; }), marker: { color: "#b35c00" },
        hovertemplate: "%{x}: %{y} bookings<extra></extra>",
      }], { height: 320, yaxis: { title: { text: "Bookings cancelled" }, rangemode: "tozero" } }, casesUrl);
    }

    function rooms(element) {
      var rows = data.rooms;
      if (!rows.length) {
        return charts.empty(element, "No bookings in this period.");
      }
      var x = rows.map(function (r) { return r.x; });
      // Shares, not minutes: a month's opening hours dwarf a day's bookings on one axis.
      function bar(name, key, colour) {
        return {
          type: "bar", name: name, x: x,
          y: rows.map(function (r) { return r[key] === null ? null : r[key] * 100; }),
          customdata: rows.map(function (r) { return r.drill; }), marker: { color: colour },
          hovertemplate: "%{x}<br>" + name + " %{y:.1f} %<extra></extra>",
        };
      }
      charts.plot(element, [
        bar("Used of booked time", "of_booked", "#0b5cad"),
        bar("Booked of available time", "booked_of_available", "#9cc3e6"),
        bar("Used of available time", "of_available", "#b35c00"),
      ], {
        height: 340, barmode: "group", yaxis: { title: { text: "Share of time (%)" }, rangemode: "tozero" },
        legend: { orientation: "h", y: 1.12 },
      }, casesUrl);
    }

    var draw = {
      wait: function (element) {
        var key = element.getAttribute("data-key");
        waits(element, data[key] || [], "referrals");
      },
      reports: function (element) { waits(element, data.reports, "signed"); },
      cancellations: cancellations,
      rooms: rooms,
    };
    return draw;
  });
})();
