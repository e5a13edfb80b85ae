"""iCalendar feeds of the programme: what goes into each entry, versioning and caching."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from flask import current_app, has_request_context
from flask_babel import force_locale
from flask_babel import gettext as _
from icalendar import Calendar
from icalendar import Event as VEvent
from sqlalchemy import func
from sqlalchemy.orm import joinedload, selectinload

from eventapp.extensions import db
from eventapp.feeds.cache import Feed, feed_cache
from eventapp.feeds.timezones import vtimezone
from eventapp.models import (
    ChoiceStatus,
    Event,
    EventKind,
    EventStatus,
    Registration,
    RegistrationStatus,
    Session,
    SessionChoice,
    Track,
)
from eventapp.urls import public_url

PUBLIC_STATUSES = (EventStatus.PUBLISHED, EventStatus.CANCELLED)
PRODID = "-//Zukunftsbündnis Sozialer Zusammenhalt//eventapp//DE"
# Event rows carry no revision counter; seconds since this instant of their last
# change give a SEQUENCE that only ever grows and fits RFC 5545's 32-bit integer.
REVISION_EPOCH = datetime(2020, 1, 1, tzinfo=UTC)
# A personal entry also moves on when the participant's state does:
# waiting list → seat → cancelled.
PERSONAL_RANK = {"waitlisted": 0, "confirmed": 1, "cancelled": 2}
MAX_ID = 2**31 - 1


class UnknownTrack(LookupError):
    """The requested track does not belong to the event."""


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
    return f"session-{session_id}@{uid_host()}"


def event_uid(event_id: int) -> str:
    return f"event-{event_id}@{uid_host()}"


def _latest(*moments: datetime | None) -> datetime:
    return max(m for m in moments if m is not None).replace(microsecond=0)


def _event_revision(event: Event) -> int:
    return max(0, int((event.updated_at - REVISION_EPOCH).total_seconds()))


def _feed_locale(locale: str | None) -> str:
    languages = current_app.config["LANGUAGES"]
    return locale if locale in languages else current_app.config["BABEL_DEFAULT_LOCALE"]


# --- entries ------------------------------------------------------------------------------


def _when(event: Event, moment: datetime) -> datetime:
    """Wall-clock time in the event's zone; UTC for the repeated hour after DST ends.

    RFC 5545 reads an ambiguous local time as its first occurrence, so 02:30 of the
    second pass (CET) would be shown an hour early; a UTC time has no such doubt.
    """
    local = event.local(moment)
    if local.fold and local.replace(fold=0).utcoffset() != local.utcoffset():
        return moment.astimezone(UTC)
    return local


def _geo(event: Event, entry: VEvent) -> None:
    if event.latitude is not None and event.longitude is not None:
        entry.add("geo", (float(event.latitude), float(event.longitude)))


def _session_entry(session: Session, event: Event, state: EntryState) -> VEvent:
    url = public_url("public.session", slug=event.slug, session_id=session.id)
    parts = [state.note, session.abstract.strip(), _("Part of: %(event)s", event=event.title)]
    if session.speakers:
        names = "; ".join(
            ", ".join(x for x in (s.name, s.organisation) if x) for s in session.speakers
        )
        parts.append(_("Speakers: %(names)s", names=names))
    parts.append(_("Details: %(url)s", url=url))
    place = (session.room.name if session.room else "", event.venue, event.address)

    entry = VEvent()
    entry.add("uid", session_uid(session.id))
    entry.add("dtstamp", state.stamp)
    entry.add("last-modified", state.stamp)
    entry.add("sequence", session.sequence + state.rank)
    entry.add("dtstart", _when(event, session.starts_at))
    entry.add("dtend", _when(event, session.ends_at))
    entry.add("summary", state.summary)
    entry.add("description", "\n\n".join(p for p in parts if p))
    entry.add("location", ", ".join(p for p in place if p))
    _geo(event, entry)
    entry.add("url", url)
    if session.track is not None:
        entry.add("categories", [session.track.name])
    entry.add("status", state.status)
    return entry


def _event_entry(event: Event, state: EntryState) -> VEvent:
    url = public_url("public.event", slug=event.slug)
    parts = [state.note, event.summary.strip()]
    if event.meeting_point:
        parts.append(_("Meeting point: %(place)s", place=event.meeting_point))
    parts.append(_("Programme and details: %(url)s", url=url))
    place = (event.venue, event.address or event.municipality)
    kind = _("Congress") if event.kind == EventKind.CONGRESS else _("Site visit")

    entry = VEvent()
    entry.add("uid", event_uid(event.id))
    entry.add("dtstamp", state.stamp)
    entry.add("last-modified", state.stamp)
    entry.add("sequence", _event_revision(event) + state.rank)
    entry.add("dtstart", _when(event, event.starts_at))
    entry.add("dtend", _when(event, event.ends_at))
    entry.add("summary", state.summary)
    entry.add("description", "\n\n".join(p for p in parts if p))
    entry.add("location", ", ".join(p for p in place if p))
    _geo(event, entry)
    entry.add("url", url)
    entry.add("categories", [kind])
    entry.add("status", state.status)
    return entry


def _public_session_state(session: Session, event: Event) -> EntryState:
    stamp = _latest(session.updated_at, event.updated_at)
    if event.status == EventStatus.CANCELLED:
        note = _("This event has been cancelled.")
    elif session.is_cancelled:
        note = _("This session has been cancelled.")
    else:
        return EntryState("CONFIRMED", session.title, "", 0, stamp)
    return EntryState("CANCELLED", _("Cancelled: %(title)s", title=session.title), note, 0, stamp)


def _public_event_state(event: Event) -> EntryState:
    stamp = _latest(event.updated_at)
    if event.status == EventStatus.CANCELLED:
        summary = _("Cancelled: %(title)s", title=event.title)
        return EntryState("CANCELLED", summary, _("This event has been cancelled."), 0, stamp)
    return EntryState("CONFIRMED", event.title, "", 0, stamp)


def _personal_state(
    registration: Registration, title: str, item_cancelled: bool, waitlisted: bool, stamp
) -> EntryState:
    """The participant's view of one entry: their cancellation wins, then the programme's."""
    if registration.status == RegistrationStatus.CANCELLED:
        summary = _("Registration cancelled: %(title)s", title=title)
        note = _("Your registration has been cancelled.")
        return EntryState("CANCELLED", summary, note, PERSONAL_RANK["cancelled"], stamp)
    rank = PERSONAL_RANK["waitlisted" if waitlisted else "confirmed"]
    if item_cancelled:
        note = _("This has been cancelled.")
        return EntryState("CANCELLED", _("Cancelled: %(title)s", title=title), note, rank, stamp)
    if waitlisted:
        summary = _("Waiting list: %(title)s", title=title)
        note = _("You are on the waiting list; we will email you if a place becomes free.")
        return EntryState("TENTATIVE", summary, note, rank, stamp)
    return EntryState("CONFIRMED", title, "", rank, stamp)


# --- calendars ----------------------------------------------------------------------------


def _calendar(
    name: str, timezone: str, tzids: Iterable[str], year: int, page_url: str, feed_url: str
) -> Calendar:
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


def _programme_version(slug: str, track_id: int | None):
    """One cheap query: the event and a fingerprint of its programme."""
    of_event = Session.event_id == Event.id
    track_name = (
        db.select(Track.name)
        .where(Track.id == track_id, Track.event_id == Event.id)
        .scalar_subquery()
        if track_id is not None
        else db.literal(None)
    )
    return db.select(
        Event.id,
        Event.updated_at,
        db.select(func.count(Session.id)).where(of_event).scalar_subquery(),
        db.select(func.max(Session.updated_at)).where(of_event).scalar_subquery(),
        db.select(func.coalesce(func.sum(Session.sequence), 0)).where(of_event).scalar_subquery(),
        track_name.label("track_name"),
    ).where(Event.slug == slug, Event.status.in_(PUBLIC_STATUSES))


def programme_feed(slug: str, track_id: int | None = None, locale: str | None = None):
    """The event's programme, one entry per session; None for an unknown or draft event."""
    locale = _feed_locale(locale)
    if track_id is not None and not 0 < track_id <= MAX_ID:
        raise UnknownTrack(track_id)
    version = db.session.execute(_programme_version(slug, track_id)).one_or_none()
    if version is None:
        return None
    if track_id is not None and version.track_name is None:
        raise UnknownTrack(track_id)
    key = ("programme", slug, track_id, locale, tuple(version))
    cache = feed_cache()
    feed = cache.get(key)
    if feed is None:
        feed = _build_programme(version.id, track_id, version.track_name, locale)
        cache.put(key, feed)
    return feed


