// Starts Swagger UI on /api/docs (a file of its own: the page's Content-Security-Policy allows
// no inline script). The document's address is the page's #swagger-ui data-url.
window.addEventListener("load", function () {
  var root = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: root.getAttribute("data-url"),
    domNode: root,
    deepLinking: true,
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
  });
});
