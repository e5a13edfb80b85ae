"""Public pages: events overview, event programme, sessions, speakers, health check."""

from flask import Blueprint

bp = Blueprint("public", __name__)

from eventapp.public import views  # noqa: E402, F401