def _programme_sessions(event_id: int, track_id: int | None = None, session_id=None):
    query = (
        db.select(Session)
        .where(Session.event_id == event_id)
        .options(
            joinedload(Session.track), joinedload(Session.room), selectinload(Session.speakers)
        )
        .order_by(Session.starts_at, Session.id)
    )
    if track_id is not None:
        query = query.where(Session.track_id == track_id)
    if session_id is not None:
        query = query.where(Session.id == session_id)
    return db.session.execute(query).scalars().all()


def _build_programme(event_id: int, track_id: int | None, track_name: str | None, locale: str):
    event = db.session.get(Event, event_id)
    sessions = _programme_sessions(event_id, track_id)
    with force_locale(locale):
        name = event.title if track_name is None else f"{event.title} – {track_name}"
        feed_url = public_url(
            "feeds.programme", slug=event.slug, track=track_id, lang=_non_default(locale)
        )
        calendar = _calendar(
            name,
            event.timezone,
            [event.timezone],
            event.local(event.starts_at).year,
            public_url("public.event", slug=event.slug),
            feed_url,
        )
        stamps = [_latest(event.updated_at)]
        for session in sessions:
            state = _public_session_state(session, event)
            stamps.append(state.stamp)
            calendar.add_component(_session_entry(session, event, state))
    suffix = f"-track-{track_id}" if track_id is not None else ""
    return Feed.of(calendar.to_ical(), max(stamps), f"{event.slug}{suffix}.ics")


