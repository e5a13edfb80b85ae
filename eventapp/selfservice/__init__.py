"""Self-service for participants: correct their own data, change their address, get their
link again. The rules live in ``eventapp.registration.details``; this package is the
participant's side of them."""

from flask import Blueprint

bp = Blueprint("selfservice", __name__)

from eventapp.selfservice import views  # noqa: E402, F401
