"""Rendering of iCalendar entries and calendars: every property, stable bytes."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from flask import current_app
from flask_babel import gettext as _
from icalendar import Calendar
from icalendar import Event as VEvent

from eventapp.content import localized
from eventapp.feeds.timezones import vtimezone
from eventapp.labels import kind_label
from eventapp.models import Event, Session
from eventapp.text import one_line, plain_text
from eventapp.urls import public_url

PRODID = "-//Zukunftsbündnis Sozialer Zusammenhalt//eventapp//DE"
# Event rows carry no revision counter; seconds since this instant of their last
# change give a SEQUENCE that only ever grows and fits RFC 5545's 32-bit integer.
REVISION_EPOCH = datetime(2020, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class EntryState:
    """How one entry appears: iCalendar STATUS, SUMMARY, a leading note and its revision."""

    status: str
    summary: str
    note: str
    rank: int
    stamp: datetime


def uid_host() -> str:
    """The host that scopes every UID: the public one, never the request's."""
    return urlsplit(current_app.config["PUBLIC_BASE_URL"]).hostname or "localhost"


def session_uid(session_id: int) -> str:
    """The UID of a session's entry in every feed and mail attachment."""
    return f"session-{session_id}@{uid_host()}"


def event_uid(event_id: int) -> str:
    """The UID of an event's entry in every feed and mail attachment."""
    return f"event-{event_id}@{uid_host()}"


def latest(*moments: datetime | None) -> datetime:
    """The newest of the given moments, to the second (as iCalendar and HTTP write them)."""
    return max(m for m in moments if m is not None).replace(microsecond=0)


def _event_revision(event: Event) -> int:
    return max(0, int((event.updated_at - REVISION_EPOCH).total_seconds()))


def _when(event: Event, moment: datetime) -> datetime:
    """Wall-clock time in the event's zone; UTC inside the hour that repeats when DST ends.

    A local time like 02:30 on the last Sunday of October happens twice. RFC 5545
    says to read it as the first one, yet Mozilla's ical.js reads the second, so
    either way some calendar would be an hour off; a UTC time has no such doubt.
    """
    local = event.local(moment)
    if local.replace(fold=1 - local.fold).utcoffset() != local.utcoffset():
        return moment.astimezone(UTC)
    return local


def _add_texts(
    entry: VEvent, summary: str, description: list[str], location: tuple[str, ...]
) -> None:
    """SUMMARY, DESCRIPTION and LOCATION of an entry, whatever the stored text holds.

    Line breaks are refused in titles now, but older rows may have them; control
    characters are not allowed in iCalendar text at all (RFC 5545, 3.3.11).
    """
    entry.add("summary", one_line(summary))
    entry.add("description", plain_text("\n\n".join(p for p in description if p)))
    places = [one_line(p) for p in location]
    entry.add("location", ", ".join(p for p in places if p))


def _geo(event: Event, entry: VEvent) -> None:
    if event.latitude is not None and event.longitude is not None:
        entry.add("geo", (float(event.latitude), float(event.longitude)))


def session_entry(session: Session, event: Event, state: EntryState) -> VEvent:
    url = public_url("public.session", slug=event.slug, session_id=session.id)
    part_of = _("Part of: %(event)s", event=localized(event, "title"))
    parts = [state.note, localized(session, "abstract").strip(), part_of]
    if session.speakers:
        names = "; ".join(
            ", ".join(x for x in (s.name, s.organisation) if x) for s in session.speakers
        )
        parts.append(_("Speakers: %(names)s", names=names))
    parts.append(_("Details: %(url)s", url=url))
    place = (localized(session.room, "name"), event.venue, event.address)

    entry = VEvent()
    entry.add("uid", session_uid(session.id))
    entry.add("dtstamp", state.stamp)
    entry.add("last-modified", state.stamp)
    entry.add("sequence", session.sequence + state.rank)
    entry.add("dtstart", _when(event, session.starts_at))
    entry.add("dtend", _when(event, session.ends_at))
    _add_texts(entry, state.summary, parts, place)
    _geo(event, entry)
    entry.add("url", url)
    if session.track is not None:
        entry.add("categories", [one_line(localized(session.track, "name"))])
    entry.add("status", state.status)
    return entry


def event_entry(event: Event, state: EntryState) -> VEvent:
    url = public_url("public.event", slug=event.slug)
    parts = [state.note, localized(event, "summary").strip()]
    if event.meeting_point:
        parts.append(_("Meeting point: %(place)s", place=event.meeting_point))
    parts.append(_("Programme and details: %(url)s", url=url))
    place = (event.venue, event.address or event.municipality)
    kind = kind_label(event.kind)

    entry = VEvent()
    entry.add("uid", event_uid(event.id))
    entry.add("dtstamp", state.stamp)
    entry.add("last-modified", state.stamp)
    entry.add("sequence", _event_revision(event) + state.rank)
    entry.add("dtstart", _when(event, event.starts_at))
    entry.add("dtend", _when(event, event.ends_at))
    _add_texts(entry, state.summary, parts, place)
    _geo(event, entry)
    entry.add("url", url)
    entry.add("categories", [kind])
    entry.add("status", state.status)
    return entry


def new_calendar(
    name: str, timezone: str, tzids: Iterable[str], year: int, page_url: str, feed_url: str
) -> Calendar:
    name = one_line(name)
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("name", name)
    # Google and Outlook read the X-WR names, RFC 7986 clients the standard ones.
    calendar.add("x-wr-calname", name)
    calendar.add("x-wr-timezone", timezone)
    calendar.add("refresh-interval", timedelta(hours=1), parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", "PT1H")
    calendar.add("url", page_url)
    calendar.add("source", feed_url, parameters={"VALUE": "URI"})
    for tzid in sorted(set(tzids)):
        calendar.add_component(vtimezone(tzid, year))
    return calendar
