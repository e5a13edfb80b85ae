// Keeps the counts of a bulk mail's page current: asks the server every few seconds
// until nothing is waiting any more. Without the script the page shows the counts
// of when it was loaded.
(function () {
  "use strict";
  var box = document.getElementById("send-progress");
  if (!box || !window.fetch) {
    return;
  }
  var url = box.getAttribute("data-progress-url");
  var every = 3000;

  function show(counts) {
    ["queued", "sent", "failed", "discarded"].forEach(function (name) {
      var cell = box.querySelector('[data-count="' + name + '"]');
      if (cell && typeof counts[name] === "number") {
        cell.textContent = String(counts[name]);
      }
    });
  }

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) {
          throw new Error(response.status);
        }
        return response.json();
      })
      .then(function (counts) {
        show(counts);
        if (!counts.done) {
          window.setTimeout(poll, every);
        }
      })
      .catch(function () {
        // A lost connection or an expired login: try again later, more slowly.
        window.setTimeout(poll, every * 4);
      });
  }

  window.setTimeout(poll, every);
})();
