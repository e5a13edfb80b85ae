"""iCalendar feeds of the programme: what each feed holds, its version, and caching."""

from __future__ import annotations

import functools
import re

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import bindparam, func
from sqlalchemy.orm import joinedload, selectinload

from eventapp.content import localized
from eventapp.domain import NotFound
from eventapp.extensions import db
from eventapp.feeds.cache import Feed, feed_cache
from eventapp.feeds.ical import (
    REVISION_EPOCH,
    EntryState,
    event_entry,
    latest,
    new_calendar,
    session_entry,
)
from eventapp.models import (
    ChoiceStatus,
    Event,
    EventStatus,
    Registration,
    RegistrationStatus,
    Session,
    SessionChoice,
    Track,
)
from eventapp.registration.availability import publicly_visible
from eventapp.urls import public_url

# A personal entry also moves on when the participant's state does:
# waiting list → seat → cancelled.
PERSONAL_RANK = {"waitlisted": 0, "confirmed": 1, "cancelled": 2}
MAX_ID = 2**31 - 1
TOKEN = re.compile(r"[A-Za-z0-9_-]{1,64}")


class UnknownTrack(NotFound):
    """The requested track does not belong to the event."""

    code = "track_not_found"

    def __init__(self, track_id: int) -> None:
        super().__init__(_("This event has no track with the number %(id)s.", id=track_id))


def _plausible_slug(slug: str) -> bool:
    # PostgreSQL rejects NUL in text parameters with an error, not with "no row".
    return 0 < len(slug) <= 80 and "\x00" not in slug


def _feed_locale(locale: str | None) -> str:
    languages = current_app.config["LANGUAGES"]
    return locale if locale in languages else current_app.config["BABEL_DEFAULT_LOCALE"]


# --- entry states -------------------------------------------------------------------------


def _public_session_state(session: Session, event: Event) -> EntryState:
    stamp = latest(session.updated_at, event.updated_at)
    if event.status == EventStatus.CANCELLED:
        note = _("This event has been cancelled.")
    elif session.is_cancelled:
        note = _("This session has been cancelled.")
    else:
        return EntryState("CONFIRMED", localized(session, "title"), "", 0, stamp)
    title = localized(session, "title")
    return EntryState("CANCELLED", _("Cancelled: %(title)s", title=title), note, 0, stamp)


def _public_event_state(event: Event) -> EntryState:
    stamp = latest(event.updated_at)
    if event.status == EventStatus.CANCELLED:
        summary = _("Cancelled: %(title)s", title=localized(event, "title"))
        return EntryState("CANCELLED", summary, _("This event has been cancelled."), 0, stamp)
    return EntryState("CONFIRMED", localized(event, "title"), "", 0, stamp)


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


# --- public feeds -------------------------------------------------------------------------


def programme_version(slug: str, track_id: int | None):
    """One cheap query: the event and a fingerprint of its programme.

    The feeds and the cached public pages (``eventapp.pagecache``) are keyed by it.
    """
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
    ).where(Event.slug == slug, publicly_visible())


@functools.cache
def _version_statement(by_track: bool):
    # Built once: putting the statement together cost as much as running it.
    return programme_version(bindparam("slug"), bindparam("track_id") if by_track else None)


def programme_feed(slug: str, track_id: int | None = None, locale: str | None = None):
    """The event's programme, one entry per session; None for an unknown or draft event."""
    locale = _feed_locale(locale)
    if track_id is not None and not 0 < track_id <= MAX_ID:
        raise UnknownTrack(track_id)
    if not _plausible_slug(slug):
        return None
    statement = _version_statement(track_id is not None)
    params = {"slug": slug, "track_id": track_id}
    version = db.session.connection().execute(statement, params).one_or_none()
    if version is None:
        return None
    if track_id is not None and version.track_name is None:
        raise UnknownTrack(track_id)
    key = ("programme", slug, track_id, locale, tuple(version))
    cache = feed_cache()
    feed = cache.get(key)
    if feed is None:
        feed = _build_programme(version.id, track_id, locale)
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


def _build_programme(event_id: int, track_id: int | None, locale: str):
    event = db.session.get(Event, event_id)
    sessions = _programme_sessions(event_id, track_id)
    with force_locale(locale):
        name = localized(event, "title")
        if track_id is not None:
            name = f"{name} – {localized(db.session.get(Track, track_id), 'name')}"
        feed_url = public_url(
            "feeds.programme", slug=event.slug, track=track_id, lang=_non_default(locale)
        )
        calendar = new_calendar(
            name,
            event.timezone,
            [event.timezone],
            event.local(event.starts_at).year,
            public_url("public.event", slug=event.slug),
            feed_url,
        )
        stamps = [latest(event.updated_at)]
        for session in sessions:
            state = _public_session_state(session, event)
            stamps.append(state.stamp)
            calendar.add_component(session_entry(session, event, state))
    suffix = f"-track-{track_id}" if track_id is not None else ""
    return Feed.of(calendar.to_ical(), max(stamps), f"{event.slug}{suffix}.ics")


