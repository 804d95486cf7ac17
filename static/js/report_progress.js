// The Reports page while a file builds on the worker: polls each row marked data-report-status (its
// status URL) and reloads the page once one has finished, so its download link or error shows.
(function () {
  "use strict";
  var rows = Array.prototype.slice.call(document.querySelectorAll("[data-report-status]"));
  if (!rows.length) return;
  var delay = 1000;
  function tick() {
    Promise.all(rows.map(function (row) {
      return fetch(row.getAttribute("data-report-status"), { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : { finished: false }; });
    }))
      .then(function (statuses) {
        if (statuses.some(function (s) { return s.finished; })) { window.location.reload(); return; }
        delay = Math.min(delay * 1.5, 10000);  // a slow build is not polled every second for minutes
        setTimeout(tick, delay);
      })
      .catch(function () { setTimeout(tick, 5000); });
  }
  setTimeout(tick, delay);
})();
