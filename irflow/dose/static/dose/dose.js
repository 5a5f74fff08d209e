// Dose charts: read the data the page embeds as <script type="application/json"> and draw it
// with Plotly (served from the installed plotly package). No inline script anywhere (CSP).
(function () {
  "use strict";
  if (typeof Plotly === "undefined") {
    return;
  }
  var FONT = { family: "DejaVu Sans, Liberation Sans, system-ui, sans-serif", size: 14, color: "#15191e" };
  var CONFIG = {
    displaylogo: false,
    responsive: true,
    modeBarButtonsToRemove: ["lasso2d", "select2d", "autoScale2d"],
  };
  var COLOURS = { total: "#15191e", plane_a: "#0b5cad", plane_b: "#b35c00", single: "#0b5cad" };
  var NAMES = { total: "Total", plane_a: "Plane A", plane_b: "Plane B", single: "Single plane" };

  function payload(element) {
    var source = document.getElementById(element.getAttribute("data-source"));
    return source ? JSON.parse(source.textContent) : null;
  }

  function level(y, colour, dash, text) {
    return {
      shape: {
        type: "line", xref: "paper", x0: 0, x1: 1, y0: y, y1: y,
        line: { color: colour, width: 2, dash: dash },
      },
      annotation: {
        xref: "paper", x: 1, y: y, xanchor: "right", yanchor: "bottom", showarrow: false,
        text: text, font: { size: 13, color: colour },
      },
    };
  }

  function cumulative(element) {
    var data = payload(element);
    if (!data || !data.series) {
      return;
    }
    var keys = Object.keys(data.series);
    var planes = keys.filter(function (k) { return k !== "total"; });
    var traces = keys
      .filter(function (k) { return k === "total" || planes.length > 1; })
      .map(function (key) {
        return {
          type: "scatter", mode: "lines", line: { shape: "hv", width: key === "total" ? 3 : 2, color: COLOURS[key] || "#56606b" },
          name: NAMES[key] || key, x: data.series[key].x, y: data.series[key].y,
          hovertemplate: "%{x|%H:%M:%S}<br>%{y:,.0f} mGy<extra>" + (NAMES[key] || key) + "</extra>",
        };
      });
    var marks = data.notification_mgy.map(function (y) {
      return level(y, "#8a5200", "dash", "Notification " + (y / 1000).toLocaleString("en-GB") + " Gy");
    });
    marks.push(level(data.srdl_mgy, "#a3161d", "solid", "SRDL " + (data.srdl_mgy / 1000).toLocaleString("en-GB") + " Gy"));
    Plotly.newPlot(element, traces, {
      font: FONT, height: 360, margin: { l: 70, r: 20, t: 10, b: 50 },
      xaxis: { title: { text: "Time" }, type: "date", tickformat: "%H:%M" },
      yaxis: { title: { text: "Cumulative Ka,r (mGy)" }, rangemode: "tozero", separatethousands: true },
      shapes: marks.map(function (m) { return m.shape; }),
      annotations: marks.map(function (m) { return m.annotation; }),
      legend: { orientation: "h", y: -0.2 },
      paper_bgcolor: "#ffffff", plot_bgcolor: "#ffffff",
    }, CONFIG);
  }

  function boxes(element) {
    var data = payload(element);
    var groups = data ? data[element.getAttribute("data-key")] : null;
    if (!groups || !groups.length) {
      element.textContent = "No procedures in this period.";
      element.className += " empty";
      return;
    }
    var traces = groups.map(function (group) {
      return {
        type: "box", name: group.name, y: group.y, boxpoints: "all", jitter: 0.35, pointpos: 0,
        marker: { color: "#0b5cad", size: 6, opacity: 0.7 }, line: { color: "#15191e" },
        fillcolor: "rgba(11, 92, 173, 0.12)", showlegend: false,
        hovertemplate: "%{y:,.1f} Gy·cm²<extra>" + group.name + "</extra>",
      };
    });
    if (element.getAttribute("data-key") === "by_procedure" && data.drl.length) {
      traces.push({
        type: "scatter", mode: "markers", name: "Diagnostic reference level",
        x: data.drl.map(function (d) { return d.name; }), y: data.drl.map(function (d) { return d.drl; }),
        marker: { symbol: "line-ew-open", size: 44, color: "#a3161d", line: { width: 3 } },
        hovertemplate: "DRL %{y:,.0f} Gy·cm²<extra>%{x}</extra>",
      });
    }
    Plotly.newPlot(element, traces, {
      font: FONT, height: 380, margin: { l: 70, r: 20, t: 10, b: 90 },
      yaxis: { title: { text: "DAP per procedure (" + data.unit + ")" }, rangemode: "tozero" },
      legend: { orientation: "h", y: 1.08 }, showlegend: true,
      paper_bgcolor: "#ffffff", plot_bgcolor: "#ffffff",
    }, CONFIG);
  }

  var draw = { cumulative: cumulative, boxes: boxes };
  Array.prototype.forEach.call(document.querySelectorAll("[data-chart]"), function (element) {
    var kind = draw[element.getAttribute("data-chart")];
    if (kind) {
      kind(element);
    }
  });
})();
