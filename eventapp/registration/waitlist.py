"""The waiting lists' machinery: locks, checked workshop choices, filling free seats.

Used by ``services``; every function here expects the event row to be locked already
(except ``lock_event`` and ``lock_registration``, which take that lock).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from datetime import datetime
from itertools import pairwise
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import bindparam, inspect, literal_column, select
from sqlalchemy.orm.util import identity_key

from eventapp.content import localized
from eventapp.database import MAX_ID, begin_writing, pipelined, unchanged_since_read
from eventapp.extensions import db
from eventapp.models import (
    ChangeKind,
    ChoiceStatus,
    Event,
    Registration,
    RegistrationChange,
    RegistrationStatus,
    Session,
    SessionChoice,
    SessionKind,
)
from eventapp.registration.availability import (
    ChosenWorkshop,
    NewcomerCounts,
    confirmed_count,
    newcomer_counts,
    newcomer_statement,
    session_seats_left,
)
from eventapp.registration.errors import InvalidRegistration, OverlappingSessions


def lock_event(event_id: int) -> Event:
    """The event row, locked for this transaction and freshly read.

    An event this transaction has read already is kept if its ``updated_at`` stamp shows
    nobody has changed it since, and read again otherwise. On PostgreSQL the stamp is
    read with the row lock: under the lock, reading the whole row into the object again
    cost more than every other statement there. SQLite locks no rows: its transactions
    are serializable (one writer at a time, from ``BEGIN IMMEDIATE`` on, see
    ``database``); the stamp is compared only if the event was read before the write
    lock (``lock_late``).
    """
    event = _read_in_this_transaction(event_id)
    if event is not None:
        if db.session.get_bind().dialect.name == "sqlite":
            if not begin_writing() or unchanged_since_read(event):
                return event
        else:
            stamp = db.session.execute(_stamp_lock_statement(), {"id": event_id}).scalar_one()
            if stamp == event.updated_at:
                return event
    return db.session.execute(_lock_statement(), {"id": event_id}).scalar_one()


def lock_for_newcomer(
    event: Event,
    session_ids: list[int],
    email_normalized: str,
    workshops: Iterable[Session] = (),
) -> tuple[Event, NewcomerCounts]:
    """The event locked (``lock_event``) and what a newcomer's registration decides on
    (``newcomer_counts``).

    On PostgreSQL, for an event this transaction read before the lock (``lock_late``),
    the lock and the counts go to the server together, in one round trip
    (``database.pipelined``), where they took two: the next registration waited for
    both, and for this process's turn to run Python between them. The chosen workshops
    are read before the lock, unless the caller read them (``workshops``, with the
    event); the stamps read under it show whether the event and the workshops are still
    as read. If anything changed, all is read again under the lock.
    """
    if (
        _read_in_this_transaction(event.id) is not None
        and db.session.get_bind().dialect.name == "postgresql"
    ):
        counts = _counted_under_the_lock(event, session_ids, email_normalized, workshops)
        if counts is not None:
            return event, counts
    event = lock_event(event.id)
    return event, newcomer_counts(event.id, event.capacity, session_ids, email_normalized)


def _counted_under_the_lock(
    event: Event, session_ids: list[int], email_normalized: str, workshops: Iterable[Session]
) -> NewcomerCounts | None:
    """PostgreSQL: the lock and the counts in one round trip; None if the event or a
    workshop changed since it was read (then the lock is held, and nothing else read)."""
    read = {s.id: s for s in workshops if s.id in session_ids}
    if unread := [i for i in session_ids if i not in read]:
        read |= {s.id: s for s in db.session.scalars(_workshops_statement(), {"ids": unread})}
    parameters = {
        "event_id": event.id,
        "email": email_normalized or None,
        "capacity": event.capacity or 0,
        "session_ids": session_ids,
    }
    stamps, rows = pipelined(
        db.session.connection(),
        [
            (_stamp_lock_planning_once_statement(), {"id": event.id}),
            (newcomer_statement(bool(session_ids), plain=True), parameters),
        ],
    )
    event_as_read = [stamp for stamp, _plan_once in stamps] == [event.updated_at]
    if event_as_read and not session_ids:
        ((confirmed, waitlisted, existing_id, waiting),) = rows
        return NewcomerCounts(confirmed, bool(waitlisted), existing_id, [], waiting)
    if (
        event_as_read
        and rows
        and all(
            session_id in read and stamp == read[session_id].updated_at
            for session_id, stamp, *_counts in rows
        )
    ):
        confirmed, waitlisted, existing_id, waiting = rows[0][4:]
        workshops = [ChosenWorkshop(read[row[0]], row[2], row[3]) for row in rows]
        return NewcomerCounts(confirmed, bool(waitlisted), existing_id, workshops, waiting)
    # Read again under the lock, the workshops too.
    for session in read.values():
        db.session.expire(session)
    return None


# The counts, prepared by the driver after a few runs, are then planned once for every
# registration instead of afresh for each one's values, under the lock. Their plan does not
# depend on the values: for one event and a few workshops it reads the same indexes.
# For this transaction only (``SET LOCAL``), set by the statement that takes the lock: one
# statement less to send under it.
_PLAN_ONCE = literal_column("set_config('plan_cache_mode', 'force_generic_plan', true)")


@functools.cache
def _stamp_lock_planning_once_statement():
    return select(Event.updated_at, _PLAN_ONCE).where(Event.id == bindparam("id")).with_for_update()


@functools.cache
def _workshops_statement():
    return select(Session).where(Session.id.in_(bindparam("ids", expanding=True)))


@functools.cache
def _stamp_lock_statement():
    return select(Event.updated_at).where(Event.id == bindparam("id")).with_for_update()


@functools.cache
def _lock_statement():
    return (
        select(Event)
        .where(Event.id == bindparam("id"))
        .with_for_update()
        .execution_options(populate_existing=True)
    )


def _read_in_this_transaction(event_id: int) -> Event | None:
    """The session's copy of the event if this transaction read it (a commit or rollback
    expires every copy)."""
    event = db.session.identity_map.get(identity_key(Event, event_id))
    if event is None or not db.session().in_transaction():
        return None
    state = inspect(event)
    return event if state.persistent and not state.expired_attributes else None


def lock_registration(registration: Registration) -> Event:
    """Lock the event, then re-read the registration: another request may have changed it."""
    event = lock_event(registration.event_id)
    db.session.expire(registration)
    db.session.refresh(registration, with_for_update=True)
    return event


def record_change(
    registration: Registration, kind: ChangeKind, actor: str, now: datetime, **detail: Any
) -> None:
    """Add a domain event to the registration's history; the mail package mails from it."""
    db.session.add(
        RegistrationChange(
            registration=registration, kind=kind, detail=detail, actor=actor, created_at=now
        )
    )


