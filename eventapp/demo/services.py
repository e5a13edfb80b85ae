"""Loading the demo programme: bring the database to the state declared in ``data.py``.

The loader matches rows by their natural keys (event slug; track, room, speaker
name and session title within an event) and only assigns values that differ, so a
second run writes nothing and leaves ``updated_at`` and ``sequence`` alone. Rows an
organizer added are kept; declared rows are brought back to their declared values.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func

from eventapp.demo import english
from eventapp.demo.data import CONGRESS_DAY, CONGRESS_MONTH, EVENTS, OPERATOR, TIMEZONE
from eventapp.demo.records import EventData, SessionData
from eventapp.extensions import db
from eventapp.models import (
    Event,
    EventStatus,
    OperatorSettings,
    Room,
    Session,
    SessionStatus,
    Speaker,
    Track,
    utcnow,
)
from eventapp.models.legal import OPERATOR_SETTINGS_ID


class Outcome(enum.StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"


@dataclass(frozen=True)
class LoadedEvent:
    """What the loader did with one event of the demo programme."""

    slug: str
    kind: str
    starts_at: datetime
    sessions: int
    outcome: Outcome


def today_in(timezone: str = TIMEZONE) -> date:
    """Today's date where the congress takes place."""
    return datetime.now(ZoneInfo(timezone)).date()


def next_congress_date(today: date) -> date:
    """The next 16 May strictly after ``today`` (on 16 May itself: a year later)."""
    this_year = date(today.year, CONGRESS_MONTH, CONGRESS_DAY)
    return this_year if today < this_year else date(today.year + 1, CONGRESS_MONTH, CONGRESS_DAY)


def wall_time(day: date, at: time, timezone: str = TIMEZONE) -> datetime:
    """A local wall-clock time on ``day``, as an aware UTC datetime."""
    return datetime.combine(day, at, tzinfo=ZoneInfo(timezone)).astimezone(UTC)


def database_has_events() -> bool:
    """Whether any event exists at all (drafts and cancelled ones included)."""
    return db.session.execute(db.select(func.count(Event.id))).scalar_one() > 0


def load_demo(
    congress_date: date | None = None,
    *,
    today: date | None = None,
    now: datetime | None = None,
) -> list[LoadedEvent]:
    """Create or bring up to date the demo congress and site visits; the caller commits."""
    today = today or today_in()
    now = now or utcnow()
    congress_date = congress_date or next_congress_date(today)
    opens_today = wall_time(today, time(0, 0))
    load_operator()
    # Half-built rows must not be flushed by a lazy load in between.
    with db.session.no_autoflush:
        return [
            _load_event(spec, congress_date + timedelta(days=spec.day_offset), opens_today, now)
            for spec in EVENTS
        ]


def load_operator() -> bool:
    """The demo operator's details, unless settings were saved before (never overwritten)."""
    if db.session.get(OperatorSettings, OPERATOR_SETTINGS_ID) is not None:
        return False
    db.session.add(OperatorSettings(id=OPERATOR_SETTINGS_ID, **OPERATOR))
    return True


def _assign(obj: Any, **values: Any) -> bool:
    """Set only the attributes whose value differs; report whether anything changed."""
    changed = False
    for name, value in values.items():
        if getattr(obj, name) != value:
            setattr(obj, name, value)
            changed = True
    return changed


