"""Registration for events and workshops, waiting lists and self-service."""

from flask import Blueprint

bp = Blueprint("registration", __name__)

from eventapp.registration import group_views, views  # noqa: E402, F401
