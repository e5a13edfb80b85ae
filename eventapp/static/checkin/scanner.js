/* Scanner page: camera (BarcodeDetector or jsQR), handheld scanner field, name search.
 *
 * Every scan gets a nonce when it is made and keeps it through every retry, so the
 * server counts it once however often the network drops it. Unsent scans survive a
 * reload in localStorage. A name search hit is checked in by its registration id:
 * door staff never see ticket codes.
 */
(function () {
  "use strict";

  var root = document.getElementById("scanner");
  if (!root) return;
  var cfg = root.dataset;
  var messages = JSON.parse(document.getElementById("scanner-messages").textContent);

  var el = {
    list: document.getElementById("list-select"),
    result: document.getElementById("result"),
    title: document.getElementById("result-title"),
    name: document.getElementById("result-name"),
    detail: document.getElementById("result-detail"),
    network: document.getElementById("network"),
    form: document.getElementById("scan-form"),
    input: document.getElementById("scan-input"),
    cameraToggle: document.getElementById("camera-toggle"),
    video: document.getElementById("camera-video"),
    canvas: document.getElementById("camera-canvas"),
    search: document.getElementById("search-input"),
    results: document.getElementById("search-results"),
    searchHint: document.getElementById("search-hint"),
    recent: document.getElementById("recent"),
    device: document.getElementById("device-input"),
    countChecked: document.getElementById("count-checked"),
    countExpected: document.getElementById("count-expected"),
    countRegistered: document.getElementById("count-registered"),
  };

  var storagePrefix = "checkin:" + cfg.event + ":";
  var STATUS_CLASS = {
    ok: "ok",
    already_checked_in: "warn",
  };
  var SAME_CODE_PAUSE_MS = 4000;
  var STATUS_REFRESH_MS = 15000;
  var MAX_RETRY_DELAY_MS = 10000;

  function store(key, value) {
    try {
      window.localStorage.setItem(storagePrefix + key, JSON.stringify(value));
    } catch (e) {
      /* private mode: the page works without persistence */
    }
  }

  function load(key, fallback) {
    try {
      var raw = window.localStorage.getItem(storagePrefix + key);
      return raw === null ? fallback : JSON.parse(raw);
    } catch (e) {
      return fallback;
    }
  }

  function fmt(template, values) {
    return String(template).replace(/%\((\w+)\)s/g, function (_, key) {
      return values && values[key] !== undefined ? values[key] : "";
    });
  }

  // The API gives times in the event's time zone; the clock part is what the door needs.
  function clock(iso) {
    return iso ? iso.slice(11, 16) : "";
  }

  function newNonce() {
    if (window.crypto && window.crypto.randomUUID) return window.crypto.randomUUID();
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) {
      return ("0" + b.toString(16)).slice(-2);
    }).join("");
  }

  /* --- list and device ---------------------------------------------------------- */

  var savedList = load("list", "entrance");
  if (Array.prototype.some.call(el.list.options, function (o) { return o.value === savedList; })) {
    el.list.value = savedList;
  }
  el.list.addEventListener("change", function () {
    store("list", el.list.value);
    refreshStatus();
    focusScanField();
  });

  var device = "";
  try {
    device = window.localStorage.getItem("checkin:device") || "";
  } catch (e) {
    device = "";
  }
  if (!device) {
    device = "Browser " + newNonce().slice(0, 4);
    try {
      window.localStorage.setItem("checkin:device", device);
    } catch (e) {
      /* ignore */
    }
  }
  el.device.value = device;
  // The walk-in form is posted as a page: it names this device like the scans do.
  var walkInDevice = document.getElementById("walk-in-device");
  if (walkInDevice) walkInDevice.value = device;
  el.device.addEventListener("change", function () {
    device = el.device.value.trim().slice(0, 120) || device;
    if (walkInDevice) walkInDevice.value = device;
    try {
      window.localStorage.setItem("checkin:device", device);
    } catch (e) {
      /* ignore */
    }
  });

  /* --- showing results ---------------------------------------------------------- */

  var latestNonce = null;
  var idleTimer = null;

  function showResult(kind, status, title, name, detail) {
    el.result.className = "scan-result scan-result-" + kind;
    el.result.dataset.status = status;
    el.title.textContent = title;
    el.name.textContent = name || "";
    el.detail.textContent = detail || "";
    if (navigator.vibrate) navigator.vibrate(kind === "ok" ? 80 : [200, 100, 200]);
    window.clearTimeout(idleTimer);
    idleTimer = window.setTimeout(function () {
      el.result.classList.add("scan-result-faded");
    }, 8000);
  }

  function describe(answer) {
    var status = answer.status;
    var title = fmt(messages[status] || messages.error, { time: clock(answer.checked_in_at) });
    var person = answer.registration || {};
    var name = person.name || "";
    var detail = person.organisation || "";
    if (status === "wrong_event" && answer.registration_event) detail = answer.registration_event;
    return { kind: STATUS_CLASS[status] || "bad", status: status, title: title, name: name, detail: detail };
  }

  function addRecent(d) {
    var item = document.createElement("li");
    item.className = "recent-" + d.kind;
    item.dataset.status = d.status;
    var time = document.createElement("time");
    time.textContent = new Date().toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit" });
    item.appendChild(time);
    item.appendChild(document.createTextNode(" " + d.title + (d.name ? " – " + d.name : "")));
    el.recent.insertBefore(item, el.recent.firstChild);
    while (el.recent.children.length > 10) el.recent.removeChild(el.recent.lastChild);
  }

  /* --- sending scans, with retries ------------------------------------------------ */

  var pending = load("pending", []);

  function savePending() {
    store("pending", pending);
    if (pending.length === 0) {
      el.network.hidden = true;
      el.network.textContent = "";
    } else {
      el.network.hidden = false;
      el.network.textContent = messages.retrying + " " + fmt(messages.pending, { count: pending.length });
    }
  }

  function forget(scan) {
    pending = pending.filter(function (p) { return p.nonce !== scan.nonce; });
    savePending();
  }

  function postJSON(url, payload) {
    return window.fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        Accept: "application/json",
        "X-CSRFToken": cfg.csrf,
        "X-Device": device,
      },
      body: JSON.stringify(payload),
    });
  }

  function process(scan, attempt) {
    var payload = { event: cfg.event, list: scan.list, nonce: scan.nonce };
    if (scan.registrationId) payload.registration_id = scan.registrationId;
    else payload.code = scan.code;
    return postJSON(cfg.redeemUrl, payload)
      .then(function (response) {
        // Server trouble and rate limits are worth retrying; a refusal is not.
        if (response.status >= 500 || response.status === 429 || response.status === 408) {
          throw new Error("retry");
        }
        return response.json().then(function (body) {
          forget(scan);
          if (response.status === 401) {
            showResult("bad", "logged_out", messages.logged_out, "", "");
            window.setTimeout(function () { window.location.assign(cfg.loginUrl); }, 2500);
            return;
          }
          if (!response.ok) {
            var message = (body && body.error && body.error.message) || messages.error;
            showResult("bad", "error", messages.error, "", message);
            return;
          }
          var d = describe(body);
          addRecent(d);
          if (scan.nonce === latestNonce) showResult(d.kind, d.status, d.title, d.name, d.detail);
          refreshStatus();
          if (el.search.value.trim()) runSearch();
        });
      })
      .catch(function () {
        el.network.hidden = false;
        el.network.textContent = messages.retrying + " " + fmt(messages.pending, { count: pending.length });
        el.network.dataset.state = "retrying";
        var delay = Math.min(1000 * Math.pow(2, attempt), MAX_RETRY_DELAY_MS);
        window.setTimeout(function () { process(scan, attempt + 1); }, delay);
      });
  }

  function send(scan) {
    latestNonce = scan.nonce;
    pending.push(scan);
    savePending();
    el.result.className = "scan-result scan-result-busy";
    el.result.dataset.status = "busy";
    process(scan, 0);
  }

  function redeem(code) {
    code = String(code || "").trim();
    if (!code) return;
    send({ code: code, list: el.list.value, nonce: newNonce() });
  }

  function redeemRegistration(registrationId) {
    send({ registrationId: registrationId, list: el.list.value, nonce: newNonce() });
  }

  /* --- handheld scanner / keyboard ------------------------------------------------- */

  el.form.addEventListener("submit", function (event) {
    event.preventDefault();
    var code = el.input.value;
    el.input.value = "";
    redeem(code);
    focusScanField();
  });

  var cameraOn = false;

  function isOtherControl(node) {
    return node && node !== el.input && node !== document.body &&
      /^(INPUT|SELECT|TEXTAREA|BUTTON|A|SUMMARY|VIDEO)$/.test(node.tagName);
  }

  // A handheld scanner types into whatever has focus: keep it on the code field.
  function focusScanField() {
    if (cameraOn) return;
    window.setTimeout(function () {
      if (!isOtherControl(document.activeElement) || document.activeElement.tagName === "BUTTON") {
        el.input.focus();
      }
    }, 30);
  }

  el.input.addEventListener("blur", focusScanField);
  document.addEventListener("click", function (event) {
    if (!isOtherControl(event.target)) focusScanField();
  });

  /* --- camera ---------------------------------------------------------------------- */

  var stream = null;
  var detector = null;
  var jsQRLoading = null;
  var lastCode = null;
  var lastCodeAt = 0;

  function loadJsQR() {
    if (window.jsQR) return Promise.resolve();
    if (!jsQRLoading) {
      jsQRLoading = new Promise(function (resolve, reject) {
        var script = document.createElement("script");
        script.src = cfg.jsqrUrl;
        script.onload = resolve;
        script.onerror = reject;
        document.head.appendChild(script);
      });
    }
    return jsQRLoading;
  }

  function makeDetector() {
    if (!("BarcodeDetector" in window)) return Promise.resolve(null);
    return window.BarcodeDetector.getSupportedFormats()
      .then(function (formats) {
        return formats.indexOf("qr_code") >= 0 ? new window.BarcodeDetector({ formats: ["qr_code"] }) : null;
      })
      .catch(function () { return null; });
  }

  function decodeWithJsQR() {
    var video = el.video;
    var scale = Math.min(1, 640 / video.videoWidth);
    var width = Math.round(video.videoWidth * scale);
    var height = Math.round(video.videoHeight * scale);
    el.canvas.width = width;
    el.canvas.height = height;
    var context = el.canvas.getContext("2d", { willReadFrequently: true });
    context.drawImage(video, 0, 0, width, height);
    var image = context.getImageData(0, 0, width, height);
    var found = window.jsQR(image.data, width, height, { inversionAttempts: "attemptBoth" });
    return Promise.resolve(found ? found.data : null);
  }

  function decodeFrame() {
    if (el.video.readyState < 2 || !el.video.videoWidth) return Promise.resolve(null);
    if (detector) {
      return detector.detect(el.video).then(
        function (codes) { return codes.length ? codes[0].rawValue : null; },
        function () {
          detector = null; // fall back to jsQR for good
          return loadJsQR().then(decodeWithJsQR);
        }
      );
    }
    return window.jsQR ? decodeWithJsQR() : Promise.resolve(null);
  }

  function onCode(code) {
    var now = Date.now();
    // The same ticket stays in view for a while: scan it once, not once per frame.
    if (code === lastCode && now - lastCodeAt < SAME_CODE_PAUSE_MS) return;
    lastCode = code;
    lastCodeAt = now;
    redeem(code);
  }

  function tick() {
    if (!cameraOn) return;
    decodeFrame()
      .then(function (code) { if (code) onCode(code); })
      .catch(function () { /* a bad frame; try the next */ })
      .then(function () { window.setTimeout(tick, 120); });
  }

  function setCameraButton() {
    el.cameraToggle.textContent = cameraOn ? el.cameraToggle.dataset.labelOn : el.cameraToggle.dataset.labelOff;
    el.cameraToggle.setAttribute("aria-pressed", cameraOn ? "true" : "false");
  }

  function startCamera() {
    if (!window.isSecureContext || !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      showResult("bad", "camera_error", messages.camera_unsupported, "", "");
      return;
    }
    navigator.mediaDevices
      .getUserMedia({ video: { facingMode: { ideal: "environment" } }, audio: false })
      .then(function (mediaStream) {
        stream = mediaStream;
        el.video.srcObject = stream;
        el.video.hidden = false;
        return el.video.play();
      })
      .then(makeDetector)
      .then(function (made) {
        detector = made;
        return detector ? null : loadJsQR();
      })
      .then(function () {
        cameraOn = true;
        setCameraButton();
        root.dataset.camera = detector ? "barcode-detector" : "jsqr";
        tick();
      })
      .catch(function (error) {
        stopCamera();
        showResult("bad", "camera_error", messages.camera_error, "", String(error && error.name || ""));
      });
  }

  function stopCamera() {
    cameraOn = false;
    if (stream) stream.getTracks().forEach(function (track) { track.stop(); });
    stream = null;
    el.video.hidden = true;
    el.video.srcObject = null;
    root.dataset.camera = "off";
    setCameraButton();
    focusScanField();
  }

  el.cameraToggle.addEventListener("click", function () {
    if (cameraOn) stopCamera();
    else startCamera();
  });

  /* --- name search ----------------------------------------------------------------- */

  var searchTimer = null;
  var searchSeq = 0;

  function renderResults(results) {
    el.results.textContent = "";
    if (!results.length) {
      var none = document.createElement("li");
      none.className = "search-empty";
      none.textContent = messages.no_results;
      el.results.appendChild(none);
      return;
    }
    results.forEach(function (r) {
      var item = document.createElement("li");
      item.className = "search-result search-result-" + r.status;
      item.dataset.registrationId = r.id;
      var who = document.createElement("span");
      who.className = "search-who";
      var strong = document.createElement("strong");
      strong.textContent = r.name;
      who.appendChild(strong);
      var extra = [r.organisation, messages["status_" + r.status] || r.status];
      if (r.checked_in_at) extra.push(fmt(messages.checked_in_at, { time: clock(r.checked_in_at) }));
      who.appendChild(document.createTextNode(" " + extra.filter(Boolean).join(" · ")));
      item.appendChild(who);
      var button = document.createElement("button");
      button.type = "button";
      button.className = "button search-check-in";
      button.textContent = messages.check_in;
      button.addEventListener("click", function () { redeemRegistration(r.id); });
      item.appendChild(button);
      el.results.appendChild(item);
    });
  }

  function showSearchHint(text) {
    el.searchHint.textContent = text || "";
    el.searchHint.hidden = !text;
  }

  // The server wants one word of two characters; say so instead of sending the query.
  function longEnough(query) {
    return query.split(/\s+/).some(function (word) { return word.length >= 2; });
  }

  function runSearch() {
    var query = el.search.value.trim();
    var seq = ++searchSeq;
    if (!longEnough(query)) {
      el.results.textContent = "";
      showSearchHint(query ? messages.search_too_short : "");
      return;
    }
    showSearchHint("");
    window.fetch(cfg.searchUrl + "?q=" + encodeURIComponent(query), {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    })
      .then(function (response) {
        if (response.status === 422) return { results: [], tooShort: true };
        return response.ok ? response.json() : { results: [] };
      })
      .then(function (body) {
        if (seq !== searchSeq) return;
        if (body.tooShort) {
          el.results.textContent = "";
          showSearchHint(messages.search_too_short);
          return;
        }
        renderResults(body.results || []);
      })
      .catch(function () { /* offline: keep what is shown */ });
  }

  el.search.addEventListener("input", function () {
    window.clearTimeout(searchTimer);
    searchTimer = window.setTimeout(runSearch, 250);
  });

  /* --- live counters ----------------------------------------------------------------- */

  function refreshStatus() {
    window.fetch(cfg.statusUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (body) {
        if (!body) return;
        var selected = el.list.value;
        var entry = (body.lists || []).filter(function (l) { return String(l.list) === selected; })[0];
        el.countRegistered.textContent = body.registered;
        el.countChecked.textContent = entry ? entry.checked_in : body.checked_in;
        el.countExpected.textContent = entry && entry.expected !== null ? entry.expected : body.registered;
      })
      .catch(function () { /* counters wait for the network */ });
  }

  /* --- start ------------------------------------------------------------------------- */

  setCameraButton();
  root.dataset.camera = "off";
  root.dataset.ready = "true";
  savePending();
  pending.slice().forEach(function (scan) { process(scan, 0); });
  refreshStatus();
  window.setInterval(refreshStatus, STATUS_REFRESH_MS);
  focusScanField();
})();