def session_feed(slug: str, session_id: int, locale: str | None = None) -> Feed | None:
    """A single session as a calendar file to download; None if unknown or not public."""
    if not 0 < session_id <= MAX_ID:
        return None
    locale = _feed_locale(locale)
    event = db.session.execute(
        db.select(Event).where(Event.slug == slug, Event.status.in_(PUBLIC_STATUSES))
    ).scalar_one_or_none()
    sessions = _programme_sessions(event.id, session_id=session_id) if event else []
    if not sessions:
        return None
    session = sessions[0]
    with force_locale(locale):
        calendar = _calendar(
            session.title,
            event.timezone,
            [event.timezone],
            event.local(session.starts_at).year,
            public_url("public.session", slug=slug, session_id=session.id),
            public_url("feeds.session", slug=slug, session_id=session.id),
        )
        state = _public_session_state(session, event)
        calendar.add_component(_session_entry(session, event, state))
    return Feed.of(calendar.to_ical(), state.stamp, f"{slug}-session-{session.id}.ics")


def events_feed(locale: str | None = None) -> Feed:
    """All published (and cancelled, marked so) events, one entry per event."""
    locale = _feed_locale(locale)
    public = Event.status.in_(PUBLIC_STATUSES)
    version = db.session.execute(
        db.select(func.count(Event.id), func.max(Event.updated_at), func.sum(Event.id)).where(
            public
        )
    ).one()
    key = ("events", locale, tuple(version))
    cache = feed_cache()
    feed = cache.get(key)
    if feed is None:
        events = (
            db.session.execute(db.select(Event).where(public).order_by(Event.starts_at, Event.id))
            .scalars()
            .all()
        )
        feed = _build_events(events, locale)
        cache.put(key, feed)
    return feed


