"""Public pages and API documents rendered once per programme version and language.

What a page shows of the programme changes only with the programme version the feeds
already use (``feeds.services.programme_version``: the event's and its sessions' stamps,
which ``feeds.revisions`` moves on every edit), so the rendered text is stored under a key
holding that version and never goes stale: an edit makes a new key. What changes with
every registration is left out of the stored text as markers and filled in per request
from ``registration.availability`` (read with the version): seats left, and which of the
"registration open" / "not open" variants to keep. The CSRF token of forms on the page
is a marker too, filled with this visitor's token.

Only anonymous GETs without flash messages read or write the store; a logged-in
organizer's page (their navigation) or one carrying a message is rendered for them
alone, through the same markers. The store is Redis when ``CACHE_URL`` is set, shared by
all workers and instances, else a small per-process LRU. A Redis that cannot be reached
means rendering every time, never an error page.

A stored page with this moment's seats filled in is kept too, per process, under the
page's key and the seats and windows it shows: as long as nobody registers, a request
reads the version and the seats (one query) and sends what it sent before, without
filling the markers again or hashing the page for its ETag.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from flask import Flask, Response, current_app, g, get_template_attribute, request, session
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

from eventapp.i18n import current_locale
from eventapp.registration.availability import EventAvailability

log = logging.getLogger(__name__)

# Stored pages expire after a day unused in Redis: old versions need no clean-up.
REDIS_TTL_SECONDS = 24 * 3600
KEY_PREFIX = "eventapp:page:"
# No user text can hold it: the databases refuse NUL characters.
CSRF_MARKER = "\x00csrf-token\x00"
SEATS = re.compile(r"<!--seats:(\d+):(\d+)-->")
WINDOW = re.compile(r"<!--(open|closed):(\d+)-->(.*?)<!--/\1:\2-->", re.S)
JSON_SEATS = re.compile(r'"@@seats:(\d+):(\d+)@@"')
JSON_OPEN = re.compile(r'"@@open:(\d+)@@"')


class LocalStore:
    """Least-recently-used pages of this process (``CACHE_URL`` unset)."""

    def __init__(self, maxsize: int = 512) -> None:
        self._items: OrderedDict[Any, Any] = OrderedDict()
        self._lock = threading.Lock()
        self.maxsize = maxsize

    def get(self, key: Any) -> Any:
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
            return value

    def set(self, key: Any, value: Any) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.maxsize:
                self._items.popitem(last=False)


class RedisStore:
    """Pages in Redis (``CACHE_URL``), shared by every worker and instance."""

    def __init__(self, url: str) -> None:
        import redis

        self._redis = redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
        self._errors = redis.RedisError

    def get(self, key: str) -> str | None:
        try:
            value = self._redis.get(KEY_PREFIX + key)
        except self._errors as error:
            log.warning("page cache unavailable: %s", error)
            return None
        return None if value is None else value.decode()

    def set(self, key: str, value: str) -> None:
        try:
            self._redis.set(KEY_PREFIX + key, value.encode(), ex=REDIS_TTL_SECONDS)
        except self._errors as error:
            log.warning("page cache unavailable: %s", error)


def init_app(app: Flask) -> None:
    """Let templates emit the CSRF marker while a page is rendered for the store."""
    # Flask-WTF offers its ``csrf_token`` both ways; a later context processor wins.
    app.jinja_env.globals["csrf_token"] = _csrf_token
    app.context_processor(lambda: {"csrf_token": _csrf_token})


def store() -> LocalStore | RedisStore:
    """This application's store (made on first use, so test apps never share entries)."""
    extensions = current_app.extensions
    if "pagecache" not in extensions:
        url = current_app.config.get("CACHE_URL")
        extensions["pagecache"] = RedisStore(url) if url else LocalStore()
    return extensions["pagecache"]


