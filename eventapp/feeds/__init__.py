"""iCalendar feeds: all events, an event's programme, and personal feeds.

``views`` (the blueprint's routes), ``services`` (building feeds), ``ical`` (entries),
``links`` (subscribe links), ``cache`` (conditional answers), ``revisions`` (SEQUENCE
and revision stamps; its listener is connected by ``create_app``), ``timezones``.
"""

from flask import Blueprint

bp = Blueprint("feeds", __name__)

from eventapp.feeds import views  # noqa: E402, F401
