/*
 * Draws every chart on the page. The server builds the Plotly figure; the template embeds it with
 * json_script and marks the container with data-chart="<json_script id>":
 *
 *   <div data-chart="spend-chart"></div>
 *   {{ figure|json_script:"spend-chart" }}
 *
 * Load after static/vendor/plotly.min.js (both with defer). No CDN.
 */
(function () {
  "use strict";

  var CONFIG = { responsive: true, displaylogo: false, modeBarButtonsToRemove: ["select2d", "lasso2d"] };

  function draw(el) {
    var source = document.getElementById(el.getAttribute("data-chart"));
    if (!source) {
      el.textContent = "Chart data missing.";
      return;
    }
    var figure = JSON.parse(source.textContent);
    if (!figure) return;
    var config = Object.assign({}, CONFIG, figure.config || {});
    window.Plotly.newPlot(el, figure.data || [], figure.layout || {}, config);
  }

  function drawAll() {
    var charts = document.querySelectorAll("[data-chart]");
    if (!charts.length) return;
    if (!window.Plotly) {
      charts.forEach(function (el) { el.textContent = "Charts could not load (plotly.js missing)."; });
      return;
    }
    charts.forEach(draw);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", drawAll);
  } else {
    drawAll();
  }
})();
