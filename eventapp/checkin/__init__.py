"""Door check-in: the scanner page for staff."""

from flask import Blueprint

bp = Blueprint("checkin", __name__)

from eventapp.checkin import views  # noqa: E402, F401
