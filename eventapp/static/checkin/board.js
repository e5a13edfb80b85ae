/* The live board: polls the board JSON every few seconds and redraws the areas.
   Text only through textContent: names come from the server, never as HTML. */
(function () {
  "use strict";
  var root = document.getElementById("board");
  if (!root) { return; }
  var messages = JSON.parse(document.getElementById("board-messages").textContent);
  var areasBox = document.getElementById("board-areas");
  var status = document.getElementById("board-status");
  var url = root.getAttribute("data-board-url");
  var interval = parseInt(root.getAttribute("data-interval"), 10) || 5000;
  var withPeople = root.getAttribute("data-people") === "true";
  var timer = null;

  function clock(iso) { return iso ? iso.slice(11, 16) : ""; }
  function fill(text, key, value) { return text.replace("%(" + key + ")s", value); }
  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined && text !== null) { node.textContent = text; }
    return node;
  }

  function openAreas() {
    var open = {};
    areasBox.querySelectorAll("details[data-people-of]").forEach(function (d) {
      open[d.getAttribute("data-people-of")] = d.open;
    });
    return open;
  }

  function renderArea(area, index, open) {
    var article = el("article", "board-area board-level-" + area.level);
    article.setAttribute("data-area", area.key);
    article.setAttribute("data-level", area.level);
    article.setAttribute("aria-labelledby", "area-" + index);
    var heading = el("h2", null, area.kind === "room" ? area.name : messages.entrance);
    heading.id = "area-" + index;
    article.appendChild(heading);
    var count = el("p", "board-count");
    var strong = el("strong", null, String(area.inside));
    strong.setAttribute("data-field", "inside");
    count.appendChild(strong);
    count.appendChild(document.createTextNode(" "));
    count.appendChild(el("span", null, messages.inside));
    if (area.max_occupancy) {
      count.appendChild(document.createTextNode(" "));
      count.appendChild(el("span", "board-max", fill(messages.of_maximum, "max", area.max_occupancy)));
    }
    article.appendChild(count);
    if (area.max_occupancy) {
      var meter = el("div", "board-meter");
      meter.setAttribute("aria-hidden", "true");
      var bar = el("span");
      bar.style.width = Math.min(area.percent || 0, 100) + "%";
      meter.appendChild(bar);
      article.appendChild(meter);
    }
    var warning = el("p", "board-warning", messages[area.level]);
    warning.setAttribute("data-field", "warning");
    article.appendChild(warning);
    if (area.sessions && area.sessions.length) {
      var list = el("ul", "board-sessions");
      area.sessions.forEach(function (s) {
        var li = el("li");
        li.appendChild(el("span", null, clock(s.starts_at) + " " + s.title));
        li.appendChild(document.createTextNode(" "));
        li.appendChild(el("strong", null, String(s.inside)));
        list.appendChild(li);
      });
      article.appendChild(list);
    }
    if (withPeople && area.people) {
      var details = el("details", "board-people");
      details.setAttribute("data-people-of", area.key);
      details.open = !!open[area.key];
      details.appendChild(el("summary", null, messages.people + " (" + area.inside + ")"));
      if (area.people.length) {
        var ul = el("ul");
        area.people.forEach(function (person) {
          var li = el("li", null, person.name + (person.organisation ? " · " + person.organisation : "") + " ");
          var time = el("time", null, fill(messages.since, "time", clock(person.checked_in_at)));
          time.setAttribute("datetime", person.checked_in_at || "");
          li.appendChild(time);
          ul.appendChild(li);
        });
        details.appendChild(ul);
      } else {
        details.appendChild(el("p", null, messages.nobody));
      }
      article.appendChild(details);
    }
    return article;
  }

  function render(board) {
    var open = openAreas();
    var fragment = document.createDocumentFragment();
    board.areas.forEach(function (area, i) { fragment.appendChild(renderArea(area, i + 1, open)); });
    areasBox.replaceChildren(fragment);
    status.textContent = fill(messages.updated, "time", clock(board.updated_at));
    status.setAttribute("data-state", "fresh");
    root.setAttribute("data-updated", board.updated_at);
  }

  function stale() {
    status.textContent = messages.offline;
    status.setAttribute("data-state", "stale");
  }

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) {
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        return response.json();
      })
      .then(render)
      .catch(stale)
      .finally(function () { timer = window.setTimeout(poll, interval); });
  }

  document.addEventListener("visibilitychange", function () {
    if (document.hidden) { window.clearTimeout(timer); } else { window.clearTimeout(timer); poll(); }
  });
  timer = window.setTimeout(poll, interval);
}());
