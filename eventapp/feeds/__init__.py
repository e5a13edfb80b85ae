"""iCalendar feeds: all events, an event's programme, and personal feeds."""

from flask import Blueprint

bp = Blueprint("feeds", __name__)

# ``revisions`` registers the flush listener that keeps entries' revisions true.
from eventapp.feeds import revisions, views  # noqa: E402, F401
