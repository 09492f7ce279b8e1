/* The order page while it waits for its money: copy buttons for the transfer facts, and a poll
   of the order's status so the page turns "paid" when the bank feed (or VNPay, MoMo, Stripe)
   says so, without a reload. Without JavaScript the facts are plain text and a reload shows it. */
(function () {
  "use strict";
  var POLL_MS = 3000;
  var done = document.getElementById("copy-done");

  Array.prototype.forEach.call(document.querySelectorAll("button[data-copy]"), function (button) {
    var source = document.getElementById(button.getAttribute("data-copy"));
    if (!source || !navigator.clipboard) { return; }
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(source.textContent.trim()).then(function () {
        if (done) { done.textContent = done.getAttribute("data-copied"); }
      });
    });
  });

  var status = document.querySelector("[data-status-url]");
  if (!status || !window.fetch) { return; }
  var url = status.getAttribute("data-status-url");

  var seen = status.getAttribute("data-seen");  // the money and status drawn: a change redraws the live parts

  // "Đã nhận … Còn thiếu …", the money story, the timeline and the invoices are drawn by the server:
  // read this page again and swap in its parts marked data-live (same origin, escaped by Jinja).
  function refreshParts() {
    fetch(window.location.href, {credentials: "same-origin", cache: "no-store", headers: {"Accept": "text/html"}})
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        if (!html) { return; }
        var fresh = new DOMParser().parseFromString(html, "text/html");
        Array.prototype.forEach.call(document.querySelectorAll("[data-live]"), function (part) {
          var twin = fresh.querySelector("[data-live=\"" + part.getAttribute("data-live") + "\"]");
          if (twin) { part.innerHTML = twin.innerHTML; }
        });
      })
      .catch(function () { /* the next change tries again; a reload always shows it */ });
  }

  function show(answer) {
    var now = answer.status + "/" + answer.paid_vnd + "/" + answer.due_vnd;
    if (now !== seen) { refreshParts(); }
    seen = now;
    status.textContent = answer.label;
    status.className = "order-status status-" + answer.status;
    var due = document.querySelector("[data-due]");
    if (due && answer.due_vnd > 0 && answer.due !== due.textContent) {
      due.textContent = answer.due;
      var plain = document.getElementById("copy-amount");
      if (plain) { plain.textContent = String(answer.due_vnd); }
      var image = document.querySelector("[data-testid=vietqr-image]");
      if (image) {  // the QR asks for what is still due: draw it again
        var source = new URL(image.src);
        source.searchParams.set("due", String(answer.due_vnd));
        image.src = source.toString();
      }
    }
    if (answer.status !== "pending_payment" && answer.status !== "payment_failed") {
      var area = document.querySelector("[data-testid=pay-area]");
      if (area) { area.hidden = true; }
      var paid = document.querySelector("[data-testid=paid-note]");
      if (paid && answer.paid) { paid.hidden = false; }
      // invoices are issued just after the money: read the page once more a little later
      window.setTimeout(refreshParts, POLL_MS * 2);
      return true;
    }
    return false;
  }

  function poll() {
    fetch(url, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (answer) {
        if (!answer || !show(answer)) { window.setTimeout(poll, POLL_MS); }
      })
      .catch(function () { window.setTimeout(poll, POLL_MS * 2); });
  }

  window.setTimeout(poll, POLL_MS);
}());
