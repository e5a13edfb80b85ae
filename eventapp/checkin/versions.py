"""The one home of ``door_version``: what an offline scanner's delta download is keyed on.

Whenever something a scanner needs about a registration changes (status, name,
attention note, accessibility needs, a check-in made, undone or left, a workshop
seat), the registration gets a new ``door_version`` in the same flush: a stamp in
microseconds since the epoch, strictly increasing within a process (``next_stamp``).

Taking a stamp needs no statement and locks nothing, so registrations and scans of one
event do not wait for each other. The price: stamps are not handed out in commit
order. A change stamped at ``t`` may commit after a download that started later and
did not see it. The download therefore sends every row stamped after its ``since``
minus ``OVERLAP`` (longer than any transaction's stamp-to-commit time plus the clock
difference between servers); the scanner applies rows by id, so a row sent twice
changes nothing.

``register`` connects the flush listener to Flask-SQLAlchemy's session;
``create_app`` calls it, and importing this module connects nothing.
"""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from typing import Any

from sqlalchemy import event, inspect
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import scoped_session

from eventapp.models import CheckIn, Registration, SessionChoice

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

# How far back a delta download looks before its ``since``: see the module's docstring.
OVERLAP = timedelta(minutes=2)
OVERLAP_STAMPS = OVERLAP // timedelta(microseconds=1)

_last_stamp = 0
_stamp_lock = threading.Lock()


def next_stamp() -> int:
    """Now in microseconds since the epoch, and above any stamp this process gave before."""
    global _last_stamp
    with _stamp_lock:
        _last_stamp = max(time.time_ns() // 1000, _last_stamp + 1)
        return _last_stamp


def changed_after(since: int) -> int:
    """The lowest version a delta download after ``since`` must send again."""
    return max(since - OVERLAP_STAMPS, 0)


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
    """Give every registration touched by this flush a new version."""
    with orm.no_autoflush:
        stamp(orm, _touched(orm))


def stamp(orm: OrmSession, touched: set[Registration]) -> None:
    """Give ``touched`` new versions now: also for changes made by a bulk ``UPDATE`` or a
    Core ``INSERT`` (a check-in, an exit or a re-entry scan), which no flush sees."""
    with orm.no_autoflush:
        for registration in sorted(touched, key=lambda r: r.id or 0):
            registration.door_version = next_stamp()
