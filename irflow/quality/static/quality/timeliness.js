// Timeliness charts: read the data the page embeds as <script type="application/json"> and
// draw it with Plotly (served from the installed plotly package). A click on a bar opens the
// list of the referrals, procedures or bookings behind it. No inline script anywhere (CSP).
(function () {
  "use strict";
  if (typeof Plotly === "undefined") {
    return;
  }
  var root = document.getElementById("timeliness-root");
  var source = document.getElementById("timeliness-data");
  if (!root || !source) {
    return;
  }
  var data = JSON.parse(source.textContent);
  var casesUrl = root.getAttribute("data-cases");
  var FONT = { family: "DejaVu Sans, Liberation Sans, system-ui, sans-serif", size: 14, color: "#15191e" };
  var CONFIG = { displaylogo: false, responsive: true, modeBarButtonsToRemove: ["lasso2d", "select2d", "autoScale2d"] };
  var LAYOUT = {
    font: FONT, margin: { l: 70, r: 20, t: 10, b: 90 },
    paper_bgcolor: "#ffffff", plot_bgcolor: "#ffffff",
  };

  function layout(extra) {
    var out = {};
    Object.keys(LAYOUT).forEach(function (k) { out[k] = LAYOUT[k]; });
    Object.keys(extra).forEach(function (k) { out[k] = extra[k]; });
    return out;
  }

  function drillOnClick(element) {
    element.on("plotly_click", function (event) {
      var point = event.points && event.points[0];
      var drill = point && point.customdata;
      if (typeof drill === "string" && drill) {
        window.location.assign(casesUrl + "?" + drill);
      }
    });
  }

  function empty(element, text) {
    element.textContent = text;
    element.className += " empty";
  }

  // Median and 90th percentile (hours) per group, with the target as a marked line.
  function waits(element, rows, what) {
    rows = rows.filter(function (r) { return r.count > 0; });
    if (!rows.length) {
      return empty(element, "None in this period.");
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
    Plotly.newPlot(element, traces, layout({
      height: 340, barmode: "group", yaxis: { title: { text: "Hours" }, rangemode: "tozero" },
      legend: { orientation: "h", y: 1.12 },
    }), CONFIG).then(function () { drillOnClick(element); });
  }

  function cancellations(element) {
    var rows = data.cancellations;
    if (!rows.length) {
      return empty(element, "No cancellations in this period.");
    }
    Plotly.newPlot(element, [{
      type: "bar", x: rows.map(function (r) { return r.x; }), y: rows.map(function (r) { return r.y; }),
      customdata: rows.map(function (r) { return r.drill; }), marker: { color: "#b35c00" },
      hovertemplate: "%{x}: %{y} bookings<extra></extra>",
    }], layout({ height: 320, yaxis: { title: { text: "Bookings cancelled" }, rangemode: "tozero" } }), CONFIG)
      .then(function () { drillOnClick(element); });
  }

  function rooms(element) {
    var rows = data.rooms;
    if (!rows.length) {
      return empty(element, "No bookings in this period.");
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
    Plotly.newPlot(element, [
      bar("Used of booked time", "of_booked", "#0b5cad"),
      bar("Booked of available time", "booked_of_available", "#9cc3e6"),
      bar("Used of available time", "of_available", "#b35c00"),
    ], layout({
      height: 340, barmode: "group", yaxis: { title: { text: "Share of time (%)" }, rangemode: "tozero" },
      legend: { orientation: "h", y: 1.12 },
    }), CONFIG).then(function () { drillOnClick(element); });
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
  Array.prototype.forEach.call(root.querySelectorAll("[data-chart]"), function (element) {
    var kind = draw[element.getAttribute("data-chart")];
    if (kind) {
      kind(element);
    }
  });
})();
