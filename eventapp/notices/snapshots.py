"""What a session or an event looked like before and after an edit, and what kind of change it was.

Snapshots are plain JSON (names and ISO times), so a recorded change outlives the rows
it describes: a removed session, a renamed room, a deleted speaker.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import inspect, select
from sqlalchemy.orm import Session as OrmSession

from eventapp.models import Event, Room, Session, SessionStatus, Speaker

# What a change of a session or an event is compared on; the title is only shown.
SESSION_KEYS = ("starts_at", "ends_at", "room", "status", "speakers")
EVENT_KEYS = ("venue", "address", "starts_at", "ends_at")
EVENT_FIELDS = EVENT_KEYS

# Kinds of ``ProgrammeChange``.
ADDED = "added"
CHANGED = "changed"
CANCELLED = "cancelled"
REINSTATED = "reinstated"
REMOVED = "removed"
EVENT = "event"


def history(obj: Any, name: str):
    """What this flush changes of one attribute (added, unchanged, deleted)."""
    return inspect(obj).attrs[name].history


def changed(obj: Any, *names: str) -> bool:
    """Whether this flush changes any of the attributes ``names``."""
    return any(history(obj, name).has_changes() for name in names)


def _value(obj: Any, name: str, *, before: bool) -> Any:
    values = history(obj, name)
    if before and values.deleted:
        return values.deleted[0]
    if not before and values.added:
        return values.added[0]
    if before and values.added and inspect(obj).has_identity:
        # Set without being loaded first: the value before is still the stored one.
        orm = inspect(obj).session
        model = type(obj)
        with orm.no_autoflush:
            return orm.execute(
                select(getattr(model, name)).where(model.id == obj.id)
            ).scalar_one_or_none()
    return getattr(obj, name)


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def _room_name(room: Room | None, *, before: bool) -> str:
    if room is None:
        return ""
    return str(_value(room, "name", before=before))


def _room(orm: OrmSession, obj: Session, *, before: bool) -> Room | None:
    moved = history(obj, "room")
    if not before and moved.has_changes():
        return moved.added[0] if moved.added else None
    if before and moved.deleted:
        return moved.deleted[0]
    # Before the flush syncs it, room_id still names the room the session had.
    room_id = _value(obj, "room_id", before=before)
    return orm.get(Room, room_id) if room_id is not None else None


def _speakers(obj: Session, *, before: bool, without: set[Speaker] = frozenset()) -> list[str]:
    speakers = history(obj, "speakers")
    if speakers.has_changes():
        kept = list(speakers.unchanged) + list(speakers.deleted if before else speakers.added)
    else:
        kept = list(obj.speakers)
    return sorted(s.name for s in kept if before or s not in without)


def session_snapshot(
    orm: OrmSession,
    obj: Session,
    *,
    before: bool,
    room: Room | bool | None = False,
    without: set[Speaker] = frozenset(),
) -> dict[str, Any]:
    """Title, time, room name, status and speakers of a session, before or after this flush.

    ``room``: the room to name instead of the session's own (False: its own); ``without``:
    speakers removed in this flush.
    """
    place = _room(orm, obj, before=before) if room is False else room
    status = _value(obj, "status", before=before)
    return {
        "title": _value(obj, "title", before=before),
        "kind": str(_value(obj, "kind", before=before)),
        "starts_at": _iso(_value(obj, "starts_at", before=before)),
        "ends_at": _iso(_value(obj, "ends_at", before=before)),
        "room": _room_name(place, before=before),  # type: ignore[arg-type]
        "status": str(status) if status is not None else SessionStatus.SCHEDULED.value,
        "speakers": _speakers(obj, before=before, without=without),
    }


def event_snapshot(obj: Event, *, before: bool) -> dict[str, Any]:
    """Venue, address and times of an event, before or after this flush."""
    return {
        "title": _value(obj, "title", before=before),
        "venue": _value(obj, "venue", before=before) or "",
        "address": _value(obj, "address", before=before) or "",
        "starts_at": _iso(_value(obj, "starts_at", before=before)),
        "ends_at": _iso(_value(obj, "ends_at", before=before)),
    }


def compared(snapshot: dict[str, Any], keys: tuple[str, ...]) -> tuple:
    """What a change is judged on: a session moved and moved back compares equal."""
    return tuple((key, str(snapshot.get(key))) for key in keys)


def change_kind(before: dict[str, Any], after: dict[str, Any], *, event_level: bool) -> str:
    """The kind of a change from the states before and after it."""
    if event_level:
        return EVENT
    if after.get("status") == REMOVED:
        return REMOVED
    if before.get("status") != after.get("status"):
        return CANCELLED if after.get("status") == SessionStatus.CANCELLED else REINSTATED
    return CHANGED
