"""iCalendar feeds: all events, an event's programme, and personal feeds."""

from flask import Blueprint

bp = Blueprint("feeds", __name__)

from eventapp.feeds import views  # noqa: E402, F401
