// A report reached through a job's address (/report/<job_id>) is a snapshot: move the
// address bar to the customer's permanent link, so a bookmark or a home-screen icon stays live.
(function () {
  "use strict";
  var head = document.querySelector("[data-permanent-url]");
  if (head) history.replaceState(null, "", head.dataset.permanentUrl + window.location.search);
})();

// Filters and search: the server filters and pages the orders (a huge customer's
// page stays small). With script, a change fetches the filtered page and swaps the
// results in place, keeping the typing in the search box; the URL follows, so the
// view can be shared. Without script, the form is an ordinary GET.
(function () {
  "use strict";
  var form = document.querySelector("[data-filters]");
  if (!form) return;

  form.querySelectorAll("[data-no-js]").forEach(function (el) { el.hidden = true; });

  // A link shared from the old app (?statusFilter=…) shows the same orders; the address
  // bar then says it with today's names, so a bookmark made now is a current link.
  var given = new URLSearchParams(window.location.search);
  if (["statusFilter", "groupFilter", "supplierFilter"].some(function (key) { return given.has(key); })) {
    var canonical = form.dataset.query;
    history.replaceState(null, "", window.location.pathname + (canonical ? "?" + canonical : ""));
  }

  var pending = null;
  var timer = null;

  function queryOfForm() {
    var params = new URLSearchParams();
    new FormData(form).forEach(function (value, key) {
      if (String(value).trim()) params.append(key, String(value).trim());
    });
    return params.toString();
  }

  function show(query) {
    var url = window.location.pathname + (query ? "?" + query : "");
    if (pending) pending.abort();
    pending = new AbortController();
    fetch(url, { headers: { "Accept": "text/html" }, signal: pending.signal })
      .then(function (response) {
        if (!response.ok) throw new Error("status " + response.status);
        return response.text();
      })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html").querySelector("[data-results]");
        var current = document.querySelector("[data-results]");
        if (!fresh || !current) { window.location.assign(url); return; }
        current.replaceWith(fresh);
        history.replaceState(null, "", url);
        collapseOnSmallScreens();
      })
      .catch(function (error) {
        if (error.name !== "AbortError") window.location.assign(url);  // let the browser show what happened
      });
  }

  form.addEventListener("change", function (event) {
    if (event.target.matches("select, input[type=checkbox]")) show(queryOfForm());
  });
  form.addEventListener("input", function (event) {
    if (!event.target.matches("[data-search]")) return;
    clearTimeout(timer);
    timer = setTimeout(function () { show(queryOfForm()); }, 250);
  });
  form.addEventListener("submit", function (event) { event.preventDefault(); clearTimeout(timer); show(queryOfForm()); });
  document.addEventListener("click", function (event) {
    var clear = event.target.closest("[data-clear]");
    if (!clear) return;
    event.preventDefault();
    form.querySelectorAll("select").forEach(function (select) { select.value = ""; });
    form.querySelectorAll("input[type=checkbox]").forEach(function (box) { box.checked = false; });
    var search = form.querySelector("[data-search]");
    if (search) search.value = "";
    show("");
  });
})();

// On a phone, the first orders stay open and the rest fold to their one-line
// headers (tap to open). Printing opens every order.
function collapseOnSmallScreens() {
  "use strict";
  if (!window.matchMedia("(max-width: 640px)").matches) return;
  document.querySelectorAll("details[data-order]").forEach(function (order, index) {
    if (index >= 3) order.open = false;
  });
}
collapseOnSmallScreens();
window.addEventListener("beforeprint", function () {
  document.querySelectorAll("details[data-order]").forEach(function (order) { order.open = true; });
});

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