def _build_events(events: list[Event], locale: str) -> Feed:
    default_tz = current_app.config["BABEL_DEFAULT_TIMEZONE"]
    year = min((e.local(e.starts_at).year for e in events), default=REVISION_EPOCH.year)
    with force_locale(locale):
        calendar = _calendar(
            _("Events of the Zukunftsbündnis Sozialer Zusammenhalt"),
            default_tz,
            [e.timezone for e in events],
            year,
            public_url("public.index"),
            public_url("feeds.all_events", lang=_non_default(locale)),
        )
        stamps = [REVISION_EPOCH]
        for event in events:
            state = _public_event_state(event)
            stamps.append(state.stamp)
            calendar.add_component(_event_entry(event, state))
    return Feed.of(calendar.to_ical(), max(stamps), "events.ics")


def _non_default(locale: str) -> str | None:
    return None if locale == current_app.config["BABEL_DEFAULT_LOCALE"] else locale


# --- personal feed ------------------------------------------------------------------------


def find_registration(token: str) -> Registration | None:
    """The registration behind a calendar token, with what its feed shows; None if unknown."""
    if not token or len(token) > 64:
        return None
    registration = db.session.execute(
        db.select(Registration)
        .where(Registration.calendar_token == token)
        .options(
            joinedload(Registration.event),
            selectinload(Registration.choices)
            .joinedload(SessionChoice.session)
            .options(
                joinedload(Session.track),
                joinedload(Session.room),
                selectinload(Session.speakers),
            ),
        )
    ).scalar_one_or_none()
    if registration is None or registration.anonymized_at is not None:
        return None
    return registration


def personal_feed(registration: Registration) -> Feed:
    """The participant's event and their workshops, each marked with their own state."""
    event = registration.event
    reg_waitlisted = registration.status == RegistrationStatus.WAITLISTED
    with force_locale(_feed_locale(registration.locale)):
        calendar = _calendar(
            _("%(event)s – my programme", event=event.title),
            event.timezone,
            [event.timezone],
            event.local(event.starts_at).year,
            public_url("public.event", slug=event.slug),
            public_url("feeds.personal", token=registration.calendar_token),
        )
        state = _personal_state(
            registration,
            event.title,
            event.status == EventStatus.CANCELLED,
            reg_waitlisted,
            _latest(event.updated_at, registration.updated_at),
        )
        stamps = [state.stamp]
        calendar.add_component(_event_entry(event, state))
        choices = sorted(registration.choices, key=lambda c: (c.session.starts_at, c.session.id))
        for choice in choices:
            session = choice.session
            state = _personal_state(
                registration,
                session.title,
                session.is_cancelled or event.status == EventStatus.CANCELLED,
                reg_waitlisted or choice.status == ChoiceStatus.WAITLISTED,
                _latest(
                    session.updated_at,
                    event.updated_at,
                    registration.updated_at,
                    choice.created_at,
                    choice.promoted_at,
                ),
            )
            stamps.append(state.stamp)
            calendar.add_component(_session_entry(session, event, state))
    return Feed.of(calendar.to_ical(), max(stamps), f"{event.slug}-personal.ics")


def registration_calendar(registration: Registration) -> bytes:
    """The personal calendar as an .ics attachment for mails (METHOD:PUBLISH, no ORGANIZER)."""
    if has_request_context():
        return personal_feed(registration).body
    # Links are built with url_for, which needs a request; mails are also sent from the CLI.
    # POST keeps the database's write-transaction mode of the CLI that calls this.
    with current_app.test_request_context("/", method="POST"):
        return personal_feed(registration).body
