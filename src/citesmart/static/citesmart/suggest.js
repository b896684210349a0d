/* Suggestions for the entry screen's text inputs that replace long selects: an input with
   data-suggest="URL" gets a <datalist> filled from URL?q= as one types ({results: [{value,
   label, kind}]}). Districts (records/district_field.py) and productive units (by document
   or name, scoped on the server by role). Without this script the inputs still work: the
   server reads what was typed. */
(function () {
  "use strict";
  var timers = new WeakMap();
  var found = new WeakMap();

  function listFor(input) {
    var id = input.id + "-sugerencias";
    var list = document.getElementById(id);
    if (!list) {
      list = document.createElement("datalist");
      list.id = id;
      input.insertAdjacentElement("afterend", list);
      input.setAttribute("list", id);
    }
    return list;
  }

  function suggest(input) {
    var text = input.value.trim();
    if (text.length < 2 || /\(ubigeo \d{6}\)$/.test(text)) return;
    var url = input.getAttribute("data-suggest") + "?q=" + encodeURIComponent(text);
    fetch(url, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (r) { return r.ok ? r.json() : {results: []}; })
      .then(function (data) {
        var list = listFor(input);
        list.replaceChildren();
        found.set(input, data.results);
        data.results.forEach(function (item) {
          var option = document.createElement("option");
          option.value = item.value;
          if (item.label !== item.value) option.label = item.label;
          list.appendChild(option);
        });
      })
      .catch(function () { /* suggestions are a help only */ });
  }

  document.addEventListener("input", function (event) {
    var input = event.target;
    if (!input.matches || !input.matches("input[data-suggest]")) return;
    clearTimeout(timers.get(input));
    timers.set(input, setTimeout(function () { suggest(input); }, 200));
  });

  /* A unit picked by its document also sets the document type next to it. */
  document.addEventListener("change", function (event) {
    var input = event.target;
    var target = input.getAttribute && input.getAttribute("data-suggest-kind");
    if (!target) return;
    var select = document.getElementById(target);
    (found.get(input) || []).forEach(function (item) {
      if (item.value === input.value && item.kind && select) select.value = item.kind;
    });
  });
})();
