// Progressive enhancement for pages with live filters (dashboard, center pages).
// Without JavaScript the filter form submits normally and every link is a plain link;
// with it, the results region is fetched and replaced in place, and the URL keeps the state
// so views can be shared, bookmarked and walked with back/forward.
(function () {
  "use strict";
  // "Copiar enlace": without JavaScript (or clipboard) a plain link to this very view.
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("a[data-copy-link]");
    if (!link || !navigator.clipboard) return;
    event.preventDefault();
    var url = new URL(link.getAttribute("href"), window.location.href).href;
    navigator.clipboard.writeText(url).then(function () {
      var done = link.parentNode.querySelector("[data-copied]");
      if (done) done.hidden = false;
    }, function () { window.location.href = url; });
  });
  var form = document.querySelector("form[data-live]");
  var region = document.getElementById("results");
  if (!form || !region || !window.fetch || !window.history) return;

  // The view the region shows (path and query): a jump to an anchor (the skip link) changes
  // only the fragment and fires popstate too, with nothing to fetch.
  var shown = window.location.pathname + window.location.search;
  function viewOf(url) {
    var parsed = new URL(url, window.location.href);
    return parsed.pathname + parsed.search;
  }

  function load(url, push) {
    region.setAttribute("aria-busy", "true");
    return fetch(url, { headers: { "X-Partial": "1" }, credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) throw new Error(response.status);
        return response.text();
      })
      .then(function (html) {
        region.innerHTML = html;
        shown = viewOf(url);
        if (push) history.pushState({ live: true }, "", url);
        syncForm(url);
      })
      .catch(function () { window.location.href = url; })
      .finally(function () { region.removeAttribute("aria-busy"); });
  }

  function urlFromForm() {
    var params = new URLSearchParams();
    new FormData(form).forEach(function (value, key) { if (value !== "") params.append(key, value); });
    var query = params.toString();
    return form.getAttribute("action") + (query ? "?" + query : "");
  }

  function syncForm(url) {
    var params = new URL(url, window.location.href).searchParams;
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name) return;
      if (el.type === "checkbox") el.checked = params.has(el.name);
      else if (el.tagName === "SELECT" || el.tagName === "INPUT") el.value = params.get(el.name) || "";
    });
  }

  form.addEventListener("change", function () { load(urlFromForm(), true); });
  form.addEventListener("submit", function (event) { event.preventDefault(); load(urlFromForm(), true); });
  region.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("a[data-live-link]");
    if (!link || event.ctrlKey || event.metaKey || event.shiftKey) return;
    event.preventDefault();
    // SVG anchors (the map) expose href as an object: read the attribute instead.
    load(new URL(link.getAttribute("href"), window.location.href).href, true);
  });
  window.addEventListener("popstate", function () {
    if (viewOf(window.location.href) !== shown) load(window.location.href, false);
  });
  var submit = form.querySelector("[data-live-hide]");
  if (submit) submit.hidden = true;
})();
