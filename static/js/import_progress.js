// Polls a running import's status and reloads the page when it has finished.
(function () {
  var box = document.getElementById("progress");
  if (!box) return;
  var url = box.getAttribute("data-status-url");
  function tick() {
    fetch(url, { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (s) {
        document.getElementById("progress-bar").value = s.progress_percent;
        document.getElementById("progress-text").textContent = s.progress_percent + "%";
        if (s.status === "done" || s.status === "failed") { window.location.reload(); }
        else { setTimeout(tick, 1000); }
      })
      .catch(function () { setTimeout(tick, 3000); });
  }
  setTimeout(tick, 1000);
})();
