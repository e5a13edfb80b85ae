"""Error pages in the site's style, and JSON errors under the API."""

from __future__ import annotations

from flask import Flask, jsonify, render_template, request
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


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError):
        message = _("The form has expired or was not sent from this site. Please try again.")
        if wants_json():
            return json_error(400, "csrf_failed", message)
        return render_template("errors/error.html", status=400, message=message), 400

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        if wants_json():
            response = json_error(exc.code or 500, _code_for(exc), exc.description or "")
            for header in ("Retry-After", "Allow"):
                if exc.get_response().headers.get(header):
                    response.headers[header] = exc.get_response().headers[header]
            return response
        template = "errors/404.html" if exc.code == 404 else "errors/error.html"
        return render_template(template, status=exc.code, message=exc.description), exc.code

    @app.errorhandler(InternalServerError)
    def server_error(exc: InternalServerError):
        message = _("Something went wrong on our side. Please try again in a moment.")
        if wants_json():
            return json_error(500, "internal_error", message)
        return render_template("errors/500.html", status=500, message=message), 500
