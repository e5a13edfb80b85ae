"""Request latency by Flask endpoint, method and status class.

Labels come from bounded sets only: the endpoint name of the matched URL rule (never the
path, which carries tokens and ids), the method from a fixed list, and the status class.
Under gunicorn with ``PROMETHEUS_MULTIPROC_DIR`` set, prometheus_client writes each
worker's values to a file in that folder and the scrape adds them up.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask, Response, request
from prometheus_client import Histogram

# From a fast redeem (a few ms) to a badge PDF that should have been a job (seconds).
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
# A request no URL rule matched (404, 405): one label value for all such paths.
UNMATCHED = "unmatched"
_STARTED = "eventapp.metrics.started"

# In no registry of its own: each scrape puts it into a fresh one (see ``collectors``).
REQUEST_DURATION = Histogram(
    "eventapp_request_duration_seconds",
    "Time from receiving a request to its response (streamed bodies not included).",
    ("endpoint", "method", "status"),
    buckets=BUCKETS,
    registry=None,
)


class RequestClock:
    """WSGI middleware that notes when a request arrived, before Flask does any work on it."""

    def __init__(self, wsgi_app: Callable[..., Iterable[bytes]]) -> None:
        self.wsgi_app = wsgi_app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]):
        environ[_STARTED] = time.perf_counter()
        return self.wsgi_app(environ, start_response)


def endpoint_label() -> str:
    rule = request.url_rule
    return rule.endpoint if rule is not None else UNMATCHED


def observe(response: Response) -> Response:
    """Record the request's time; runs for error responses too (Flask finalizes those)."""
    started = request.environ.get(_STARTED)
    if started is not None:
        method = request.method if request.method in METHODS else "other"
        REQUEST_DURATION.labels(
            endpoint_label(), method, f"{response.status_code // 100}xx"
        ).observe(time.perf_counter() - started)
    return response


def init_app(app: Flask) -> None:
    """Time requests while metrics are switched on (``METRICS_TOKEN``); else cost nothing."""
    if not app.config.get("METRICS_TOKEN"):
        return
    app.wsgi_app = RequestClock(app.wsgi_app)  # type: ignore[method-assign]
    app.after_request(observe)
