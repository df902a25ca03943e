/* The search page (/jobs) on wide screens (no libraries; the page works without this file).
 *
 * The panels that fold away on phones (details[data-open-wide]: the other conditions and the
 * counts) are a side panel beside the results from 64em (1024 px) on: open them there, once, when
 * the page loads. They stay ordinary <details>: a person may still fold them.
 */
(function () {
  "use strict";

  if (!window.matchMedia || !window.matchMedia("(min-width: 64em)").matches) {
    return;
  }
  var panels = document.querySelectorAll("details[data-open-wide]");
  for (var i = 0; i < panels.length; i += 1) {
    panels[i].open = true;
  }
})();