def choice_summary(registration: Registration) -> list[dict[str, Any]]:
    return [
        {"id": c.session_id, "status": str(c.status)}
        for c in sorted(registration.choices, key=lambda c: c.session_id)
    ]


def chosen_ids(session_ids: Iterable[int]) -> list[int]:
    """``session_ids`` as ids, each once and each one a column can hold; else refused."""
    try:
        ids = [int(i) for i in session_ids]
    except (TypeError, ValueError):
        raise InvalidRegistration(
            _("Please choose workshops from the list."), field="session_ids"
        ) from None
    if len(set(ids)) != len(ids):
        raise InvalidRegistration(_("Each workshop can be chosen only once."), field="session_ids")
    # An id no column can hold would make the query fail instead of finding nothing.
    if not all(0 < i <= MAX_ID for i in ids):
        raise InvalidRegistration(
            _("Please choose only workshops of this event that take place."),
            field="session_ids",
        )
    return ids


def chosen_sessions(event: Event, session_ids: Iterable[int], *, keep: set[int]) -> list[Session]:
    """The workshops behind ``session_ids``, checked and locked; ``keep`` may be cancelled."""
    ids = chosen_ids(session_ids)
    if not ids:
        return []
    sessions = (
        db.session.execute(
            select(Session).where(Session.id.in_(ids)).order_by(Session.id).with_for_update()
        )
        .scalars()
        .all()
    )
    return checked_sessions(event, ids, sessions, keep=keep)


