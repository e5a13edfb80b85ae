"""Error pages in the site's style, and JSON errors under the API."""

from __future__ import annotations

from flask import Flask, Response, current_app, jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

API_PREFIX = "/api/"


def wants_json() -> bool:
    return request.path.startswith(API_PREFIX)


def json_error(status: int, code: str, message: str):
    """The contract's error shape: ``{"error": {"code": ..., "message": ...}}``."""
    response = jsonify({"error": {"code": code, "message": message}})
    response.status_code = status
    return response


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


def _server_error_text() -> str:
    return _("Something went wrong on our side. Please try again in a moment.")


def _render_error_page(template: str, status: int, **context):
    """Render an error page; fall back to plain text if even that fails (e.g. broken templates)."""
    try:
        return render_template(template, status=status, **context), status
    except Exception:  # an error page must never raise a second error
        current_app.logger.exception("error page %s could not be rendered", template)
        return Response(f"Error {status}", status=status, mimetype="text/plain")


def register_error_handlers(app: Flask) -> None:
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
            response = json_error(exc.code or 500, _code_for(exc), exc.description or "")
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
        if exc.description and exc.description != type(exc).description:
            message = exc.description
        response = _render_error_page("errors/error.html", status, title=title, message=message)
        response = app.make_response(response)
        for header in ("Retry-After", "Allow"):
            if exc.get_response().headers.get(header):
                response.headers[header] = exc.get_response().headers[header]
        return response

    @app.errorhandler(InternalServerError)
    def server_error(exc: InternalServerError):
        message = _server_error_text()
        if wants_json():
            return json_error(500, "internal_error", message)
        return _render_error_page("errors/500.html", 500, message=message)
