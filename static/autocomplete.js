// Autocomplete for the search box, from /api/suggest. Progressive enhancement only: without
// this file the form is an ordinary GET form. No framework, no inline script (CSP forbids it).
(function () {
  "use strict";
  var input = document.getElementById("q");
  if (!input || !window.fetch || !input.dataset.suggestUrl) return;
  // The server's <datalist> (completions of the last search) serves readers without
  // JavaScript; here the live list replaces it, so two pop-ups never compete.
  input.removeAttribute("list");
  var list = document.createElement("ul");
  var items = [], active = -1, timer = 0, pending = null;
  list.id = "q-suggestions";
  list.className = "suggestions";
  list.setAttribute("role", "listbox");
  list.hidden = true;
  input.parentNode.appendChild(list);
  input.setAttribute("role", "combobox");
  input.setAttribute("aria-autocomplete", "list");
  input.setAttribute("aria-controls", list.id);
  input.setAttribute("aria-expanded", "false");

  function close() {
    list.hidden = true; active = -1; items = [];
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
  }
  function highlight(i) {
    active = i;
    Array.prototype.forEach.call(list.children, function (li, n) {
      li.setAttribute("aria-selected", n === i ? "true" : "false");
    });
    if (i >= 0) input.setAttribute("aria-activedescendant", list.children[i].id);
  }
  function choose(text) {
    input.value = text; close();
    if (input.form) input.form.submit();
  }
  function show(words) {
    list.textContent = "";  // textContent/createElement only: suggestions are never parsed as HTML
    items = words;
    words.forEach(function (w, n) {
      var li = document.createElement("li");
      li.id = "q-suggestion-" + n;
      li.setAttribute("role", "option");
      li.textContent = w;
      li.addEventListener("mousedown", function (e) { e.preventDefault(); choose(w); });
      list.appendChild(li);
    });
    if (!words.length) { close(); return; }
    list.hidden = false; active = -1;
    input.setAttribute("aria-expanded", "true");
  }
  function fetchSuggestions() {
    var q = input.value.trim();
    if (pending) pending.abort();
    if (!q || q.length > 100) { close(); return; }
    pending = window.AbortController ? new AbortController() : null;
    var url = input.dataset.suggestUrl + "?q=" + encodeURIComponent(q);
    fetch(url, { signal: pending && pending.signal, headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : { suggestions: [] }; })
      .then(function (data) {
        if (input.value.trim() === q) show((data.suggestions || []).filter(function (w) { return w !== q; }));
      })
      .catch(function () { /* aborted or offline: the plain form still works */ });
  }
  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(fetchSuggestions, 120);
  });
  input.addEventListener("keydown", function (e) {
    if (list.hidden) return;
    if (e.key === "ArrowDown") { e.preventDefault(); highlight((active + 1) % items.length); }
    else if (e.key === "ArrowUp") { e.preventDefault(); highlight((active - 1 + items.length) % items.length); }
    else if (e.key === "Enter" && active >= 0) { e.preventDefault(); choose(items[active]); }
    else if (e.key === "Escape") { close(); }
  });
  input.addEventListener("blur", function () { setTimeout(close, 100); });
}());
