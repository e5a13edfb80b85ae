"""JSON API v1, mounted at ``/api/v1``; its OpenAPI document lives in ``openapi.py``."""

from flask import Blueprint

bp = Blueprint("api", __name__)

from eventapp.api import views  # noqa: E402, F401
