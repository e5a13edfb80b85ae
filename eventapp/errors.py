"""Error pages in the site's style, JSON errors under the API, and what a domain error
means over HTTP: its status (``http_status``) and, on a form page, the message shown
where the page shows it (``show_refusal``)."""

from __future__ import annotations

import contextlib
import math
import time
from datetime import timedelta

from flask import Flask, Response, current_app, flash, g, jsonify, render_template, request
from flask_babel import format_timedelta
from flask_babel import gettext as _
from flask_limiter import RateLimitExceeded
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from werkzeug.exceptions import HTTPException, InternalServerError

from eventapp.domain import Conflict, DomainError, Forbidden, InvalidInput, NotFound
from eventapp.extensions import db, limiter, login_manager

API_PREFIX = "/api/"
RETRY_AFTER_SECONDS = 30


def wants_json() -> bool:
    return request.path.startswith(API_PREFIX)


def json_error(status: int, code: str, message: str):
    """The contract's error shape: ``{"error": {"code": ..., "message": ...}}``."""
    response = jsonify({"error": {"code": code, "message": message}})
    response.status_code = status
    return response


# The HTTP status of each kind of domain error; the services know nothing of HTTP.
STATUS_OF_KIND: dict[type[DomainError], int] = {
    InvalidInput: 422,
    NotFound: 404,
    Conflict: 409,
    Forbidden: 403,
}


def http_status(error: DomainError) -> int:
    """The status that answers ``error``: its nearest kind's, else 422 (a refused request)."""
    for cls in type(error).__mro__:
        if cls in STATUS_OF_KIND:
            return STATUS_OF_KIND[cls]
    return 422


def domain_error_response(error: DomainError):
    """The contract's error body for a domain error, with ``fields`` when it names inputs."""
    body: dict = {"code": error.code, "message": error.message}
    if error.fields:
        body["fields"] = error.fields
    response = jsonify({"error": body})
    response.status_code = http_status(error)
    return response


def show_refusal(form, error: DomainError) -> None:
    """Undo a form page's attempt and show why, as the page shows errors: next to the
    fields it names (a form with its own ``show_error`` places them itself), else as a
    flashed message. ``form`` may be None for pages that are only a button."""
    db.session.rollback()
    if form is not None and hasattr(form, "show_error"):
        shown = form.show_error(error)
    else:
        shown = False
        for name, message in error.fields.items():
            field = getattr(form, name, None) if form is not None else None
            if field is not None and hasattr(field, "errors"):
                field.errors = [*field.errors, message]
                shown = True
    if not shown:
        flash(error.message, "error")


def _code_for(exc: HTTPException) -> str:
    return (exc.name or "error").lower().replace(" ", "_").replace("'", "")


def _page_text(status: int) -> tuple[str, str]:
    """A translated title and explanation for an HTML error page."""
    texts = {
        400: (_("Bad request"), _("The request could not be understood. Please check your input.")),
        401: (_("Please log in"), _("This page is only for organizers. Please log in first.")),
        403: (_("Access denied"), _("You are not allowed to open this page.")),
        405: (_("Not allowed"), _("This page cannot be used this way.")),
        409: (_("Conflict"), _("This action does not fit the current state. Please reload.")),
        410: (_("Gone"), _("This link is no longer valid.")),
        413: (_("Too large"), _("What you sent is too large.")),
        422: (_("Invalid input"), _("Please check your input.")),
        429: (_("Too many requests"), _("Please wait a moment and try again.")),
    }
    return texts.get(status, (_("Error"), _("The request could not be completed.")))


def rate_limit_wait() -> str:
    """How long the breached rate limit of this request blocks, e.g. "5 minutes", localised."""
    resets = [limit.window.reset_time for limit in limiter.current_limits if limit.breached]
    seconds = max(resets, default=0) - time.time()
    # Whole minutes, rounded up; hours only from two on ("90 minutes", not "2 hours").
    minutes = timedelta(minutes=max(1, math.ceil(seconds / 60)))
    return format_timedelta(minutes, granularity="minute", threshold=2)