def session_feed(slug: str, session_id: int, locale: str | None = None) -> Feed | None:
    """A single session as a calendar file to download; None if unknown or not public."""
    if not 0 < session_id <= MAX_ID or not _plausible_slug(slug):
        return None
    locale = _feed_locale(locale)
    event = db.session.execute(
        db.select(Event).where(Event.slug == slug, publicly_visible())
    ).scalar_one_or_none()
    sessions = _programme_sessions(event.id, session_id=session_id) if event else []
    if not sessions:
        return None
    session = sessions[0]
    with force_locale(locale):
        calendar = new_calendar(
            localized(session, "title"),
            event.timezone,
            [event.timezone],
            event.local(session.starts_at).year,
            public_url("public.session", slug=slug, session_id=session.id),
            public_url("feeds.session", slug=slug, session_id=session.id),
        )
        state = _public_session_state(session, event)
        calendar.add_component(session_entry(session, event, state))
    return Feed.of(calendar.to_ical(), state.stamp, f"{slug}-session-{session.id}.ics")


def events_feed(locale: str | None = None) -> Feed:
    """All published (and cancelled, marked so) events, one entry per event."""
    locale = _feed_locale(locale)
    public = publicly_visible()
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
        calendar = new_calendar(
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
            calendar.add_component(event_entry(event, state))
    return Feed.of(calendar.to_ical(), max(stamps), "events.ics")


def _non_default(locale: str) -> str | None:
    return None if locale == current_app.config["BABEL_DEFAULT_LOCALE"] else locale


# --- personal feed ------------------------------------------------------------------------


def _personal_version(token: str):
    """One cheap query: the registration's state and a fingerprint of what its feed shows."""
    mine = SessionChoice.registration_id == Registration.id
    chosen_sessions = db.select(func.max(Session.updated_at)).join(
        SessionChoice, SessionChoice.session_id == Session.id
    )
    return (
        db.select(
            Registration.id,
            Registration.updated_at,
            Registration.status,
            Registration.anonymized_at,
            Registration.locale,
            Event.updated_at,
            db.select(func.count(SessionChoice.id)).where(mine).scalar_subquery(),
            db.select(func.sum(SessionChoice.id)).where(mine).scalar_subquery(),
            # Which choices hold a seat: moves when one is promoted from the waiting list.
            db.select(func.sum(SessionChoice.id))
            .where(mine, SessionChoice.status == ChoiceStatus.CONFIRMED)
            .scalar_subquery(),
            db.select(func.max(SessionChoice.promoted_at)).where(mine).scalar_subquery(),
            chosen_sessions.where(mine).scalar_subquery(),
        )
        .join(Event, Event.id == Registration.event_id)
        .where(Registration.calendar_token == token)
    )


def find_registration(token: str) -> Registration | None:
    """The registration behind a calendar token, with what its feed shows; None if unknown."""
    if not TOKEN.fullmatch(token):
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


def personal_feed_for_token(token: str, locale: str | None = None) -> Feed | None:
    """The personal feed behind a calendar token (cached per version); None if unknown.

    ``locale`` (``?lang=``) chooses the language; without one the participant's own applies.
    """
    if not TOKEN.fullmatch(token):
        return None
    version = db.session.execute(_personal_version(token)).one_or_none()
    if version is None or version.anonymized_at is not None:
        return None
    key = ("personal", token, locale and _feed_locale(locale), tuple(version))
    cache = feed_cache()
    feed = cache.get(key)
    if feed is None:
        registration = find_registration(token)
        if registration is None:
            return None
        feed = personal_feed(registration, locale)
        cache.put(key, feed)
    return feed


def personal_feed(registration: Registration, locale: str | None = None) -> Feed:
    """The participant's event and their workshops, each marked with their own state.

    In ``locale`` when given (anything unknown means German), else in theirs.
    """
    event = registration.event
    reg_waitlisted = registration.status == RegistrationStatus.WAITLISTED
    locale = _feed_locale(locale or registration.locale)
    with force_locale(locale):
        calendar = new_calendar(
            _("%(event)s – my programme", event=localized(event, "title")),
            event.timezone,
            [event.timezone],
            event.local(event.starts_at).year,
            public_url("public.event", slug=event.slug),
            public_url(
                "feeds.personal", token=registration.calendar_token, lang=_non_default(locale)
            ),
        )
        state = _personal_state(
            registration,
            localized(event, "title"),
            event.status == EventStatus.CANCELLED,
            reg_waitlisted,
            latest(event.updated_at, registration.updated_at),
        )
        stamps = [state.stamp]
        calendar.add_component(event_entry(event, state))
        choices = sorted(registration.choices, key=lambda c: (c.session.starts_at, c.session.id))
        for choice in choices:
            session = choice.session
            state = _personal_state(
                registration,
                localized(session, "title"),
                session.is_cancelled or event.status == EventStatus.CANCELLED,
                reg_waitlisted or choice.status == ChoiceStatus.WAITLISTED,
                latest(
                    session.updated_at,
                    event.updated_at,
                    registration.updated_at,
                    choice.created_at,
                    choice.promoted_at,
                ),
            )
            stamps.append(state.stamp)
            calendar.add_component(session_entry(session, event, state))
    return Feed.of(calendar.to_ical(), max(stamps), f"{event.slug}-personal.ics")


def registration_calendar(registration: Registration) -> bytes:
    """The personal calendar as an .ics attachment for mails (METHOD:PUBLISH, no ORGANIZER)."""
    return personal_feed(registration).body
