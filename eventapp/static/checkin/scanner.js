/* Scanner page: camera (BarcodeDetector or jsQR), handheld scanner field, name search.
 *
 * Works without the network. The page and its files come from the service worker
 * (sw.js); per event and list the data a decision needs (a keyed hash of each ticket
 * code, never the code) is kept in IndexedDB and refreshed by delta every few seconds.
 * A scan asks the server first; without an answer within LOOKUP_TIMEOUT_MS it is
 * decided here, shown as decided offline, and queued with its device time. Every scan
 * keeps its nonce through every retry, so the server counts it once however often the
 * network drops it; queued scans survive a reload in localStorage. A name search hit is
 * checked in by its registration id: door staff never see ticket codes.
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
    attention: document.getElementById("result-attention"),
    offline: document.getElementById("result-offline"),
    sync: document.getElementById("sync-status"),
    syncOnline: document.getElementById("sync-online"),
    syncPending: document.getElementById("sync-pending"),
    syncAge: document.getElementById("sync-age"),
    sound: document.getElementById("sound-toggle"),
    vibrate: document.getElementById("vibrate-toggle"),
    logout: document.getElementById("logout-link"),
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
  var MAX_RETRY_DELAY_MS = 30000;
  var RETRY_FIRST_MS = 1000;
  // How long a scan waits for the server before the device decides on its own.
  var LOOKUP_TIMEOUT_MS = 1500;
  var SYNC_TIMEOUT_MS = 10000;
  var DATA_REFRESH_MS = 5000;

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
    restoreDirection();
    loadLocal(el.list.value).then(refreshData);
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

  /* --- feedback: tones and vibration (switchable, remembered) -------------------- */

  var feedback = { sound: load("sound", true), vibrate: load("vibrate", true) };
  var audio = null;
  var TONES = {
    ok: { type: "sine", notes: [[880, 0.12]] },
    warn: { type: "triangle", notes: [[520, 0.1], [0, 0.06], [520, 0.1]] },
    bad: { type: "square", notes: [[196, 0.45]] },
  };
  var VIBRATIONS = { ok: 80, warn: [100, 60, 100], bad: [300, 100, 300] };

  function setupToggle(input, name) {
    if (!input) return;
    input.checked = !!feedback[name];
    input.addEventListener("change", function () {
      feedback[name] = input.checked;
      store(name, input.checked);
    });
  }
  setupToggle(el.sound, "sound");
  setupToggle(el.vibrate, "vibrate");

  // Browsers start audio only after a gesture: make the context on the first one.
  function unlockAudio() {
    if (audio || !(window.AudioContext || window.webkitAudioContext)) return;
    try {
      audio = new (window.AudioContext || window.webkitAudioContext)();
    } catch (e) {
      audio = null;
    }
  }
  document.addEventListener("pointerdown", unlockAudio, { once: true });
  document.addEventListener("keydown", unlockAudio, { once: true });

  function signal(kind) {
    root.dataset.lastSignal = kind;
    if (feedback.sound && audio) {
      try {
        var tone = TONES[kind] || TONES.bad;
        var t = audio.currentTime;
        tone.notes.forEach(function (note) {
          if (note[0]) {
            var osc = audio.createOscillator();
            var gain = audio.createGain();
            osc.type = tone.type;
            osc.frequency.value = note[0];
            gain.gain.setValueAtTime(0.2, t);
            gain.gain.exponentialRampToValueAtTime(0.001, t + note[1]);
            osc.connect(gain);
            gain.connect(audio.destination);
            osc.start(t);
            osc.stop(t + note[1]);
          }
          t += note[1];
        });
      } catch (e) {
        /* no sound on this device */
      }
    }
    if (feedback.vibrate && navigator.vibrate) navigator.vibrate(VIBRATIONS[kind] || VIBRATIONS.bad);
  }

  /* --- showing results ---------------------------------------------------------- */

  var latestNonce = null;
  var idleTimer = null;

  // A new code was read: nothing of the previous guest may stay on screen.
  function showChecking() {
    window.clearTimeout(idleTimer);
    el.result.className = "scan-result scan-result-busy";
    el.result.dataset.status = "busy";
    el.result.dataset.offline = "false";
    el.title.textContent = messages.checking;
    el.name.textContent = "";
    el.detail.textContent = "";
    el.attention.textContent = "";
    el.attention.hidden = true;
    el.offline.textContent = "";
    el.offline.hidden = true;
  }

  function showResult(d) {
    el.result.className = "scan-result scan-result-" + d.kind;
    el.result.dataset.status = d.status;
    el.result.dataset.offline = d.offline ? "true" : "false";
    el.title.textContent = d.title;
    el.name.textContent = d.name || "";
    el.detail.textContent = d.detail || "";
    el.attention.textContent = d.attention ? messages.attention + " " + d.attention : "";
    el.attention.hidden = !d.attention;
    el.offline.textContent = d.offline ? messages.offline_decided : "";
    el.offline.hidden = !d.offline;
    signal(d.kind);
    window.clearTimeout(idleTimer);
    idleTimer = window.setTimeout(function () {
      el.result.classList.add("scan-result-faded");
    }, 8000);
  }

  function showProblem(status, title, detail) {
    showResult({ kind: "bad", status: status, title: title, name: "", detail: detail || "" });
  }

  function describe(answer, offline) {
    var status = answer.status;
    var key = offline && status === "unknown" ? "unknown_offline" : status;
    if (status === "ok" && answer.direction === "exit") key = "ok_exit";
    var title = fmt(messages[key] || messages.error, { time: clock(answer.checked_in_at) });
    var person = answer.registration || {};
    var detail = person.organisation || "";
    if (status === "wrong_event" && answer.registration_event) detail = answer.registration_event;
    var attention = answer.attention;
    if (attention === undefined && person.id) {
      var known = local.byId.get(person.id);
      attention = known ? known.attention : null;
    }
    return {
      kind: STATUS_CLASS[status] || "bad",
      status: status,
      title: title,
      name: person.name || "",
      detail: detail,
      attention: attention || "",
      offline: !!offline,
    };
  }

  function addRecent(d, note) {
    var item = document.createElement("li");
    item.className = "recent-" + d.kind;
    item.dataset.status = d.status;
    if (d.offline) item.dataset.offline = "true";
    var time = document.createElement("time");
    time.textContent = new Date().toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit" });
    item.appendChild(time);
    var text = " " + d.title + (d.name ? " – " + d.name : "");
    if (note) text += " (" + note + ")";
    item.appendChild(document.createTextNode(text));
    el.recent.insertBefore(item, el.recent.firstChild);
    while (el.recent.children.length > 10) el.recent.removeChild(el.recent.lastChild);
  }

  /* --- local data: IndexedDB per event and list ------------------------------------ */

  var DB_NAME = "eventapp-checkin";
  var local = { scope: "", version: 0, hashKey: "", cryptoKey: null, byHash: new Map(), byId: new Map(), fetchedAt: 0, ready: false };
  var dbPromise = openDatabase();

  function openDatabase() {
    return new Promise(function (resolve) {
      if (!window.indexedDB) return resolve(null);
      var request;
      try {
        request = window.indexedDB.open(DB_NAME, 1);
      } catch (e) {
        return resolve(null);
      }
      request.onupgradeneeded = function () {
        var database = request.result;
        var tickets = database.createObjectStore("tickets", { keyPath: ["scope", "id"] });
        tickets.createIndex("scope", "scope");
        database.createObjectStore("meta", { keyPath: "scope" });
      };
      request.onsuccess = function () { resolve(request.result); };
      request.onerror = function () { resolve(null); };
      request.onblocked = function () { resolve(null); };
    });
  }

  function idb(request) {
    return new Promise(function (resolve, reject) {
      request.onsuccess = function () { resolve(request.result); };
      request.onerror = function () { reject(request.error); };
    });
  }

  function scopeOf(list) {
    return cfg.event + "|" + list;
  }

  function b64url(bytes) {
    var text = "";
    for (var i = 0; i < bytes.length; i++) text += String.fromCharCode(bytes[i]);
    return window.btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function fromB64url(text) {
    var b64 = text.replace(/-/g, "+").replace(/_/g, "/");
    while (b64.length % 4) b64 += "=";
    var raw = window.atob(b64);
    var bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
    return bytes;
  }

  function useHashKey(hashKey) {
    if (hashKey === local.hashKey && local.cryptoKey) return Promise.resolve();
    local.hashKey = hashKey;
    if (!window.crypto || !window.crypto.subtle || !hashKey) return Promise.resolve();
    return window.crypto.subtle
      .importKey("raw", fromB64url(hashKey), { name: "HMAC", hash: "SHA-256" }, false, ["sign"])
      .then(function (key) { local.cryptoKey = key; });
  }

  // What the server computes: base64url of the first 16 bytes of HMAC-SHA256(key, code).
  function ticketHash(code) {
    if (!local.cryptoKey) return Promise.resolve(null);
    return window.crypto.subtle
      .sign("HMAC", local.cryptoKey, new TextEncoder().encode(code))
      .then(function (signature) { return b64url(new Uint8Array(signature).slice(0, 16)); });
  }

  function remember(ticket) {
    var old = local.byId.get(ticket.id);
    if (old && old.hash !== ticket.hash) local.byHash.delete(old.hash);
    local.byId.set(ticket.id, ticket);
    local.byHash.set(ticket.hash, ticket);
  }

  function loadLocal(list) {
    var scope = scopeOf(list);
    local = { scope: scope, version: 0, hashKey: "", cryptoKey: null, byHash: new Map(), byId: new Map(), fetchedAt: 0, ready: false };
    admitted = load("admitted:" + list, {});
    return dbPromise.then(function (database) {
      if (!database) return null;
      var tx = database.transaction(["tickets", "meta"], "readonly");
      return Promise.all([
        idb(tx.objectStore("meta").get(scope)),
        idb(tx.objectStore("tickets").index("scope").getAll(IDBKeyRange.only(scope))),
      ]);
    }).then(function (found) {
      if (!found || !found[0] || local.scope !== scope) return;
      found[1].forEach(remember);
      local.version = found[0].version;
      local.fetchedAt = found[0].fetchedAt;
      local.ready = true;
      return useHashKey(found[0].hashKey);
    }).catch(function () { /* no stored data: wait for the first download */ })
      .then(updateSyncStatus);
  }

  function saveLocal(scope, body, tickets) {
    return dbPromise.then(function (database) {
      if (!database) return;
      var tx = database.transaction(["tickets", "meta"], "readwrite");
      var store = tx.objectStore("tickets");
      var write = function () {
        tickets.forEach(function (t) { store.put(Object.assign({ scope: scope }, t)); });
        tx.objectStore("meta").put({ scope: scope, version: body.version, hashKey: body.hash_key, fetchedAt: local.fetchedAt });
      };
      if (body.full) {
        store.index("scope").openKeyCursor(IDBKeyRange.only(scope)).onsuccess = function (event) {
          var cursor = event.target.result;
          if (cursor) {
            store.delete(cursor.primaryKey);
            cursor.continue();
          } else {
            write();
          }
        };
      } else {
        write();
      }
      return new Promise(function (resolve) { tx.oncomplete = resolve; tx.onerror = resolve; tx.onabort = resolve; });
    }).catch(function () { /* the memory copy still decides */ });
  }

  var fetchingData = false;
  var online = navigator.onLine !== false;
  var loggedOut = false;

  function setOnline(value) {
    if (online !== value) {
      online = value;
      if (online) syncPending(true);
    }
    updateSyncStatus();
  }

  function refreshData() {
    if (fetchingData || loggedOut) return Promise.resolve();
    fetchingData = true;
    var scope = local.scope;
    var list = el.list.value;
    var since = local.ready ? local.version : 0;
    var url = cfg.dataUrl + "?list=" + encodeURIComponent(list) + "&since=" + since;
    return window.fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" }, cache: "no-store" })
      .then(function (response) {
        if (response.status === 401) {
          loggedOut = true;
          return null;
        }
        setOnline(true);
        return response.ok ? response.json() : null;
      })
      .then(function (body) {
        if (!body || local.scope !== scope) return;
        if (!body.full && local.hashKey && body.hash_key !== local.hashKey) {
          // The server's key changed: the stored hashes are useless, start over.
          local.ready = false;
          local.version = 0;
          return;
        }
        if (body.full) {
          local.byHash = new Map();
          local.byId = new Map();
        }
        body.tickets.forEach(remember);
        local.version = body.version;
        local.fetchedAt = Date.now();
        local.ready = true;
        return useHashKey(body.hash_key).then(function () {
          return saveLocal(scope, body, body.tickets);
        });
      })
      .catch(function () { setOnline(false); })
      .then(function () {
        fetchingData = false;
        updateSyncStatus();
      });
  }

  /* --- deciding without the server ----------------------------------------------------- */

  var admitted = {};

  function isWorkshop(list) {
    var option = Array.prototype.filter.call(el.list.options, function (o) { return o.value === list; })[0];
    return !!(option && option.dataset.workshop === "true");
  }

  function decideLocally(scan) {
    var find = scan.registrationId
      ? Promise.resolve(local.byId.get(scan.registrationId))
      : ticketHash(scan.code).then(function (hash) { return hash && local.byHash.get(hash); });
    return find.then(function (ticket) {
      if (!local.ready || scope(scan) !== local.scope) return { status: "no_data" };
      if (!ticket) return { status: "unknown" };
      var answer = {
        registration: { id: ticket.id, name: ticket.name, organisation: "" },
        attention: ticket.attention,
        direction: scan.direction,
      };
      if (ticket.status === "cancelled") answer.status = "cancelled";
      else if (ticket.status === "waitlisted") answer.status = "waitlisted";
      else if (scan.list !== "entrance" && isWorkshop(scan.list) && ticket.workshops.indexOf(Number(scan.list)) < 0) {
        answer.status = "not_registered_for_session";
      } else if (scan.direction === "exit") {
        answer.status = "ok";
      } else if (ticket.checked_in || admitted[ticket.id]) {
        answer.status = "already_checked_in";
        answer.checked_in_at = admitted[ticket.id] ? localIso(new Date(admitted[ticket.id])) : null;
      } else {
        answer.status = "ok";
        answer.checked_in_at = localIso(new Date(scan.scannedAt));
        admitted[ticket.id] = scan.scannedAt;
        store("admitted:" + scan.list, admitted);
      }
      return answer;
    }).catch(function () { return { status: "no_data" }; });
  }

  function scope(scan) {
    return scopeOf(scan.list);
  }

  // The device's own clock, shaped like the server's times (clock() takes 11..16).
  function localIso(date) {
    var pad = function (n) { return ("0" + n).slice(-2); };
    return date.getFullYear() + "-" + pad(date.getMonth() + 1) + "-" + pad(date.getDate()) +
      "T" + pad(date.getHours()) + ":" + pad(date.getMinutes()) + ":" + pad(date.getSeconds());
  }

  /* --- sending scans: server first, local decision after a short wait, queue ------------ */

  var pending = load("pending", []);

  function savePending() {
    store("pending", pending);
    updateSyncStatus();
  }

  function forget(scan) {
    pending = pending.filter(function (p) { return p.nonce !== scan.nonce; });
    savePending();
  }

  function postJSON(url, payload, signal) {
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
      signal: signal,
    });
  }

  function payloadOf(scan) {
    var payload = { event: cfg.event, list: scan.list, nonce: scan.nonce, direction: scan.direction || "entry" };
    if (scan.registrationId) payload.registration_id = scan.registrationId;
    else payload.code = scan.code;
    if (scan.offline && scan.scannedAt) payload.scanned_at = scan.scannedAt;
    return payload;
  }

  function RetryLater() {}

  // The page's CSRF token belongs to the session; a page kept offline may hold an old one.
  function refreshCsrf() {
    return window.fetch(window.location.pathname, { credentials: "same-origin", cache: "no-store" })
      .then(function (response) { return response.ok ? response.text() : ""; })
      .then(function (html) {
        var page = new DOMParser().parseFromString(html, "text/html");
        var fresh = page.getElementById("scanner");
        if (fresh && fresh.dataset.csrf) cfg.csrf = fresh.dataset.csrf;
      });
  }

  // One request for a scan; resolves with the answer body, or rejects with RetryLater.
  function request(scan, timeoutMs, csrfRetried) {
    var controller = window.AbortController ? new AbortController() : null;
    var timer = window.setTimeout(function () { if (controller) controller.abort(); }, timeoutMs);
    return postJSON(cfg.redeemUrl, payloadOf(scan), controller && controller.signal)
      .then(function (response) {
        window.clearTimeout(timer);
        setOnline(true);
        // Server trouble and rate limits are worth retrying; a refusal is not.
        if (response.status >= 500 || response.status === 429 || response.status === 408) {
          throw new RetryLater();
        }
        return response.json().then(function (body) {
          if (response.status === 400 && body && body.error && body.error.code === "csrf_failed" && !csrfRetried) {
            return refreshCsrf().then(function () { return request(scan, timeoutMs, true); });
          }
          return { status: response.status, ok: response.ok, body: body };
        });
      }, function () {
        window.clearTimeout(timer);
        throw new RetryLater();
      });
  }

  function handleAnswer(scan, reply, wasQueued) {
    if (reply.status === 401) {
      // Keep the scan: it is sent after the next login.
      loggedOut = true;
      showProblem("logged_out", messages.logged_out);
      window.setTimeout(function () { window.location.assign(cfg.loginUrl); }, 2500);
      return;
    }
    forget(scan);
    if (!reply.ok) {
      var message = (reply.body && reply.body.error && reply.body.error.message) || messages.error;
      if (scan.nonce === latestNonce && !wasQueued) showProblem("error", messages.error, message);
      else addRecent({ kind: "bad", status: "error", title: messages.error, name: message }, messages.synced);
      return;
    }
    var answer = reply.body;
    var person = answer.registration;
    if (person && local.byId.has(person.id) && (answer.status === "ok" || answer.status === "already_checked_in")) {
      local.byId.get(person.id).checked_in = true;
    }
    var d = describe(answer, false);
    if (wasQueued) {
      addRecent(d, messages.synced);
    } else {
      addRecent(d);
      if (scan.nonce === latestNonce) showResult(d);
    }
    refreshStatus();
    if (el.search.value.trim()) runSearch();
  }

  function send(scan) {
    latestNonce = scan.nonce;
    showChecking();
    pending.push(scan);
    savePending();
    request(scan, LOOKUP_TIMEOUT_MS)
      .then(function (reply) { handleAnswer(scan, reply, false); })
      .catch(function () {
        // No answer in time: decide here, keep the scan, send it later with its time.
        scan.offline = true;
        savePending();
        setOnline(false);
        return decideLocally(scan).then(function (answer) {
          if (answer.status === "no_data") {
            if (scan.nonce === latestNonce) showProblem("no_data", messages.no_data, messages.offline_queued);
            return;
          }
          var d = describe(answer, true);
          addRecent(d, messages.offline);
          if (scan.nonce === latestNonce) showResult(d);
        });
      })
      .then(function () { scheduleSync(RETRY_FIRST_MS); });
  }

  var syncing = false;
  var syncTimer = null;
  var syncDelay = RETRY_FIRST_MS;

  function scheduleSync(delay) {
    window.clearTimeout(syncTimer);
    syncTimer = window.setTimeout(syncPending, delay);
  }

  // Send the queued scans one after the other; back off while the network is away.
  function syncPending(now) {
    if (now === true) syncDelay = RETRY_FIRST_MS;
    if (syncing || loggedOut) return;
    var next = pending.filter(function (p) { return p.offline; })[0];
    if (!next) return;
    syncing = true;
    request(next, SYNC_TIMEOUT_MS)
      .then(function (reply) {
        syncing = false;
        syncDelay = RETRY_FIRST_MS;
        handleAnswer(next, reply, true);
        if (!loggedOut) syncPending();
      })
      .catch(function () {
        syncing = false;
        setOnline(false);
        syncDelay = Math.min(syncDelay * 2, MAX_RETRY_DELAY_MS);
        scheduleSync(syncDelay);
      });
  }

  function redeem(code) {
    code = String(code || "").trim();
    if (!code) return;
    send(newScan({ code: code }));
  }

  function redeemRegistration(registrationId) {
    send(newScan({ registrationId: registrationId }));
  }

  function newScan(subject) {
    subject.list = el.list.value;
    subject.nonce = newNonce();
    subject.direction = currentDirection();
    subject.scannedAt = new Date().toISOString();
    return subject;
  }

  /* --- entry / exit ------------------------------------------------------------------ */

  function currentDirection() {
    var checked = root.querySelector('input[name="direction"]:checked');
    return checked ? checked.value : "entry";
  }

  function restoreDirection() {
    var saved = load("direction:" + el.list.value, "entry");
    var input = root.querySelector('input[name="direction"][value="' + (saved === "exit" ? "exit" : "entry") + '"]');
    if (input) input.checked = true;
    root.dataset.direction = currentDirection();
  }

  Array.prototype.forEach.call(root.querySelectorAll('input[name="direction"]'), function (input) {
    input.addEventListener("change", function () {
      store("direction:" + el.list.value, currentDirection());
      root.dataset.direction = currentDirection();
      focusScanField();
    });
  });

  /* --- status line: online, pending scans, age of the local data ------------------------ */

  function age(ms) {
    var seconds = Math.max(0, Math.round(ms / 1000));
    if (seconds < 60) return fmt(messages.age_seconds, { n: seconds });
    if (seconds < 3600) return fmt(messages.age_minutes, { n: Math.floor(seconds / 60) });
    return fmt(messages.age_hours, { n: Math.floor(seconds / 3600) });
  }

  function updateSyncStatus() {
    if (!el.sync) return;
    root.dataset.dataVersion = local.ready ? String(local.version) : "";
    // Rows are kept by id: a delta repeating a row (the server's overlap) replaces it.
    root.dataset.dataTickets = String(local.byId.size);
    var queued = pending.length;
    el.sync.dataset.online = online ? "true" : "false";
    el.sync.dataset.pending = String(queued);
    el.syncOnline.textContent = online ? messages.online : messages.offline_state;
    el.syncPending.textContent = fmt(messages.pending_count, { count: queued });
    el.syncAge.textContent = local.ready ? fmt(messages.data_age, { age: age(Date.now() - local.fetchedAt) }) : messages.no_data_yet;
    el.network.hidden = queued === 0 || online;
    el.network.textContent = queued ? messages.retrying + " " + fmt(messages.pending, { count: queued }) : "";
  }

  window.addEventListener("online", function () { setOnline(true); refreshData(); });
  window.addEventListener("offline", function () { setOnline(false); });

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
      showProblem("camera_error", messages.camera_unsupported);
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
        showProblem("camera_error", messages.camera_error, String((error && error.name) || ""));
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
      .catch(function () {
        // Offline: search the names in the local data (no e-mail addresses there).
        if (seq !== searchSeq) return;
        renderResults(searchLocally(query));
      });
  }

  function searchLocally(query) {
    var words = query.toLowerCase().split(/\s+/).filter(Boolean);
    var found = [];
    local.byId.forEach(function (t) {
      var name = t.name.toLowerCase();
      if (found.length < 20 && words.every(function (w) { return name.indexOf(w) >= 0; })) {
        found.push({
          id: t.id,
          name: t.name,
          organisation: "",
          status: t.status,
          checked_in_at: admitted[t.id] ? localIso(new Date(admitted[t.id])) : null,
        });
      }
    });
    return found;
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

  if (el.logout) {
    el.logout.addEventListener("click", function (event) {
      // Logging out wipes the local data, and with it scans not yet sent.
      if (pending.length && !window.confirm(fmt(messages.logout_pending, { count: pending.length }))) {
        event.preventDefault();
      }
    });
  }

  if ("serviceWorker" in navigator && cfg.swUrl) {
    navigator.serviceWorker.register(cfg.swUrl, { scope: cfg.swScope }).then(function () {
      root.dataset.serviceWorker = "registered";
    }).catch(function () {
      root.dataset.serviceWorker = "failed";
    });
  }

  setCameraButton();
  restoreDirection();
  root.dataset.camera = "off";
  // Scans left over from a page closed before their answer: sent with their own time.
  pending.forEach(function (scan) { scan.offline = true; });
  savePending();
  loadLocal(el.list.value).then(function () {
    root.dataset.ready = "true";
    return refreshData();
  });
  syncPending(true);
  refreshStatus();
  window.setInterval(refreshStatus, STATUS_REFRESH_MS);
  window.setInterval(function () { if (!loggedOut) refreshData(); }, DATA_REFRESH_MS);
  window.setInterval(updateSyncStatus, 1000);
  focusScanField();
})();
