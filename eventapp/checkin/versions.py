"""The one home of ``door_version``: what an offline scanner's delta download is keyed on.

Whenever something a scanner needs about a registration changes (status, name,
attention note, accessibility needs, a check-in made, undone or left, a workshop
seat), the registration gets ``door_version = ++event.door_version`` in the same
flush. The event row is raised with one ``UPDATE ... RETURNING`` that keeps the row
locked until commit, so versions are handed out in commit order: a scanner that has
seen version ``n`` never misses a later commit with a smaller number.

``register`` connects the flush listener to Flask-SQLAlchemy's session;
``create_app`` calls it, and importing this module connects nothing.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import event, inspect
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import scoped_session
from sqlalchemy.orm.attributes import set_committed_value

from eventapp.models import CheckIn, Event, Registration, SessionChoice

# A registration's own fields that a scanner shows or decides on.
REGISTRATION_FIELDS = (
    "status",
    "first_name",
    "last_name",
    "attention_note",
    "accessibility_needs",
    "event_id",
    "checked_in_at",
)
CHECK_IN_FIELDS = ("left_at", "checked_in_at", "list_key", "registration_id")
CHOICE_FIELDS = ("status", "session_id", "registration_id")


def register(session: scoped_session) -> None:
    """Connect the version listener to ``session`` (idempotent, like the other listeners)."""
    if not event.contains(session, "before_flush", stamp_door_versions):
        event.listen(session, "before_flush", stamp_door_versions)


def _changed(obj: Any, names: tuple[str, ...]) -> bool:
    attrs = inspect(obj).attrs
    return any(name in attrs and attrs[name].history.has_changes() for name in names)


def _registration_of(orm: OrmSession, obj: CheckIn | SessionChoice) -> Registration | None:
    if "registration" in inspect(obj).dict and obj.registration is not None:
        return obj.registration
    if obj.registration_id is None:
        return None
    return orm.get(Registration, obj.registration_id)


def _touched(orm: OrmSession) -> set[Registration]:
    touched: set[Registration] = set()
    for obj in orm.new:
        if isinstance(obj, Registration):
            touched.add(obj)
        elif isinstance(obj, CheckIn | SessionChoice):
            touched.add(_registration_of(orm, obj))
    for obj in orm.deleted:
        if isinstance(obj, CheckIn | SessionChoice):
            registration = _registration_of(orm, obj)
            if registration is not None and registration not in orm.deleted:
                touched.add(registration)
    for obj in orm.dirty:
        if isinstance(obj, Registration) and _changed(obj, REGISTRATION_FIELDS):
            touched.add(obj)
        elif isinstance(obj, CheckIn | SessionChoice):
            fields = CHECK_IN_FIELDS if isinstance(obj, CheckIn) else CHOICE_FIELDS
            if _changed(obj, fields):
                touched.add(_registration_of(orm, obj))
    touched.discard(None)
    return touched


def stamp_door_versions(orm: OrmSession, _context: Any, _instances: Any) -> None:
    """Give every registration touched by this flush a new version of its event."""
    with orm.no_autoflush:
        stamp(orm, _touched(orm))


def stamp(orm: OrmSession, touched: set[Registration]) -> None:
    """Give ``touched`` new versions now: for changes made by a bulk ``UPDATE`` (an exit
    or re-entry scan), which no flush sees."""
    with orm.no_autoflush:
        if not touched:
            return
        by_event: dict[Any, list[Registration]] = defaultdict(list)
        for registration in touched:
            key = registration.event_id
            if key is None and registration.event is not None:
                key = registration.event.id or registration.event
            by_event[key].append(registration)
        for key, registrations in by_event.items():
            registrations.sort(key=lambda r: r.id or 0)
            count = len(registrations)
            if not isinstance(key, int):
                # A new event, not in the database yet: count on the object.
                event_obj = key
                if event_obj is None:
                    continue
                top = (event_obj.door_version or 0) + count
                event_obj.door_version = top
            else:
                top = orm.execute(
                    Event.__table__.update()
                    .where(Event.__table__.c.id == key)
                    # Keeps ``updated_at``, which the column's onupdate would otherwise
                    # move: it is the programme's version (feeds, cached pages).
                    .values(
                        door_version=Event.__table__.c.door_version + count,
                        updated_at=Event.__table__.c.updated_at,
                    )
                    .returning(Event.__table__.c.door_version)
                ).scalar_one()
                loaded = orm.identity_map.get(orm.identity_key(Event, key))
                if loaded is not None:
                    set_committed_value(loaded, "door_version", top)
            for offset, registration in enumerate(registrations):
                registration.door_version = top - count + 1 + offset
