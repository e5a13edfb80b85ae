"""Security headers on every response: no sniffing, no framing, a content security policy."""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, abort, current_app, request

from eventapp.database import MAX_ID


def content_security_policy() -> str:
    """Everything is served from this site; styles may be inline (track colours in attributes).

    Scripts come only from files of this site: no inline code, no event-handler attributes.
    """
    directives = (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
    return "; ".join(directives)


POLICY = content_security_policy()
# The scanner page uses the camera; nothing uses the microphone or the location.
PERMISSIONS = "camera=(self), microphone=(), geolocation=(), payment=()"


def add_security_headers(response: Response) -> Response:
    """Set the headers unless a view chose its own (e.g. ``Referrer-Policy: no-referrer``)."""
    headers = response.headers
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    headers.setdefault("Permissions-Policy", PERMISSIONS)
    # A PDF opened in the browser is shown by its built-in viewer, which a policy can block.
    if response.mimetype != "application/pdf":
        headers.setdefault("Content-Security-Policy", POLICY)
    if current_app.config.get("PUBLIC_BASE_URL", "").startswith("https://"):
        headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    return response


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


def refuse_unstorable_input() -> None:
    """Refuse what no database could store (NUL, ids beyond INTEGER) before any query sees it."""
    # No resource has NUL in its name: such a path is simply not found.
    if "\x00" in request.path:
        abort(404)
    values = [*request.args.keys(), *request.args.values()]
    values += request.headers.values()
    if request.method not in {"GET", "HEAD", "OPTIONS"}:
        if request.is_json:
            values.append(request.get_json(silent=True))
        else:
            values += [*request.form.keys(), *request.form.values()]
    if any(_has_nul(v) for v in values):
        abort(400)
    # ``<int:...>`` takes any number of digits; ids no column can hold name nothing.
    if any(isinstance(v, int) and v > MAX_ID for v in (request.view_args or {}).values()):
        abort(404)


def init_app(app: Flask) -> None:
    app.before_request(refuse_unstorable_input)
    app.after_request(add_security_headers)