@functools.cache
def release() -> str:
    """A fingerprint of the templates and catalogues: a new release never reads old pages."""
    digest = hashlib.sha256()
    package = Path(__file__).resolve().parent
    for path in sorted(
        [*package.glob("templates/**/*.html"), *package.glob("translations/**/*.mo")]
    ):
        digest.update(str(path.relative_to(package)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def _csrf_token() -> str:
    # A page for the store must not carry one visitor's token: it gets a marker, and
    # ``_finish`` puts this visitor's token in its place.
    return CSRF_MARKER if g.get("pagecache_markers") else generate_csrf()


def _shareable(query: dict[str, str]) -> bool:
    """Whether this request may read and fill the shared store.

    Besides ``lang`` only the view's own ``query`` may be there, exactly: the page links
    back to its own address (the language switch), and odd parameters must neither
    multiply the stored pages nor end up in everybody's links.
    """
    if current_user.is_authenticated or session.get("_flashes"):
        return False
    given = {name: request.args.getlist(name) for name in request.args if name != "lang"}
    return given == {name: [value] for name, value in query.items()}


def _key(name: str, version: Iterable[Any], query: dict[str, str]) -> str:
    fingerprint = hashlib.sha256(repr((tuple(version), sorted(query.items()))).encode())
    return f"{release()}:{name}:{current_locale()}:{fingerprint.hexdigest()[:24]}"


def _stored(
    name: str, version: Iterable[Any], render: Callable[[], str], query: dict[str, str]
) -> tuple[str, str | None]:
    """The text for ``name`` at ``version`` in this language: stored, or rendered now.

    Also its key in the store; None when this request may not share it.
    """
    shareable = _shareable(query)
    key = _key(name, version, query)
    if shareable:
        text = store().get(key)
        if text is not None:
            return text, key
    g.pagecache_markers = True
    try:
        text = render()
    finally:
        g.pagecache_markers = False
    if shareable:
        store().set(key, text)
    return text, key if shareable else None


def _seats_shown(numbers: dict[int, EventAvailability]) -> tuple:
    """Everything of ``numbers`` a stored page's markers can show (seats left and window).

    Seats left follow from capacity and confirmed seats, read here as they are.
    """
    return tuple(
        (
            event_id,
            state.capacity,
            state.confirmed,
            state.window,
            tuple((sid, seats.capacity, seats.confirmed) for sid, seats in state.sessions.items()),
        )
        for event_id, state in sorted(numbers.items())
    )


def _filled(
    text: str,
    key: str | None,
    numbers: dict[int, EventAvailability],
    fill: Callable[[str, dict[int, EventAvailability]], str],
) -> tuple[str, str]:
    """The text with ``numbers`` filled in and its ETag, reused while the seats stay."""
    if key is None:
        body = fill(text, numbers)
        return body, _etag(body)
    filled = current_app.extensions.setdefault("pagecache.filled", LocalStore(256))
    shown = (key, _seats_shown(numbers))
    entry = filled.get(shown)
    # The same text (a comparison of equal strings, at once when it is the same object).
    if entry is None or entry[0] != text:
        body = fill(text, numbers)
        entry = (text, body, _etag(body))
        filled.set(shown, entry)
    return entry[1], entry[2]


def _etag(body: str) -> str:
    return hashlib.sha256(body.encode()).hexdigest()[:32]


def _finish(body: str, etag: str, mimetype: str) -> Response:
    """304 when the client has the content (ETag without the token), else it with the token."""
    if request.if_none_match.contains(etag):
        response = Response(status=304)
    else:
        if CSRF_MARKER in body:
            body = body.replace(CSRF_MARKER, generate_csrf())
        response = Response(body, mimetype=mimetype)
    response.set_etag(etag)
    # Browsers revalidate every time: the seats on the page are live.
    response.headers["Cache-Control"] = "no-cache"
    response.vary.update(("Accept-Language", "Cookie"))
    return response


# --- HTML pages --------------------------------------------------------------------------


def page(
    name: str,
    version: Iterable[Any],
    render: Callable[[], str],
    numbers: dict[int, EventAvailability],
    query: dict[str, str] | None = None,
):
    """A page rendered once per version and language, seats and window from ``numbers``.

    ``query``: the page's own parameters besides ``lang`` (``?track=``), already checked.
    """
    text, key = _stored(name, version, render, query or {})
    body, etag = _filled(text, key, numbers, fill_page)
    return _finish(body, etag, "text/html")


def fill_page(text: str, numbers: dict[int, EventAvailability]) -> str:
    """Put this moment's seats and registration window into a page's markers."""
    badges = current_app.extensions.setdefault("pagecache.badges", {})
    locale = current_locale()

    def seats(match: re.Match) -> str:
        left = _seats_left(numbers, int(match[1]), int(match[2]))
        key = (locale, left)
        if key not in badges:  # a few hundred at most: a badge per language and count
            badges[key] = str(get_template_attribute("public/_macros.html", "seats")(left))
        return badges[key]

    def window(match: re.Match) -> str:
        state = numbers.get(int(match[2]))
        is_open = state is not None and state.registration_open
        return match[3] if is_open == (match[1] == "open") else ""

    return SEATS.sub(seats, WINDOW.sub(window, text))


def _seats_left(numbers: dict[int, EventAvailability], event_id: int, session_id: int):
    state = numbers.get(event_id)
    if state is None:
        return None
    if not session_id:
        return state.left
    seats = state.sessions.get(session_id)
    return None if seats is None else seats.left


# --- JSON documents ----------------------------------------------------------------------


def seats_marker(event_id: int, session_id: int = 0) -> str:
    """What a stored document holds where seats left go (a JSON string, replaced later)."""
    return f"@@seats:{event_id}:{session_id}@@"


def open_marker(event_id: int) -> str:
    return f"@@open:{event_id}@@"


def document(
    name: str,
    version: Iterable[Any],
    build: Callable[[], Any],
    numbers: dict[int, EventAvailability],
):
    """A JSON document built once per version, seats and window from ``numbers``."""
    text, key = _stored(name, version, lambda: json.dumps(build(), ensure_ascii=False), {})
    body, etag = _filled(text, key, numbers, fill_document)
    return _finish(body, etag, "application/json")


def fill_document(text: str, numbers: dict[int, EventAvailability]) -> str:
    """Put this moment's seats and registration window into a document's markers."""

    def seats(match: re.Match) -> str:
        return json.dumps(_seats_left(numbers, int(match[1]), int(match[2])))

    def is_open(match: re.Match) -> str:
        state = numbers.get(int(match[1]))
        return json.dumps(state is not None and state.registration_open)

    return JSON_OPEN.sub(is_open, JSON_SEATS.sub(seats, text))
