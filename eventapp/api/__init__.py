"""JSON API v1, mounted at ``/api/v1``; its OpenAPI document lives in ``openapi.py``."""

from flask import Blueprint

from eventapp.extensions import csrf

bp = Blueprint("api", __name__)
# Clients authenticate with bearer tokens, not cookies, so CSRF does not apply.
csrf.exempt(bp)

from eventapp.api import views  # noqa: E402, F401
