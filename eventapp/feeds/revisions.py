"""Keep feed entries' revision stamps true when what they show changes indirectly.

A session's entry shows its room's name, its track's name, its speakers and the
event's venue. Renaming a room does not touch the session row, so neither its
``updated_at`` (DTSTAMP, LAST-MODIFIED, the feed cache key) nor its ``sequence``
would move, and subscribed calendars would keep the old text. Removing a
session would not move anything either, so a client revalidating with
If-Modified-Since would be told "unchanged". This listener touches the rows
whose entries changed, in the same flush.
"""

from __future__ import annotations

from sqlalchemy import event, inspect, select
from sqlalchemy.orm import Session as OrmSession

from eventapp.models import Event, Room, Session, Speaker, Track, utcnow

# Event fields that are part of every session's LOCATION: a change moves the session.
EVENT_PLACE_FIELDS = ("venue", "address", "latitude", "longitude", "timezone")


def _changed(obj, *names: str) -> bool:
    state = inspect(obj)
    return any(state.attrs[name].history.has_changes() for name in names)


@event.listens_for(OrmSession, "before_flush")
def _touch_revised_entries(orm: OrmSession, _context, _instances) -> None:
    """Move ``updated_at`` (and ``sequence`` for a change of place) of affected entries."""
    revised: set[Session] = set()  # new text only
    moved: set[Session] = set()  # new place: calendar clients must see a new revision
    touched_events: set[Event] = set()

    with orm.no_autoflush:
        for obj in list(orm.dirty):
            if isinstance(obj, Session):
                if _changed(obj, "speakers"):
                    revised.add(obj)
                # Assigning ``session.room`` changes ``room_id`` only during the flush.
                if _changed(obj, "room") and not _changed(obj, "room_id"):
                    moved.add(obj)
            elif isinstance(obj, Room) and _changed(obj, "name"):
                moved.update(_sessions_of(orm, Session.room_id == obj.id))
            elif isinstance(obj, Track) and _changed(obj, "name"):
                revised.update(_sessions_of(orm, Session.track_id == obj.id))
            elif isinstance(obj, Speaker) and _changed(obj, "name", "organisation"):
                revised.update(obj.sessions)
            elif isinstance(obj, Event) and _changed(obj, *EVENT_PLACE_FIELDS):
                moved.update(_sessions_of(orm, Session.event_id == obj.id))

        for obj in list(orm.deleted):
            if isinstance(obj, Session) and obj.event is not None:
                touched_events.add(obj.event)
            elif isinstance(obj, Room):
                moved.update(_sessions_of(orm, Session.room_id == obj.id))
            elif isinstance(obj, Track):
                revised.update(_sessions_of(orm, Session.track_id == obj.id))
            elif isinstance(obj, Speaker):
                revised.update(obj.sessions)

    now = utcnow()
    deleted = set(orm.deleted)
    for session in moved:
        if session not in deleted:
            session.sequence = (session.sequence or 0) + 1
            session.updated_at = now
    for session in revised - moved:
        if session not in deleted:
            session.updated_at = now
    for parent in touched_events:
        if parent not in deleted:
            parent.updated_at = now


def _sessions_of(orm: OrmSession, criterion) -> list[Session]:
    return list(orm.scalars(select(Session).where(criterion)))
