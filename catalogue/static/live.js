/* The live page's stock: server-sent events from /live/<code>/events; if the browser has no
   EventSource or the stream fails, a poll of /live/<code>/stock.json every few seconds. Without
   JavaScript the page shows the stock as it was served, and a reload shows it again. */
(function () {
  "use strict";
  var POLL_MS = 3000;
  var root = document.querySelector("[data-live-code]");
  if (!root) { return; }

  function show(answer) {
    var products = answer.products || {};
    Object.keys(products).forEach(function (id) {
      var cell = root.querySelector('[data-stock="' + id + '"]');
      var stock = products[id].stock;
      if (cell && cell.textContent !== String(stock)) { cell.textContent = stock; }
      var button = root.querySelector('[data-buy="' + id + '"]');
      if (button) { button.disabled = stock <= 0; }
    });
  }

  var polling = null;
  function poll() {
    if (polling || !window.fetch) { return; }
    var tick = function () {
      fetch(root.getAttribute("data-stock-url"), { headers: { Accept: "application/json" } })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (answer) { if (answer) { show(answer); } })
        .catch(function () {});
    };
    tick();
    polling = window.setInterval(tick, POLL_MS);
  }

  if (!window.EventSource) { poll(); return; }
  var source = new EventSource(root.getAttribute("data-events-url"));
  var opened = false;
  source.addEventListener("open", function () { opened = true; });
  source.addEventListener("stock", function (event) { show(JSON.parse(event.data)); });
  source.addEventListener("error", function () {
    // Closed after its time, the browser reconnects by itself; a stream that never opened (503, a proxy
    // that buffers) is given up for polling.
    if (!opened || source.readyState === EventSource.CLOSED) { source.close(); poll(); }
    opened = false;
  });
}());
