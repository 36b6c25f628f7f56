// The classroom's sign-in code changes every 30 seconds: this replaces the code and its QR
// code in place (no reload of the page), from the JSON the API gives the teacher.
(function () {
  "use strict";
  var box = document.getElementById("qr");
  if (!box || !window.fetch) {
    return;
  }
  var url = box.getAttribute("data-code-url");
  var first = parseInt(box.getAttribute("data-refresh"), 10) || 30;
  function later(seconds) {
    window.setTimeout(refresh, seconds * 1000);
  }
  function refresh() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (answer) {
        if (!answer.ok) {
          throw new Error(String(answer.status));
        }
        return answer.json();
      })
      .then(function (code) {
        document.getElementById("qr-svg").innerHTML = code.svg;
        document.getElementById("qr-code").textContent = code.code;
        box.setAttribute("data-code", code.code);
        later(30);
      })
      .catch(function () {
        later(10);
      });
  }
  later(first);
})();
