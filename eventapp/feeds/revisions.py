"""The one home of calendar revisions: ``Session.sequence`` and the entries' stamps.

A feed entry is revised when what it shows changes. Calendar clients compare
SEQUENCE to tell a revised entry from a stale one, so it rises once per flush
when a session's time, place, title or status changes, directly
(``REVISION_FIELDS``, the room relationship) or indirectly (its room renamed or
removed, the event's venue moved); the English title and room name count as
much as the German ones. A change of text only (speakers, track name) moves
``updated_at`` (DTSTAMP, LAST-MODIFIED, the feed cache key), and
removing a session moves its event's ``updated_at`` so a client revalidating
with If-Modified-Since is not told "unchanged". So does any other change to what is
published about an event (a speaker's biography, a track's colour, a room, a question
on the form): the event's stamp is part of the programme version under which the
public pages and API documents are cached (``eventapp.pagecache``).

``register`` connects the flush listener to Flask-SQLAlchemy's session;
``create_app`` calls it, and importing this module connects nothing.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, inspect, select
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import scoped_session

from eventapp.models import Event, Question, Room, Session, Speaker, Track, utcnow

# A session's own fields whose change calendar clients must see as a new revision.
REVISION_FIELDS = ("title", "starts_at", "ends_at", "room_id", "status")
# The English title is what English feeds show as the entry's title: a new revision too,
# but kept apart from REVISION_FIELDS, which also decide what participants are told.
TRANSLATION_FIELDS = ("title_en",)
# Event fields that are part of every session's LOCATION: a change moves the session.
EVENT_PLACE_FIELDS = ("venue", "address", "latitude", "longitude", "timezone")
# What else the public pages and the API show of an event: any change moves its stamp.
PUBLISHED_PARTS = (Speaker, Track, Room, Question)


def register(session: scoped_session) -> None:
    """Connect the revision listener to ``session`` (idempotent, like the mail listeners)."""
    if not event.contains(session, "before_flush", stamp_revisions):
        event.listen(session, "before_flush", stamp_revisions)


def _changed(obj: Any, *names: str) -> bool:
    state = inspect(obj)
    return any(state.attrs[name].history.has_changes() for name in names)


def stamp_revisions(orm: OrmSession, _context: Any, _instances: Any) -> None:
    """Raise ``sequence`` of revised sessions and move ``updated_at`` of affected entries."""
    revised: set[Session] = set()  # new text only
    moved: set[Session] = set()  # new time, place, title or status: a new SEQUENCE
    touched_events: set[Event] = set()

    with orm.no_autoflush:
        for obj in list(orm.dirty):
            if isinstance(obj, Session):
                # Assigning ``session.room`` changes ``room_id`` only during the flush.
                if _changed(obj, *REVISION_FIELDS, *TRANSLATION_FIELDS, "room"):
                    moved.add(obj)
                elif _changed(obj, "speakers"):
                    revised.add(obj)
            elif isinstance(obj, Room) and _changed(obj, "name", "name_en"):
                moved.update(_sessions_of(orm, Session.room_id == obj.id))
            elif isinstance(obj, Track) and _changed(obj, "name", "name_en"):
                revised.update(_sessions_of(orm, Session.track_id == obj.id))
            elif isinstance(obj, Speaker) and _changed(obj, "name", "organisation"):
                revised.update(obj.sessions)
            elif isinstance(obj, Event) and _changed(obj, *EVENT_PLACE_FIELDS):
                moved.update(_sessions_of(orm, Session.event_id == obj.id))

        for obj in (*orm.new, *orm.dirty, *orm.deleted):
            if not isinstance(obj, PUBLISHED_PARTS):
                continue
            if obj in orm.dirty and obj not in orm.deleted and not orm.is_modified(obj):
                continue  # only loaded alongside a change elsewhere
            parent = _event_of(orm, obj)
            if parent is not None and parent not in orm.new:
                touched_events.add(parent)

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


def _event_of(orm: OrmSession, part: Any) -> Event | None:
    if part.event is not None:
        return part.event
    return orm.get(Event, part.event_id) if part.event_id else None


def _sessions_of(orm: OrmSession, criterion: Any) -> list[Session]:
    return list(orm.scalars(select(Session).where(criterion)))
