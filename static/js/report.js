// A report reached through a job's address (/report/<job_id>) is a snapshot: move the
// address bar to the customer's permanent link, so a bookmark or a home-screen icon stays live.
(function () {
  "use strict";
  var head = document.querySelector("[data-permanent-url]");
  if (head) history.replaceState(null, "", head.dataset.permanentUrl + window.location.search);
})();

// Filters the report in place: the server marks what the URL's filters hide,
// this re-applies the same exact, case-insensitive match when a menu changes,
// and keeps the URL (and any export links) in step so the view can be shared.
(function () {
  "use strict";
  var form = document.querySelector("[data-filters]");
  if (!form) return;

  form.querySelectorAll("[data-no-js]").forEach(function (el) { el.hidden = true; });

  // A link shared from the old app (?statusFilter=…) shows the same orders; the address
  // bar then says it with today's names, so a bookmark made now is a current link.
  var given = new URLSearchParams(window.location.search);
  if (["statusFilter", "groupFilter", "supplierFilter"].some(function (key) { return given.has(key); })) {
    var query = form.dataset.query;
    history.replaceState(null, "", window.location.pathname + (query ? "?" + query : ""));
  }

  function norm(value) { return (value || "").trim().toLowerCase(); }

  function apply() {
    var wanted = {
      status: norm(form.elements.status && form.elements.status.value),
      group: norm(form.elements.group && form.elements.group.value),
      supplier: norm(form.elements.supplier && form.elements.supplier.value)
    };
    var orderCount = 0, lineCount = 0;
    document.querySelectorAll("[data-order]").forEach(function (order) {
      var supplierOk = !wanted.supplier || norm(order.dataset.supplier) === wanted.supplier;
      var shown = 0;
      order.querySelectorAll("[data-line]").forEach(function (row) {
        var ok = supplierOk &&
          (!wanted.status || norm(row.dataset.status) === wanted.status) &&
          (!wanted.group || norm(row.dataset.group) === wanted.group);
        row.hidden = !ok;
        if (ok) shown += 1;
      });
      order.hidden = shown === 0;
      if (shown) { orderCount += 1; lineCount += shown; }
    });

    setCount("orders", orderCount);
    setCount("lines", lineCount);
    var noMatch = document.querySelector("[data-no-match]");
    if (noMatch) noMatch.hidden = orderCount > 0;

    var params = new URLSearchParams();
    ["status", "group", "supplier"].forEach(function (key) {
      var el = form.elements[key];
      if (el && el.value) params.set(key, el.value);
    });
    var query = params.toString();
    history.replaceState(null, "", window.location.pathname + (query ? "?" + query : ""));
    document.querySelectorAll("[data-export]").forEach(function (link) {
      link.href = link.dataset.export + (query ? "?" + query : "");
    });
  }

  function setCount(name, value) {
    var el = document.querySelector('[data-count="' + name + '"]');
    if (el) el.textContent = String(value);
  }

  form.addEventListener("change", apply);
  form.addEventListener("submit", function (event) { event.preventDefault(); apply(); });
  var clear = form.querySelector("[data-clear]");
  if (clear) {
    clear.addEventListener("click", function (event) {
      event.preventDefault();
      form.querySelectorAll("select").forEach(function (select) { select.value = ""; });
      apply();
    });
  }
})();

// "Updating…": when the page was served from an older copy, follow the
// refresh job and offer the newer data once it is in.
(function () {
  "use strict";
  var notice = document.querySelector("[data-refresh-job-id]");
  if (!notice) return;
  var text = notice.querySelector("[data-refresh-text]");
  var link = notice.querySelector("[data-refresh-link]");
  var delay = 1000;

  function poll() {
    fetch(notice.dataset.statusUrl, { headers: { "Accept": "application/json" }, cache: "no-store" })
      .then(function (response) { return response.json(); })
      .then(function (job) {
        if (job.status === "done" && job.source !== "cached") {
          text.textContent = "Newer data is ready.";
          link.href = window.location.pathname + window.location.search;
          link.hidden = false;
        } else if (job.status === "done" || job.status === "failed") {
          // The refresh could not reach the factory system: say so, never "newer data".
          text.textContent = "We could not reach our production system just now, so these are still the orders " +
            "from our cached copy of " + text.dataset.asOf + ".";
          notice.classList.replace("notice-info", "notice-warning");
        } else {
          setTimeout(poll, delay);
        }
      })
      .catch(function () { delay = Math.min(delay * 2, 8000); setTimeout(poll, delay); });
  }
  setTimeout(poll, delay);
})();
