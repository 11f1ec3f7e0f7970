// The 24/7 console's live feed: each Server-Sent Event carries the
// alert's item, rendered on the server, which replaces the item of the
// same alert or goes first in the list. Without this script the page
// still reads; it is reloaded to see new alerts.
(function () {
  "use strict";
  function start() {
    var list = document.getElementById("open-alerts");
    if (!list || !window.EventSource) { return; }
    var status = document.getElementById("live-status");
    var source = new EventSource(list.dataset.stream);
    source.addEventListener("open", function () {
      if (status) { status.textContent = list.dataset.live; }
    });
    source.addEventListener("alert", function (e) {
      var tpl = document.createElement("template");
      tpl.innerHTML = e.data.trim();
      var item = tpl.content.firstElementChild;
      if (!item) { return; }
      var old = document.getElementById(item.id);
      if (old) { old.replaceWith(item); } else { list.prepend(item); }
      var none = document.getElementById("no-open");
      if (none) { none.remove(); }
      var count = document.getElementById("open-count");
      if (count) { count.textContent = list.querySelectorAll("li.alert:not(.acked)").length; }
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else { start(); }
})();
