"""Links into calendar apps for the pages: subscribe (webcal), download, Google Calendar."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote, urlencode

from flask import current_app
from flask_babel import gettext as _

from eventapp.content import localized, reading_language
from eventapp.models import Event, Registration, Session
from eventapp.text import one_line
from eventapp.urls import calendar_url, public_url

GOOGLE_RENDER = "https://calendar.google.com/calendar/render"
UTC_STAMP = "%Y%m%dT%H%M%SZ"


@dataclass(frozen=True)
class FeedLinks:
    """Where to subscribe to a feed, where to download it once, and the help page."""

    subscribe: str
    download: str
    google: str
    help: str


@dataclass(frozen=True)
class SessionLinks:
    """A single session: the .ics file and a pre-filled Google Calendar entry."""

    download: str
    google: str


def webcal(url: str) -> str:
    """The feed behind ``webcal://``, which opens the subscription dialogue of calendar apps."""
    return "webcal://" + url.split("://", 1)[1]


def google_subscribe(url: str) -> str:
    return f"{GOOGLE_RENDER}?cid={quote(webcal(url), safe='')}"


def _feed_links(feed_url: str) -> FeedLinks:
    separator = "&" if "?" in feed_url else "?"
    return FeedLinks(
        subscribe=webcal(feed_url),
        download=f"{feed_url}{separator}download=1",
        google=google_subscribe(feed_url),
        help=public_url("feeds.calendar_help"),
    )


def _page_language() -> str | None:
    """The page's language for a feed address, None for the default (German).

    A visitor reading English subscribes to the English feed: calendar apps fetch it
    without the visitor's cookies, so the language must ride in the address.
    """
    language = reading_language()
    return None if language == current_app.config["BABEL_DEFAULT_LOCALE"] else language


def event_calendar_links(event: Event, track_id: int | None = None) -> FeedLinks:
    """The event's programme feed (optionally one track)."""
    return _feed_links(
        public_url("feeds.programme", slug=event.slug, track=track_id, lang=_page_language())
    )


def all_events_calendar_links() -> FeedLinks:
    return _feed_links(public_url("feeds.all_events", lang=_page_language()))


def registration_calendar_links(registration: Registration) -> FeedLinks:
    """The participant's personal feed, in their language."""
    return _feed_links(calendar_url(registration))


def google_calendar_url(session: Session, event: Event) -> str:
    """A Google Calendar "add event" link, pre-filled with the session (times in UTC)."""
    page = public_url("public.session", slug=event.slug, session_id=session.id)
    details = "\n\n".join(p for p in (localized(session, "abstract").strip(), page) if p)
    place = (localized(session.room, "name"), event.venue, event.address)
    title = localized(session, "title")
    if session.is_cancelled:
        title = _("Cancelled: %(title)s", title=title)
    params = {
        "action": "TEMPLATE",
        "text": one_line(title),
        "dates": f"{session.starts_at.strftime(UTC_STAMP)}/{session.ends_at.strftime(UTC_STAMP)}",
        "details": details,
        "location": ", ".join(p for p in place if p),
        "ctz": event.timezone,
    }
    return f"{GOOGLE_RENDER}?{urlencode(params, quote_via=quote, safe='/')}"


def session_calendar_links(session: Session, event: Event | None = None) -> SessionLinks:
    event = event or session.event
    return SessionLinks(
        download=public_url(
            "feeds.session", slug=event.slug, session_id=session.id, lang=_page_language()
        ),
        google=google_calendar_url(session, event),
    )
