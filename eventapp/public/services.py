"""Reads for the public pages: visible events and the programme timetable.

Seats, the registration window and what is publicly visible come from the read model
in ``eventapp.registration.availability``.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from urllib.parse import urlencode

from sqlalchemy import bindparam, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import selectinload

from eventapp.extensions import db
from eventapp.feeds.services import programme_version
from eventapp.models import Event, EventStatus, Room, Session, Speaker, Track, utcnow
from eventapp.numbers import whole_number
from eventapp.registration.availability import (
    SEAT_COLUMNS,
    EventAvailability,
    availability_with_counts,
    event_seat_columns,
    publicly_visible,
)


@dataclass
class EventOverview:
    """The events list: upcoming ones soonest first, then past ones latest first."""

    upcoming: list[Event]
    past: list[Event]


def list_public_events(now: datetime | None = None) -> EventOverview:
    """Published and cancelled events (never drafts), split into upcoming and past."""
    now = now or utcnow()
    events = (
        db.session.execute(
            db.select(Event).where(publicly_visible()).order_by(Event.starts_at, Event.id)
        )
        .scalars()
        .all()
    )
    upcoming = [e for e in events if e.ends_at >= now]
    past = [e for e in events if e.ends_at < now]
    past.reverse()
    return EventOverview(upcoming=upcoming, past=past)


@dataclass(frozen=True)
class EventFacts:
    """What seats and the registration window need of an event, read without the ORM."""

    id: int
    capacity: int | None
    status: EventStatus
    registration_opens_at: datetime | None
    registration_closes_at: datetime | None
    starts_at: datetime


@dataclass(frozen=True)
class PublicProgramme:
    """A visible event's programme version (the feeds') and its seats at this moment."""

    event_id: int
    version: tuple
    seats: EventAvailability

    def event(self) -> Event:
        """The event itself, loaded only when a page is rendered."""
        return db.session.get(Event, self.event_id)


FACTS = (
    Event.id,
    Event.capacity,
    Event.status,
    Event.registration_opens_at,
    Event.registration_closes_at,
    Event.starts_at,
)


@functools.cache
def _programme_statement():
    # Built once, and columns rather than an Event: on a cached page these two were
    # most of the request's time.
    return programme_version(bindparam("slug"), None).add_columns(*FACTS, *event_seat_columns())


def get_public_programme(slug: str) -> PublicProgramme | None:
    """The visible event with ``slug``: its programme version and its seats, one query.

    It reads the version, the event's facts, its registrations by status and its
    workshops' seats; None for drafts and unknown slugs.
    """
    # On the session's connection: the ORM adds nothing to a query of columns but time.
    row = db.session.connection().execute(_programme_statement(), {"slug": slug}).one_or_none()
    if row is None:
        return None
    seats_at = len(row) - SEAT_COLUMNS
    facts_at = seats_at - len(FACTS)
    version, facts = row[:facts_at], EventFacts(*row[facts_at:seats_at])
    seats = availability_with_counts(facts, row[seats_at:])
    return PublicProgramme(facts.id, tuple(version), seats)


def get_public_event(slug: str) -> Event | None:
    """The event with ``slug`` unless it does not exist or is still a draft."""
    return db.session.execute(
        db.select(Event).where(Event.slug == slug, publicly_visible())
    ).scalar_one_or_none()


def parse_track_filter(event: Event, raw: str | None) -> Track | None:
    """The event's track named by ``?track=``; anything else means "all tracks"."""
    track_id = whole_number(raw)
    if track_id is None:
        return None
    return next((t for t in event.tracks if t.id == track_id), None)


@dataclass
class Slot:
    """Sessions that overlap in time; parallel ones are laid out by room column."""

    starts_at: datetime
    ends_at: datetime
    sessions: list[Session] = field(default_factory=list)

    @property
    def is_parallel(self) -> bool:
        return len(self.sessions) > 1


@dataclass
class Timetable:
    """The programme as slots (rows) and rooms (columns of parallel slots)."""

    slots: list[Slot]
    rooms: list[Room | None]

    def column(self, session: Session) -> int:
        """1-based grid column of ``session`` among the rooms used in parallel."""
        return self.rooms.index(session.room) + 1 if session.room in self.rooms else 1


def build_timetable(event: Event, track: Track | None = None) -> Timetable:
    """Group the event's sessions into time slots; only ``track``'s sessions when given."""
    sessions = (
        db.session.execute(
            db.select(Session)
            .where(Session.event_id == event.id)
            .options(
                selectinload(Session.speakers),
                selectinload(Session.track),
                selectinload(Session.room),
            )
            .order_by(Session.starts_at, Session.ends_at, Session.id)
        )
        .scalars()
        .all()
    )
    if track is not None:
        sessions = [s for s in sessions if s.track_id == track.id]

    slots: list[Slot] = []
    for session in sessions:
        # A session joins the current slot while it overlaps it, so parallel tracks line up.
        if slots and session.starts_at < slots[-1].ends_at:
            slot = slots[-1]
            slot.ends_at = max(slot.ends_at, session.ends_at)
        else:
            slot = Slot(starts_at=session.starts_at, ends_at=session.ends_at)
            slots.append(slot)
        slot.sessions.append(session)

    used = {s.room for slot in slots if slot.is_parallel for s in slot.sessions}
    rooms: list[Room | None] = sorted(
        (r for r in used if r is not None), key=lambda r: (r.position, r.name)
    )
    if None in used:
        rooms.append(None)
    for slot in slots:
        slot.sessions.sort(key=lambda s: (rooms.index(s.room) if s.room in rooms else 0, s.id))
    return Timetable(slots=slots, rooms=rooms)


def get_public_session(event: Event, session_id: int) -> Session | None:
    """A session of ``event`` by id, or ``None`` when it belongs to another event."""
    session = db.session.get(Session, session_id)
    return session if session is not None and session.event_id == event.id else None


def list_speakers(event: Event) -> list[Speaker]:
    """The event's speakers by name, with their sessions loaded."""
    return list(
        db.session.execute(
            db.select(Speaker)
            .where(Speaker.event_id == event.id)
            .options(selectinload(Speaker.sessions))
            .order_by(Speaker.name, Speaker.id)
        )
        .scalars()
        .all()
    )


def get_public_speaker(event: Event, speaker_id: int) -> Speaker | None:
    """A speaker of ``event`` by id, or ``None`` when they belong to another event."""
    speaker = db.session.get(Speaker, speaker_id)
    return speaker if speaker is not None and speaker.event_id == event.id else None


HEX_COLOUR = re.compile(r"#[0-9a-fA-F]{6}")
OSM_BASE = "https://www.openstreetmap.org/"


def map_url(
    latitude: Decimal | None, longitude: Decimal | None, address: str, municipality: str = ""
) -> str | None:
    """An OpenStreetMap link: a marker at the coordinates, else a search for the address."""
    if latitude is not None and longitude is not None:
        query = urlencode({"mlat": f"{latitude:.6f}", "mlon": f"{longitude:.6f}"})
        return f"{OSM_BASE}?{query}#map=17/{latitude:.6f}/{longitude:.6f}"
    place = address.strip()
    if municipality and municipality not in place:
        place = f"{place}, {municipality}" if place else municipality
    if not place:
        return None
    return f"{OSM_BASE}search?{urlencode({'query': place})}"


def database_is_up() -> bool:
    """Whether the database answers ``SELECT 1``."""
    try:
        db.session.execute(text("SELECT 1")).scalar_one()
    except SQLAlchemyError:
        db.session.rollback()
        return False
    return True
