"""Read-only capacity figures shared by the pages, the JSON API and the registration rules.

These functions count; they do not lock. Code that hands out a seat must lock the
event (or session) row first (``with_for_update()``) and count afterwards, inside the
same transaction, so that two requests cannot both take the last seat.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func

from eventapp.extensions import db
from eventapp.models import (
    ChoiceStatus,
    Event,
    EventStatus,
    Registration,
    RegistrationStatus,
    Session,
    SessionChoice,
    utcnow,
)


def seats_taken_event(event_id: int) -> int:
    """How many registrations of the event hold a seat (status ``confirmed``)."""
    return db.session.execute(
        db.select(func.count(Registration.id)).where(
            Registration.event_id == event_id,
            Registration.status == RegistrationStatus.CONFIRMED,
        )
    ).scalar_one()


def seats_left_event(event: Event) -> int | None:
    """Free seats of the event, never below zero; ``None`` when it has no capacity limit."""
    if event.capacity is None:
        return None
    return max(event.capacity - seats_taken_event(event.id), 0)


def seats_taken_sessions(event_id: int) -> dict[int, int]:
    """Confirmed workshop seats per session id of the event (sessions without any are absent).

    A choice only counts while its registration is active: a cancelled registration
    gives its workshop seats back even if its choice rows are kept for the record.
    """
    rows = db.session.execute(
        db.select(SessionChoice.session_id, func.count(SessionChoice.id))
        .join(Session, Session.id == SessionChoice.session_id)
        .join(Registration, Registration.id == SessionChoice.registration_id)
        .where(
            Session.event_id == event_id,
            SessionChoice.status == ChoiceStatus.CONFIRMED,
            Registration.status != RegistrationStatus.CANCELLED,
        )
        .group_by(SessionChoice.session_id)
    ).all()
    return dict(rows)


def seats_left_sessions(event: Event) -> dict[int, int | None]:
    """Free seats per session id of the event; ``None`` for sessions without a capacity limit."""
    taken = seats_taken_sessions(event.id)
    left: dict[int, int | None] = {}
    for session in event.sessions:
        if session.capacity is None:
            left[session.id] = None
        else:
            left[session.id] = max(session.capacity - taken.get(session.id, 0), 0)
    return left


def registration_open(event: Event, now: datetime | None = None) -> bool:
    """Whether the event takes registrations at ``now``: published and inside its window.

    A missing opening time means "open once published"; a missing closing time
    means "open until the event starts".
    """
    now = now or utcnow()
    if event.status != EventStatus.PUBLISHED:
        return False
    if event.registration_opens_at is not None and now < event.registration_opens_at:
        return False
    closes_at = event.registration_closes_at or event.starts_at
    return now < closes_at
