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
  var stages = document.querySelector("[data-stages-panel]");
  if (stages) stages.open = false;
}
collapseOnSmallScreens();
window.addEventListener("beforeprint", function () {
  document.querySelectorAll("details[data-order]").forEach(function (order) { order.open = true; });
});

// A background refresh (the page was served from an older copy while a job fetches the
// latest): when it is done, fetch the page again. Nothing on screen changed: nothing is said.
// Something changed: the head and the orders are replaced in place, unless the visitor is
// typing in the search box; then the newer data is offered instead. The refresh failed: say
// so, the orders on screen are our cached copy.
(function () {
  "use strict";
  var head = document.querySelector("[data-refresh-job-id]");
  if (!head) return;
  var statusUrl = head.dataset.statusUrl;
  var delay = 1000;

  function notice(text, offer) {
    var box = document.querySelector("[data-refresh-notice]");
    box.querySelector("[data-refresh-text]").textContent = text;
    box.querySelector("[data-refresh-link]").hidden = !offer;
    box.hidden = false;
    return box;
  }

  function typing() {
    var active = document.activeElement;
    return active && active.matches("input, select, textarea") && active.closest("[data-filters]");
  }

  function swapIn(fresh) {
    var newHead = fresh.querySelector("[data-report-head]");
    var newResults = fresh.querySelector("[data-results]");
    var oldHead = document.querySelector("[data-report-head]");
    var oldResults = document.querySelector("[data-results]");
    if (!newHead || !newResults || !oldHead || !oldResults) return false;
    newHead.removeAttribute("data-refresh-job-id");
    oldHead.replaceWith(newHead);
    oldResults.replaceWith(newResults);
    collapseOnSmallScreens();
    return true;
  }

  function reloadInPlace() {
    fetch(window.location.pathname + window.location.search, { headers: { "Accept": "text/html" }, cache: "no-store" })
      .then(function (response) {
        if (!response.ok) throw new Error("status " + response.status);
        return response.text();
      })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html");
        var freshHead = fresh.querySelector("[data-report-head]");
        if (!freshHead) return;
        if (freshHead.dataset.content === head.dataset.content) {
          // The same orders: only the time of the data moves on, quietly.
          var note = document.querySelector("[data-freshness]");
          var freshNote = freshHead.querySelector("[data-freshness]");
          if (note && freshNote) note.replaceWith(freshNote);
          return;
        }
        if (typing()) {
          notice("Newer orders are in.", true);
          return;
        }
        swapIn(fresh);
      })
      .catch(function () { /* the page on screen stays as it is */ });
  }

  function poll() {
    fetch(statusUrl, { headers: { "Accept": "application/json" }, cache: "no-store" })
      .then(function (response) { return response.json(); })
      .then(function (job) {
        if (job.status === "done" && job.source !== "cached") {
          reloadInPlace();
        } else if (job.status === "done" || job.status === "failed") {
          var text = document.querySelector("[data-refresh-text]");
          notice("We could not reach our production system just now, so these are still the orders " +
            "from our cached copy of " + text.dataset.asOf + ".", false).classList.replace("notice-info", "notice-warning");
        } else {
          setTimeout(poll, delay);
        }
      })
      .catch(function () { delay = Math.min(delay * 2, 8000); setTimeout(poll, delay); });
  }
  setTimeout(poll, delay);
})();

// Printing: "Print" opens the full report (every order, /sync/) and prints it. On a page of
// many, Ctrl+P / Cmd+P goes there too; the browser's own menu prints this page, whose printout
// says which orders it holds and where all of them are.
(function () {
  "use strict";
  var params = new URLSearchParams(window.location.search);
  if (params.get("print") === "1") {
    window.addEventListener("load", function () { window.print(); });
    return;
  }
  var printLink = document.querySelector("[data-print]");
  var paged = document.querySelector("[data-print-note]");
  if (!printLink || !paged) return;
  document.addEventListener("keydown", function (event) {
    if ((event.ctrlKey || event.metaKey) && (event.key === "p" || event.key === "P")) {
      event.preventDefault();
      window.location.assign(printLink.href);
    }
  });
})();

// On a phone the stage counts and the search and filters fold under a line each (filters stay
// open when one is on), so the next delivery and the first order are on the first screen.
(function () {
  "use strict";
  if (!window.matchMedia("(max-width: 640px)").matches) return;
  var panel = document.querySelector("[data-filters-panel]");
  var form = panel && panel.querySelector("[data-filters]");
  if (form && !form.dataset.query) panel.open = false;

})();

// "Add to calendar": the feed's address is selected in one click, ready to copy.
(function () {
  "use strict";
  document.addEventListener("focusin", function (event) {
    if (event.target.matches("[data-calendar-feed]")) event.target.select();
  });
})();
