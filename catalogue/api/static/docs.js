// Starts Swagger UI on the document named by the page (no inline script: the CSP allows only 'self').
(function () {
  "use strict";
  var root = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: root.dataset.specUrl,
    domNode: root,
    deepLinking: true,
    validatorUrl: null, // the public validator is another host: never called
    presets: [SwaggerUIBundle.presets.apis],
  });
})();
