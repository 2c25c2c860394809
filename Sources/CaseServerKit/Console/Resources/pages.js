// The console's live updates: the case list inserts or replaces a case's row as the server's
// change feed (server-sent events, /console/events) sends it; the case page says when its case
// changed. Rows come rendered by the server, so every word on them is from the catalogue.
(function () {
  "use strict";
  function feed(url, onRow, onGone, live) {
    var source = new EventSource(url);
    source.addEventListener("open", function () { if (live) { live.textContent = live.dataset.on; live.classList.add("on"); } });
    source.addEventListener("error", function () { if (live) { live.textContent = live.dataset.off; live.classList.remove("on"); } });
    source.addEventListener("row", function (e) { onRow(JSON.parse(e.data)); });
    source.addEventListener("gone", function (e) { onGone(JSON.parse(e.data)); });
  }
  var table = document.getElementById("cases");
  if (table) {
    var body = document.getElementById("case-rows");
    var empty = document.getElementById("cases-empty");
    var live = document.getElementById("live");
    feed(table.dataset.feed, function (d) {
      var holder = document.createElement("tbody");
      holder.innerHTML = d.html;
      var row = holder.firstElementChild;
      if (!row) { return; }
      var old = document.getElementById("case-" + d.ref);
      // The feed sends again what changed just before the page was rendered: a row the page
      // already shows in this version stays as it is.
      if (old && old.dataset.version === row.dataset.version) { return; }
      if (old) { old.replaceWith(row); } else { body.insertBefore(row, body.firstChild); }
      row.classList.add("fresh");
      empty.hidden = true;
    }, function (d) {
      var old = document.getElementById("case-" + d.ref);
      if (old) { old.remove(); }
      empty.hidden = body.children.length > 0;
    }, live);
  }
  var casePage = document.getElementById("case");
  if (casePage) {
    var changed = document.getElementById("changed");
    var shown = function () { changed.hidden = false; };
    feed(casePage.dataset.feed, shown, shown, null);
  }
})();
