// The video upload form: say that the analysis is running while the server works, and
// keep the button from being pressed twice. The form works without this script too.
(function () {
  "use strict";
  var form = document.getElementById("analysis-form");
  if (!form) return;
  form.addEventListener("submit", function () {
    var button = document.getElementById("analyse-button");
    var working = document.getElementById("analysis-working");
    if (button) button.disabled = true;
    if (working) working.hidden = false;
  });
})();
