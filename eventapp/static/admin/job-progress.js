// Keeps the jobs page's progress bars current: asks the server every two seconds while a
// job waits or runs, and shows the download button once a file is ready. Without the
// script the page reloads itself (a meta refresh in <noscript>) and offers a reload link.
(function () {
  "use strict";
  var table = document.getElementById("jobs");
  if (!table || !window.fetch || !window.eventappProgress) {
    return;
  }
  var url = table.getAttribute("data-progress-url");
  var every = 2000;
  var downloadLabel = null;

  function draw(job) {
    var row = document.getElementById("job-" + job.id);
    if (!row) {
      return false;
    }
    var bar = row.querySelector("progress");
    var state = row.querySelector(".job-state");
    var error = row.querySelector(".job-error");
    var download = row.querySelector(".job-download");
    var wasDone = row.getAttribute("data-status") === "done";
    row.setAttribute("data-status", job.status);
    bar.value = job.percent;
    bar.textContent = job.percent + " %";
    window.eventappProgress.statusText(state, job);
    error.hidden = !job.error;
    error.textContent = job.error || "";
    if (job.download_url && !wasDone) {
      var link = document.createElement("a");
      link.className = "button button-primary";
      link.href = job.download_url;
      link.textContent = downloadLabel;
      var note = document.createElement("p");
      note.className = "muted";
      note.textContent = job.download_note || "";
      download.textContent = "";
      download.appendChild(link);
      download.appendChild(note);
    }
    return true;
  }

  // True while a job waits or runs: then the page asks again.
  function drawAll(answer) {
    var busy = false;
    var unknown = false;
    answer.jobs.forEach(function (job) {
      if (!draw(job)) {
        unknown = true;
      }
      if (job.status === "queued" || job.status === "running") {
        busy = true;
      }
    });
    if (unknown) {
      window.location.reload(); // a job started elsewhere: show the whole list
      return false;
    }
    return busy;
  }

  downloadLabel = table.getAttribute("data-download-label");
  var hint = document.querySelector(".no-script-hint");
  if (hint) {
    hint.hidden = true;
  }
  if (table.getAttribute("data-active") === "true") {
    window.eventappProgress.poll(url, every, drawAll);
  }
})();
