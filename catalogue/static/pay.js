/* Card payment: Stripe.js tokenises the card in the browser (card data never reaches us),
   the server confirms the order's PaymentIntent, and 3-D Secure is finished here.
   The order turns paid only when Stripe's signed webhook says so. */
(function () {
  "use strict";
  var form = document.getElementById("payment-form");
  if (!form || typeof window.Stripe !== "function") { return; }
  var data = form.dataset;
  // Stripe.js words its own card messages in the page's language.
  var stripe = window.Stripe(data.publishableKey, {locale: data.locale || "vi"});
  var card = stripe.elements().create("card");
  card.mount("#card-element");
  var button = document.getElementById("pay-button");
  var errors = document.getElementById("card-errors");

  function fail(message) {
    errors.textContent = message || data.failed;
    button.disabled = false;
  }

  function finished() { window.location.assign(data.returnUrl); }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    button.disabled = true;
    errors.textContent = "";
    stripe.createToken(card).then(function (result) {
      if (result.error) { return fail(result.error.message); }
      return fetch(data.payUrl, {
        method: "POST",
        credentials: "same-origin",
        headers: {"Content-Type": "application/json", "X-CSRFToken": data.csrfToken},
        body: JSON.stringify({payment_method: result.token.card.id})
      }).then(function (response) {
        return response.json().then(function (body) {
          if (!response.ok) { return fail(body.error || data.declined); }
          if (body.status === "requires_action") {
            return stripe.confirmCardPayment(data.clientSecret).then(function (outcome) {
              if (outcome.error) { return fail(outcome.error.message || data.declined); }
              finished();
            });
          }
          finished();
        });
      });
    }).catch(function () { fail(data.failed); });
  });
}());
