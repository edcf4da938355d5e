// Stale key repairs: follows the scan in progress (its JSON status) until it ends, without
// reloading the page, so a selection of findings is not lost.
(function () {
  "use strict";
  function follow(line) {
    fetch(line.dataset.url, {credentials: "same-origin", headers: {Accept: "application/json"}})
      .then(function (response) { return response.ok ? response.json() : Promise.reject(response.status); })
      .then(function (scan) {
        if (scan.status === "done" || scan.status === "failed") {
          line.textContent = "Scan " + scan.id + " " + scan.status + (scan.error ? ": " + scan.error : "") +
            " (" + scan.items_scanned + " items, " + (scan.findings_count === null ? 0 : scan.findings_count) + " findings). ";
          var link = document.createElement("a");
          link.href = window.location.pathname;
          link.textContent = "Show its findings";
          line.appendChild(link);
          line.dataset.status = scan.status;
          return;
        }
        line.textContent = "Scan " + scan.id + " is " + scan.status + ": " + scan.items_scanned + " items read, " +
          scan.segments_done + " of " + scan.segments + " segments done.";
        window.setTimeout(function () { follow(line); }, 1500);
      })
      .catch(function () { window.setTimeout(function () { follow(line); }, 5000); });
  }
  document.addEventListener("DOMContentLoaded", function () {
    var line = document.getElementById("scan-progress");
    if (line) { follow(line); }
  });
})();
