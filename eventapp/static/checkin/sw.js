/* Service worker of the scanner (scope /checkin/): the page opens and works offline.
 *
 * - Scanner pages (/checkin/<event>) and the event list: network first (short timeout),
 *   the last good copy when the network fails. Other pages (the log) are never kept.
 * - Static files: from the cache, refreshed in the background.
 * - API answers are never put in this cache: the scanner keeps its data in IndexedDB.
 * Logging out sends Clear-Site-Data, which wipes these caches, IndexedDB and this worker;
 * the page may also post {type: "wipe"}.
 */
"use strict";

var VERSION = "scanner-v1";
var PAGES = "pages-" + VERSION;
var ASSETS = "assets-" + VERSION;
var PRECACHE = [
  "/static/css/site.css",
  "/static/checkin/checkin.css",
  "/static/checkin/scanner.js",
  "/static/checkin/vendor/jsQR.js",
  "/static/favicon.svg",
  "/checkin/manifest.webmanifest",
];
var NETWORK_TIMEOUT_MS = 3000;

self.addEventListener("install", function (event) {
  event.waitUntil(
    caches.open(ASSETS)
      .then(function (cache) { return cache.addAll(PRECACHE); })
      .then(function () { return self.skipWaiting(); })
  );
});

self.addEventListener("activate", function (event) {
  event.waitUntil(
    caches.keys()
      .then(function (names) {
        return Promise.all(names.filter(function (name) {
          return name !== PAGES && name !== ASSETS;
        }).map(function (name) { return caches.delete(name); }));
      })
      .then(function () { return self.clients.claim(); })
  );
});

self.addEventListener("message", function (event) {
  if (event.data && event.data.type === "wipe") {
    event.waitUntil(caches.keys().then(function (names) {
      return Promise.all(names.map(function (name) { return caches.delete(name); }));
    }));
  }
});

// The scanner page of an event, or the list of events: worth keeping for offline use.
function isScannerPage(url) {
  return /^\/checkin\/(?:[^/]+)?$/.test(url.pathname) &&
    !/\.(?:js|webmanifest)$/.test(url.pathname);
}

function pageKey(url) {
  return url.origin + url.pathname;
}

function withTimeout(promise, ms) {
  return new Promise(function (resolve, reject) {
    var timer = setTimeout(function () { reject(new Error("timeout")); }, ms);
    promise.then(
      function (value) { clearTimeout(timer); resolve(value); },
      function (error) { clearTimeout(timer); reject(error); }
    );
  });
}

function scannerPage(request, url) {
  var network = fetch(request).then(function (response) {
    // Only a real page for a logged-in person: not a redirect to the login form.
    if (response.ok && !response.redirected && response.type === "basic") {
      var copy = response.clone();
      caches.open(PAGES).then(function (cache) { cache.put(pageKey(url), copy); });
    }
    return response;
  });
  return withTimeout(network, NETWORK_TIMEOUT_MS).catch(function () {
    return caches.match(pageKey(url), { cacheName: PAGES }).then(function (cached) {
      return cached || network;
    });
  });
}

function asset(request) {
  return caches.open(ASSETS).then(function (cache) {
    return cache.match(request, { ignoreSearch: true }).then(function (cached) {
      var network = fetch(request).then(function (response) {
        if (response.ok) cache.put(request, response.clone());
        return response;
      });
      if (cached) {
        network.catch(function () { /* offline: the cached copy serves */ });
        return cached;
      }
      return network;
    });
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") return;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === "navigate" && isScannerPage(url)) {
    event.respondWith(scannerPage(request, url));
  } else if (url.pathname.indexOf("/static/") === 0 || url.pathname === "/checkin/manifest.webmanifest") {
    event.respondWith(asset(request));
  }
  // Everything else (the API, the log page, logout) goes to the network untouched.
});
