/* Suggestions for district inputs (records/district_field.py): as one types, a <datalist>
   is filled from the entry screen's search URL. Without this script the input still works:
   the server reads a name, a name with its province and department, or a ubigeo. */
(function () {
  "use strict";
  var timers = new WeakMap();

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
    var url = input.getAttribute("data-district-search") + "?q=" + encodeURIComponent(text);
    fetch(url, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (r) { return r.ok ? r.json() : {results: []}; })
      .then(function (data) {
        var list = listFor(input);
        list.replaceChildren();
        data.results.forEach(function (item) {
          var option = document.createElement("option");
          option.value = item.label;
          list.appendChild(option);
        });
      })
      .catch(function () { /* suggestions are a help only */ });
  }

  document.addEventListener("input", function (event) {
    var input = event.target;
    if (!input.matches || !input.matches("input[data-district-search]")) return;
    clearTimeout(timers.get(input));
    timers.set(input, setTimeout(function () { suggest(input); }, 200));
  });
})();
