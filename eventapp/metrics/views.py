"""``GET /metrics`` for Prometheus, behind the ``METRICS_TOKEN`` Bearer token."""

from __future__ import annotations

import hmac

from flask import Response, abort, current_app, request
from prometheus_client.exposition import choose_encoder

from eventapp.metrics import bp
from eventapp.metrics.collectors import scrape_registry


def _presents(token: str) -> bool:
    """Whether the request carries ``Authorization: Bearer <token>``, compared in constant time."""
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(given.strip().encode(), token.encode())


@bp.get("/metrics", endpoint="prometheus")
def prometheus() -> Response:
    """The metrics in Prometheus' text format; 404 while no token is set, 401 without it."""
    token = current_app.config.get("METRICS_TOKEN")
    if not token:
        abort(404)
    if not _presents(token):
        # Plain 401, not the "please log in" page: the reader is a scraper, and its
        # operator needs to see that the token is wrong, not that the path is.
        return Response(
            "A valid METRICS_TOKEN is required.\n",
            status=401,
            mimetype="text/plain",
            headers={"WWW-Authenticate": 'Bearer realm="metrics"', "Cache-Control": "no-store"},
        )
    # The format Prometheus asks for (Accept), else the classic text format 0.0.4.
    encode, content_type = choose_encoder(request.headers.get("Accept", ""))
    body = encode(scrape_registry(current_app))
    return Response(body, headers={"Content-Type": content_type, "Cache-Control": "no-store"})