def _load_event(spec: EventData, day: date, opens_today: datetime, now: datetime) -> LoadedEvent:
    event = db.session.execute(db.select(Event).where(Event.slug == spec.slug)).scalar_one_or_none()
    created = event is None
    if event is None:
        event = Event(slug=spec.slug)
        db.session.add(event)

    starts_at = wall_time(day, spec.starts)
    title_en, summary_en, description_en = english.EVENTS.get(spec.slug, ("", "", ""))
    changed = _assign(
        event,
        kind=spec.kind,
        title=spec.title,
        summary=spec.summary,
        description=spec.description,
        title_en=title_en,
        summary_en=summary_en,
        description_en=description_en,
        timezone=TIMEZONE,
        starts_at=starts_at,
        ends_at=wall_time(day, spec.ends),
        venue=spec.venue,
        address=spec.address,
        municipality=spec.municipality,
        meeting_point=spec.meeting_point,
        latitude=spec.latitude,
        longitude=spec.longitude,
        capacity=spec.capacity,
        status=EventStatus.PUBLISHED,
        waitlist_enabled=spec.waitlist_enabled,
        registration_closes_at=starts_at,
    )
    # Registration opens on the day of the first load; a later run keeps that
    # moment as long as registration is already open, so it stays idempotent.
    opened = event.registration_opens_at
    if opened is None or opened > now or opened >= starts_at:
        changed |= _assign(
            event, registration_opens_at=min(opens_today, starts_at - timedelta(days=1))
        )

    tracks = _load_named(event.tracks, Track, event, [t.name for t in spec.tracks])
    for position, track_spec in enumerate(spec.tracks, start=1):
        changed |= _assign(
            tracks[track_spec.name],
            name_en=english.TRACKS.get(track_spec.name, ""),
            colour=track_spec.colour,
            position=position,
        )

    rooms = _load_named(event.rooms, Room, event, [r.name for r in spec.rooms])
    for position, room_spec in enumerate(spec.rooms, start=1):
        changed |= _assign(
            rooms[room_spec.name],
            name_en=english.ROOMS.get(room_spec.name, ""),
            capacity=room_spec.capacity,
            position=position,
        )

    speakers = _load_named(event.speakers, Speaker, event, [s.name for s in spec.speakers])
    for speaker_spec in spec.speakers:
        changed |= _assign(
            speakers[speaker_spec.name],
            organisation=speaker_spec.organisation,
            role_title=speaker_spec.role_title,
            role_title_en=english.SPEAKER_ROLES.get(speaker_spec.role_title, ""),
            bio=speaker_spec.bio,
            bio_en=english.SPEAKER_BIOS.get(speaker_spec.bio, ""),
        )

    existing_sessions = {session.title: session for session in event.sessions}
    for session_spec in spec.sessions:
        session = existing_sessions.get(session_spec.title)
        if session is None:
            session = Session(event=event, title=session_spec.title)
            db.session.add(session)
            changed = True
        changed |= _load_session(session, session_spec, day, tracks, rooms, speakers)

    changed = changed or len(db.session.new) > 0
    db.session.flush()
    outcome = Outcome.CREATED if created else Outcome.UPDATED if changed else Outcome.UNCHANGED
    return LoadedEvent(
        slug=event.slug,
        kind=event.kind.value,
        starts_at=event.starts_at,
        sessions=len(spec.sessions),
        outcome=outcome,
    )


def _load_named(existing: list, model: type, event: Event, names: list[str]) -> dict[str, Any]:
    """The event's rows of ``model`` by name, creating the declared ones that are missing."""
    by_name = {row.name: row for row in existing}
    for name in names:
        if name not in by_name:
            by_name[name] = model(event=event, name=name)
            db.session.add(by_name[name])
    return by_name


def _load_session(
    session: Session,
    spec: SessionData,
    day: date,
    tracks: dict[str, Track],
    rooms: dict[str, Room],
    speakers: dict[str, Speaker],
) -> bool:
    title_en, abstract_en = english.SESSIONS.get(spec.title, ("", ""))
    changed = _assign(
        session,
        title_en=title_en,
        abstract=spec.abstract,
        abstract_en=abstract_en,
        kind=spec.kind,
        track=tracks[spec.track] if spec.track else None,
        room=rooms[spec.room] if spec.room else None,
        starts_at=wall_time(day, spec.starts),
        ends_at=wall_time(day, spec.ends),
        capacity=spec.capacity,
        status=SessionStatus.SCHEDULED,
    )
    wanted = [speakers[name] for name in spec.speakers]
    if {id(s) for s in session.speakers} != {id(s) for s in wanted}:
        session.speakers = wanted
        changed = True
    return changed