def _rate_limit_text(exc: RateLimitExceeded) -> str:
    """The limit's own message; Flask-Limiter's default one ("10 per 1 minute") is no text."""
    if exc.limit.error_message:
        return exc.description or ""
    return _("Please wait %(wait)s and try again.", wait=rate_limit_wait())


def _server_error_text() -> str:
    return _("Something went wrong on our side. Please try again in a moment.")


def _render_error_page(template: str, status: int, **context):
    """Render an error page; fall back to plain text if even that fails (e.g. broken templates)."""
    try:
        return render_template(template, status=status, **context), status
    except Exception:  # an error page must never raise a second error
        current_app.logger.exception("error page %s could not be rendered", template)
        return Response(f"Error {status}", status=status, mimetype="text/plain")


def database_is_unavailable(exc: BaseException | None) -> bool:
    """The database is down, restarting, locked for longer than the busy timeout, or every
    pooled connection is taken: the request may well succeed a little later."""
    if isinstance(exc, PoolTimeoutError):
        return True
    # SQLite reports mistakes in the SQL (no such table, a syntax error) as an
    # OperationalError too, with the generic code: those are bugs, not an outage.
    return isinstance(exc, OperationalError) and (
        getattr(exc.orig, "sqlite_errorname", None) != "SQLITE_ERROR"
    )


def database_unavailable_response(exc: Exception):
    """503 with Retry-After, as ``/healthz`` answers, and one log line instead of a traceback."""
    if not database_is_unavailable(exc):
        raise exc  # a bug: the usual 500, with its traceback in the log
    reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    current_app.logger.error(
        "database unavailable (%s): %s", type(exc).__name__, reason[0] if reason else ""
    )
    with contextlib.suppress(Exception):  # the connection may be gone already
        db.session.rollback()
    # The page must not ask the unreachable database who is logged in (Flask-Login
    # keeps the request's user in ``g._login_user``).
    if "_login_user" not in g:
        g._login_user = login_manager.anonymous_user()
    message = _("The service is temporarily unavailable. Please try again in a few minutes.")
    if wants_json():
        response = json_error(503, "service_unavailable", message)
    else:
        response = current_app.make_response(
            _render_error_page(
                "errors/error.html", 503, title=_("Temporarily unavailable"), message=message
            )
        )
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def register_error_handlers(app: Flask) -> None:
    for exc_class in (OperationalError, PoolTimeoutError):
        app.register_error_handler(exc_class, database_unavailable_response)

    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError):
        message = _("The form has expired or was not sent from this site. Please try again.")
        if wants_json():
            return json_error(400, "csrf_failed", message)
        return _render_error_page(
            "errors/error.html", 400, title=_("Form expired"), message=message
        )

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        if wants_json():
            message = (
                _rate_limit_text(exc)
                if isinstance(exc, RateLimitExceeded)
                else exc.description or ""
            )
            response = json_error(exc.code or 500, _code_for(exc), message)
            for header in ("Retry-After", "Allow"):
                if exc.get_response().headers.get(header):
                    response.headers[header] = exc.get_response().headers[header]
            return response
        status = exc.code or 500
        if status == 404:
            return _render_error_page("errors/404.html", 404)
        if status >= 500:
            return _render_error_page("errors/500.html", status, message=_server_error_text())
        title, message = _page_text(status)
        # A view's own explanation (abort(403, "...")) beats the generic one.
        if isinstance(exc, RateLimitExceeded):
            message = _rate_limit_text(exc)
        elif exc.description and exc.description != type(exc).description:
            message = exc.description
        response = _render_error_page("errors/error.html", status, title=title, message=message)
        response = app.make_response(response)
        for header in ("Retry-After", "Allow"):
            if exc.get_response().headers.get(header):
                response.headers[header] = exc.get_response().headers[header]
        return response

    @app.errorhandler(InternalServerError)
    def server_error(exc: InternalServerError):
        # Raised where no handler above could catch it, e.g. in an after_request function.
        if database_is_unavailable(exc.original_exception):
            return database_unavailable_response(exc.original_exception)
        message = _server_error_text()
        if wants_json():
            return json_error(500, "internal_error", message)
        return _render_error_page("errors/500.html", 500, message=message)