def checked_sessions(
    event: Event, ids: list[int], sessions: Iterable[Session], *, keep: set[int]
) -> list[Session]:
    """``sessions`` (read for ``ids``) in time order, if all are workshops of ``event`` that
    take place (``keep`` may be cancelled) and none overlap; else refused."""
    valid = [
        s
        for s in sessions
        if s.event_id == event.id
        and s.kind == SessionKind.WORKSHOP
        and (not s.is_cancelled or s.id in keep)
    ]
    if len(valid) != len(ids):
        raise InvalidRegistration(
            _("Please choose only workshops of this event that take place."),
            field="session_ids",
        )
    ordered = sorted(valid, key=lambda s: (s.starts_at, s.id))
    for first, second in pairwise(ordered):
        if first.overlaps(second):
            raise OverlappingSessions(
                _(
                    "“%(a)s” and “%(b)s” take place at the same time; please choose one.",
                    a=localized(first, "title"),
                    b=localized(second, "title"),
                ),
                field="session_ids",
            )
    return ordered


def event_over(event: Event, now: datetime) -> bool:
    """The event has ended: from now on nobody moves up from a waiting list."""
    return now >= event.ends_at


def first_waiting_registration(event_id: int) -> Registration | None:
    return db.session.execute(
        select(Registration)
        .where(
            Registration.event_id == event_id,
            Registration.status == RegistrationStatus.WAITLISTED,
        )
        .order_by(Registration.created_at, Registration.id)
        .limit(1)
    ).scalar_one_or_none()


def fill_session(session: Session, now: datetime) -> list[SessionChoice]:
    """Give free workshop seats to the first waiting people who hold an event seat."""
    promoted: list[SessionChoice] = []
    while True:
        left = session_seats_left(session)
        if left is not None and left <= 0:
            return promoted
        choice = db.session.execute(
            select(SessionChoice)
            .join(Registration, SessionChoice.registration_id == Registration.id)
            .where(
                SessionChoice.session_id == session.id,
                SessionChoice.status == ChoiceStatus.WAITLISTED,
                Registration.status == RegistrationStatus.CONFIRMED,
            )
            .order_by(SessionChoice.created_at, SessionChoice.id)
            .limit(1)
        ).scalar_one_or_none()
        if choice is None:
            return promoted
        choice.status = ChoiceStatus.CONFIRMED
        choice.promoted_at = now
        db.session.flush()
        promoted.append(choice)


def fill_sessions(sessions: Iterable[Session], now: datetime, actor: str, *, skip: int = 0):
    """Fill each workshop and record ``session_promoted`` (not for registration ``skip``).

    Nothing moves up once the event is over.
    """
    for session in sessions:
        if event_over(session.event, now):
            continue
        for choice in fill_session(session, now):
            if choice.registration_id != skip:
                record_change(
                    choice.registration,
                    ChangeKind.SESSION_PROMOTED,
                    actor,
                    now,
                    session_id=session.id,
                )


def admit(registration: Registration, now: datetime, actor: str) -> None:
    """Move a waiting person onto the event, then onto any workshop with a free seat."""
    registration.status = RegistrationStatus.CONFIRMED
    registration.confirmed_at = now
    registration.promoted_at = now
    db.session.flush()
    fill_sessions([c.session for c in registration.choices], now, actor, skip=registration.id)
    record_change(
        registration, ChangeKind.PROMOTED, actor, now, sessions=choice_summary(registration)
    )


def fill_event(event: Event, now: datetime, actor: str) -> list[Registration]:
    """Admit waiting people in arrival order while the event has free seats, until it ends.

    After the end a seat is worth nothing, and admitting someone would mail them about
    an event that is over.
    """
    admitted: list[Registration] = []
    if event_over(event, now):
        return admitted
    while event.capacity is None or confirmed_count(event.id) < event.capacity:
        waiting = first_waiting_registration(event.id)
        if waiting is None:
            break
        admit(waiting, now, actor)
        admitted.append(waiting)
    return admitted
