"""A small per-process store of generated feeds, keyed by programme version."""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass, field
from datetime import datetime

from flask import current_app
from werkzeug.http import http_date, quote_etag


@dataclass(frozen=True)
class Feed:
    """A generated calendar with what HTTP needs to revalidate it."""

    body: bytes
    etag: str
    last_modified: datetime
    filename: str
    # The validators as response headers, written once per feed rather than per request.
    validators: dict[str, str] = field(init=False, compare=False)

    def __post_init__(self) -> None:
        headers = {"ETag": quote_etag(self.etag), "Last-Modified": http_date(self.last_modified)}
        object.__setattr__(self, "validators", headers)

    @classmethod
    def of(cls, body: bytes, last_modified: datetime, filename: str) -> Feed:
        """Wrap ``body``; the strong ETag is the content hash, so equal bytes share it."""
        etag = hashlib.sha256(body).hexdigest()[:32]
        return cls(body, etag, last_modified, filename)


class FeedCache:
    """Least-recently-used feeds; the key carries the version, so entries never go stale."""

    def __init__(self, maxsize: int = 256) -> None:
        self._items: OrderedDict[Hashable, Feed] = OrderedDict()
        self._lock = threading.Lock()
        self.maxsize = maxsize

    def get(self, key: Hashable) -> Feed | None:
        with self._lock:
            feed = self._items.get(key)
            if feed is not None:
                self._items.move_to_end(key)
            return feed

    def put(self, key: Hashable, feed: Feed) -> None:
        with self._lock:
            self._items[key] = feed
            self._items.move_to_end(key)
            while len(self._items) > self.maxsize:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


def feed_cache() -> FeedCache:
    """This application's cache (one per app, so test apps never share entries)."""
    return current_app.extensions.setdefault("feeds.cache", FeedCache())
