// The loading page: polls the job, moves the bar, shows the log, and opens
// the report (with the page's filters) when it is done — or, on the page that
// waits for a download, fetches the file. A failure shows the message and the
// "try again" button; lost polls back off and retry.
(function () {
  "use strict";
  var box = document.querySelector("[data-job-id]");
  if (!box) return;
  var statusUrl = box.dataset.statusUrl;
  var bar = box.querySelector("[data-progress-bar]");
  var meter = box.querySelector("[data-progress]");
  var text = box.querySelector("[data-progress-text]");
  var logList = box.querySelector("[data-log]");
  var failure = box.querySelector("[data-failure]");
  var delay = 700;

  function show(job) {
    var pct = Math.max(0, Math.min(100, job.pct || 0));
    bar.style.setProperty("--pct", pct + "%");
    meter.setAttribute("aria-valuenow", String(pct));
    text.textContent = String(pct);
    logList.replaceChildren.apply(logList, (job.log || []).map(function (line) {
      var item = document.createElement("li");
      item.textContent = line;
      return item;
    }));
  }

  function poll() {
    fetch(statusUrl, { headers: { "Accept": "application/json" }, cache: "no-store" })
      .then(function (response) {
        if (response.status === 404) throw new Error("gone");
        return response.json();
      })
      .then(function (job) {
        show(job);
        if (job.status === "done" && box.dataset.downloadUrl) {
          // The data is in: the same address now answers with the file (an attachment: this page stays).
          window.location.assign(box.dataset.downloadUrl);
          box.querySelector("[data-download-ready]").hidden = false;
        } else if (job.status === "done" && job.report_url) {
          window.location.replace(job.report_url + window.location.search);
        } else if (job.status === "failed") {
          failure.querySelector("[data-error]").textContent = job.error || "Something went wrong.";
          failure.hidden = false;
        } else {
          delay = 700;
          setTimeout(poll, delay);
        }
      })
      .catch(function (error) {
        if (error.message === "gone") { window.location.reload(); return; }
        delay = Math.min(delay * 2, 8000);  // network trouble or rate limit: slow down, keep going
        setTimeout(poll, delay);
      });
  }

  // The width is set from script: the CSP allows no inline style attributes.
  bar.style.setProperty("--pct", (meter.getAttribute("aria-valuenow") || "0") + "%");
  if (failure.hidden) setTimeout(poll, 300);
})();
