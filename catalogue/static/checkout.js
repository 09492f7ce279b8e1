/* The checkout's parcels: when the ward or province changes, ask POST /api/v1/shipping/quote for the
   parcels of this cart to that address and redraw them with the shipping fee and the total. Without
   JavaScript the "Tính phí vận chuyển" button posts the form and the server draws the same list. */
(function () {
  "use strict";
  // The waiting room: the shop was placing as many orders as it takes at once and asked this one to come back
  // (503, Retry-After). The form is as the buyer filled it. After that long, plus up to a second so that the
  // buyers asked at the same moment do not all come back at the same moment, ask the shop whether it has room
  // (a cheap question) and send the form only then; asked to wait again, wait again. Without JavaScript the
  // notice asks the buyer to press the button again.
  var waiting = document.querySelector("form[data-retry-after]");
  if (waiting) {
    var roomUrl = waiting.getAttribute("data-room-url");
    var send = function () {
      var button = waiting.querySelector("[type=submit]:not([formnovalidate])");
      if (waiting.requestSubmit) { waiting.requestSubmit(button); } else { button.click(); }
    };
    var later = function (seconds) { window.setTimeout(ask, seconds * 1000 + Math.floor(Math.random() * 1000)); };
    var ask = function () {
      if (!window.fetch || !roomUrl) { send(); return; }
      fetch(roomUrl, {cache: "no-store", credentials: "same-origin"}).then(function (answer) {
        if (answer.status === 503) { later(parseInt(answer.headers.get("Retry-After"), 10) || 1); } else { send(); }
      }).catch(send);
    };
    later(parseInt(waiting.getAttribute("data-retry-after"), 10) || 1);
  }
}());
(function () {
  "use strict";
  // The demo account's note is about VietQR: shown only while VietQR is the chosen way to pay.
  var demo = document.querySelector("[data-demo-for]");
  var methods = document.querySelectorAll("input[name=payment_method]");
  function showDemo() {
    var chosen = document.querySelector("input[name=payment_method]:checked");
    demo.hidden = !chosen || chosen.value !== demo.getAttribute("data-demo-for");
  }
  if (demo && methods.length) {
    Array.prototype.forEach.call(methods, function (input) { input.addEventListener("change", showDemo); });
    showDemo();
  }
}());
(function () {
  "use strict";
  var section = document.querySelector("[data-quote-url]");
  var ward = document.getElementById("ward");
  var province = document.getElementById("province");
  if (!section || !ward || !province || !window.fetch) { return; }
  var list = section.querySelector("[data-parcel-list]");
  var note = section.querySelector("[data-parcels-note]");
  var feeCell = document.querySelector("[data-shipping-fee]");
  var totalCells = document.querySelectorAll("[data-checkout-total]");  // the summary's and the one above the button
  var totalCell = {set textContent(value) {
    Array.prototype.forEach.call(totalCells, function (cell) { cell.textContent = value; });
  }};
  var lines = JSON.parse(section.getAttribute("data-lines"));
  var brands = JSON.parse(section.getAttribute("data-carriers"));
  var subtotal = parseInt(section.getAttribute("data-subtotal"), 10);
  var text = function (name) { return section.getAttribute("data-text-" + name) || ""; };
  var asked = 0;
  var timer = null;

  function vnd(amount) {
    return String(amount).replace(/\B(?=(\d{3})+(?!\d))/g, ".") + "\u00a0₫";
  }

  function kg(grams) {
    return String(Math.round(grams / 10) / 100).replace(".", ",") + " kg";
  }

  function cell(className, content) {
    var span = document.createElement("span");
    span.className = className;
    span.textContent = content;
    return span;
  }

  function draw(answer) {
    list.textContent = "";
    answer.parcels.forEach(function (parcel) {
      var item = document.createElement("li");
      item.setAttribute("data-testid", "parcel");
      item.setAttribute("data-producer", parcel.producer.slug);
      var how = text("zone");
      if (parcel.fee_source === "carrier") {
        how = brands[parcel.carrier] || parcel.carrier;
        if (parcel.eta_days) { how += " · " + text("eta").replace("{days}", parcel.eta_days); }
      }
      item.appendChild(cell("parcel-producer", parcel.producer.name));
      item.appendChild(cell("parcel-weight", kg(parcel.weight_g)));
      var fee = cell("parcel-fee", vnd(parcel.fee_vnd));
      fee.setAttribute("data-testid", "parcel-fee");
      item.appendChild(fee);
      item.appendChild(cell("parcel-carrier muted", how));
      list.appendChild(item);
    });
    note.textContent = "";
    feeCell.textContent = vnd(answer.shipping_fee_vnd);
    totalCell.textContent = vnd(subtotal + answer.shipping_fee_vnd);
  }

  function refuse(message) {
    list.textContent = "";
    note.textContent = message;
    feeCell.textContent = "—";
    totalCell.textContent = vnd(subtotal);
  }

  function quote(typing) {
    var wardName = ward.value.trim();
    if (wardName.length < 2) { refuse(text("wait")); return; }
    var mine = ++asked;
    fetch(section.getAttribute("data-quote-url"), {
      method: "POST",
      headers: {"Content-Type": "application/json", "Accept": "application/json"},
      body: JSON.stringify({lines: lines, shipping_address: {ward: wardName, province: province.value}})
    }).then(function (response) {
      return response.json().then(function (body) { return {ok: response.ok, body: body}; });
    }).then(function (result) {
      if (mine !== asked) { return; }  // an older answer arriving late
      if (result.ok) { draw(result.body); return; }
      var address = (result.body.errors || {}).shipping_address || {};
      if (address.ward) {  // while typing, a ward not yet whole is not an error
        refuse(typing === true ? text("wait") : text("ward").replace("{province}", province.value));
      } else {
        refuse(text("refused"));
      }
    }).catch(function () { /* offline: the button still prices the parcels */ });
  }

  function later() {
    window.clearTimeout(timer);
    timer = window.setTimeout(function () { quote(true); }, 400);
  }

  ward.addEventListener("change", quote);
  ward.addEventListener("input", later);
  province.addEventListener("change", quote);
  // A ward filled before this script ran (the browser's autofill, a quick thumb) sent no event to it: price it now.
  if (ward.value.trim().length >= 2) { quote(); }

  // The ward suggestions follow the province: a Hà Nội buyer is offered Hà Nội's wards.
  var suggestions = document.getElementById("wards");
  if (suggestions && suggestions.getAttribute("data-wards-url")) {
    province.addEventListener("change", function () {
      var url = new URL(suggestions.getAttribute("data-wards-url"), window.location.href);
      url.searchParams.set("province", province.value);
      fetch(url.toString(), {headers: {"Accept": "application/json"}})
        .then(function (response) { return response.ok ? response.json() : {wards: []}; })
        .then(function (answer) {
          suggestions.replaceChildren.apply(suggestions, answer.wards.map(function (name) {
            var option = document.createElement("option");
            option.value = name;
            return option;
          }));
        })
        .catch(function () { /* offline: the server checks the ward when the order is placed */ });
    });
  }
})();
