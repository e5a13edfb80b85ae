// Keeps the counts of a bulk mail's page current: asks the server every few seconds
// until nothing is waiting any more. Without the script the page shows the counts
// of when it was loaded.
(function () {
  "use strict";
  var box = document.getElementById("send-progress");
  if (!box || !window.fetch || !window.eventappProgress) {
    return;
  }
  var url = box.getAttribute("data-progress-url");
  var every = 3000;

  var queueing = document.getElementById("send-queueing");
  var bar = document.getElementById("send-queueing-bar");

  // A large send: the worker queues its messages first, "n of m".
  function showQueueing(job) {
    if (!queueing || !job) {
      return;
    }
    if (queueing.getAttribute("data-status") !== "done" && job.status === "done") {
      window.location.reload(); // the count of recipients is known now
      return;
    }
    queueing.setAttribute("data-status", job.status);
    window.eventappProgress.statusText(queueing, job);
    if (bar) {
      bar.max = job.total || 1;
      bar.value = job.done;
      bar.hidden = job.status === "failed";
    }
  }

  function show(counts) {
    ["queued", "sent", "failed", "discarded"].forEach(function (name) {
      var cell = box.querySelector('[data-count="' + name + '"]');
      if (cell && typeof counts[name] === "number") {
        cell.textContent = String(counts[name]);
      }
    });
    showQueueing(counts.queueing);
  }

  window.eventappProgress.poll(url, every, function (counts) {
    show(counts);
    return !counts.done;
  });
})();
