// What the back office's progress pages share (the jobs page, a bulk mail's page): asking
// the server for the state every few seconds, and texts of the form "{done} of {total}".
window.eventappProgress = (function () {
  "use strict";

  // GET ``url`` after ``every`` ms; ``handle(answer)`` returns true to ask again. A lost
  // connection or an expired login: try again later, more slowly.
  function poll(url, every, handle) {
    function ask() {
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) {
          if (!response.ok) {
            throw new Error(response.status);
          }
          return response.json();
        })
        .then(function (answer) {
          if (handle(answer)) {
            window.setTimeout(ask, every);
          }
        })
        .catch(function () {
          window.setTimeout(ask, every * 4);
        });
    }
    window.setTimeout(ask, every);
  }

  // The element's text for the job's status (its data-text-<status>), counts filled in.
  function statusText(element, job) {
    element.textContent = element
      .getAttribute("data-text-" + job.status)
      .replace("{done}", String(job.done))
      .replace("{total}", String(job.total));
  }

  return { poll: poll, statusText: statusText };
})();
