"""Reading seats, waiting positions, workshop slots and the registration window.

These only read, so pages can show them on a GET; the changes are in ``services``.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from flask_babel import format_datetime
from flask_babel import gettext as _
from sqlalchemy import and_, func, or_, select

from eventapp.extensions import db
from eventapp.models import (
    ChoiceStatus,
    Event,
    EventStatus,
    Registration,
    RegistrationStatus,
    Session,
    SessionChoice,
    SessionKind,
    utcnow,
)
from eventapp.registration.errors import EventCancelled, RegistrationClosed, RegistrationError


def confirmed_count(event_id: int) -> int:
    """Seats taken at the event."""
    return db.session.execute(
        select(func.count(Registration.id)).where(
            Registration.event_id == event_id,
            Registration.status == RegistrationStatus.CONFIRMED,
        )
    ).scalar_one()


def seats_left(event: Event) -> int | None:
    """Free seats at the event; None when it has no limit."""
    if event.capacity is None:
        return None
    return max(event.capacity - confirmed_count(event.id), 0)


def session_seat_counts(session_ids: Iterable[int]) -> dict[int, int]:
    """Seats taken per workshop, for many workshops in one query."""
    ids = list(session_ids)
    if not ids:
        return {}
    rows = db.session.execute(
        select(SessionChoice.session_id, func.count(SessionChoice.id))
        .where(
            SessionChoice.session_id.in_(ids),
            SessionChoice.status == ChoiceStatus.CONFIRMED,
        )
        .group_by(SessionChoice.session_id)
    ).all()
    counts = dict.fromkeys(ids, 0)
    counts.update(dict(rows))
    return counts


def session_seats_left(session: Session) -> int | None:
    """Free seats in a workshop; None when it has no limit."""
    if session.capacity is None:
        return None
    return max(session.capacity - session_seat_counts([session.id])[session.id], 0)


def _before(model: Any, created_at: datetime, row_id: int):
    """Rows that arrived before (created_at, id): the waiting lists' order."""
    return or_(
        model.created_at < created_at,
        and_(model.created_at == created_at, model.id < row_id),
    )


def waitlist_position(registration: Registration) -> int | None:
    """1 for the next person to move up; None when not on the event's waiting list."""
    if registration.status != RegistrationStatus.WAITLISTED:
        return None
    ahead = db.session.execute(
        select(func.count(Registration.id)).where(
            Registration.event_id == registration.event_id,
            Registration.status == RegistrationStatus.WAITLISTED,
            _before(Registration, registration.created_at, registration.id),
        )
    ).scalar_one()
    return ahead + 1


def workshop_positions(registration: Registration) -> dict[int, int | None]:
    """Session id → waiting position for each waitlisted workshop choice.

    The position is None while the person still waits for the event itself: workshop
    waiting lists only move for people who hold an event seat.
    """
    positions: dict[int, int | None] = {}
    for choice in registration.choices:
        if choice.status != ChoiceStatus.WAITLISTED:
            continue
        if registration.status != RegistrationStatus.CONFIRMED:
            positions[choice.session_id] = None
            continue
        ahead = db.session.execute(
            select(func.count(SessionChoice.id))
            .join(Registration, SessionChoice.registration_id == Registration.id)
            .where(
                SessionChoice.session_id == choice.session_id,
                SessionChoice.status == ChoiceStatus.WAITLISTED,
                Registration.status == RegistrationStatus.CONFIRMED,
                _before(SessionChoice, choice.created_at, choice.id),
            )
        ).scalar_one()
        positions[choice.session_id] = ahead + 1
    return positions


def choosable_workshops(event: Event) -> list[Session]:
    """Workshops of the event that people can choose, in programme order."""
    return [s for s in event.sessions if s.kind == SessionKind.WORKSHOP and not s.is_cancelled]


def workshop_slots(event: Event) -> list[list[Session]]:
    """Choosable workshops grouped into parallel slots (those overlapping in time)."""
    slots: list[list[Session]] = []
    slot_end: datetime | None = None
    for session in sorted(choosable_workshops(event), key=lambda s: (s.starts_at, s.id)):
        if slots and slot_end is not None and session.starts_at < slot_end:
            slots[-1].append(session)
            slot_end = max(slot_end, session.ends_at)
        else:
            slots.append([session])
            slot_end = session.ends_at
    return slots


def closed_reason(event: Event, now: datetime | None = None) -> str | None:
    """Why registration is closed, as a code (no text, so it works outside requests)."""
    now = now or utcnow()
    if event.status == EventStatus.CANCELLED:
        return "cancelled"
    if event.status != EventStatus.PUBLISHED:
        return "unpublished"
    if event.registration_opens_at and now < event.registration_opens_at:
        return "not_yet_open"
    if now >= (event.registration_closes_at or event.starts_at):
        return "over"
    return None


def registration_open(event: Event, now: datetime | None = None) -> bool:
    """Whether people can register for ``event`` at ``now``."""
    return closed_reason(event, now) is None


def registration_problem(event: Event, now: datetime | None = None) -> RegistrationError | None:
    """Why nobody can register right now, as the error to raise; None when it is open."""
    reason = closed_reason(event, now)
    if reason is None:
        return None
    if reason == "cancelled":
        return EventCancelled(_("This event has been cancelled."))
    if reason == "not_yet_open":
        return RegistrationClosed(
            _(
                "Registration opens on %(date)s.",
                date=format_datetime(event.registration_opens_at, "medium"),
            )
        )
    if reason == "over":
        return RegistrationClosed(_("Registration for this event has closed."))
    return RegistrationClosed(_("Registration for this event is not open."))
