"""Seat counts and the registration window, for the JSON API and anything else that shows them.

The rules themselves live in ``eventapp.registration.availability`` (the registration
service decides with them); this module only gives them event-wide shapes, so the
API can never show a number the registration rules would not agree with.

These functions count; they do not lock. Code that hands out a seat must lock the
event row first (``registration.waitlist.lock_event``) and count afterwards, inside
the same transaction.
"""

from __future__ import annotations

from datetime import datetime

from eventapp.models import Event, EventStatus, utcnow
from eventapp.registration import availability


def seats_taken_event(event_id: int) -> int:
    """How many registrations of the event hold a seat (status ``confirmed``)."""
    return availability.confirmed_count(event_id)


def seats_left_event(event: Event) -> int | None:
    """Free seats of the event, never below zero; ``None`` when it has no capacity limit."""
    return availability.seats_left(event)


def seats_left_sessions(event: Event) -> dict[int, int | None]:
    """Free seats per session id of the event (one query); ``None`` for sessions without a limit."""
    limited = [session for session in event.sessions if session.capacity is not None]
    taken = availability.session_seat_counts(session.id for session in limited)
    left: dict[int, int | None] = {session.id: None for session in event.sessions}
    for session in limited:
        left[session.id] = max(session.capacity - taken[session.id], 0)
    return left


def registration_open(event: Event, now: datetime | None = None) -> bool:
    """Published, not cancelled, and ``now`` inside the registration window (default: now).

    A missing opening time means "open once published"; a missing closing time means
    "open until the event starts".
    """
    # Same rule as ``availability.registration_problem``, without building its message,
    # which needs a request (locale) and so fails in CLI and mail workers.
    now = now or utcnow()
    if event.status != EventStatus.PUBLISHED:
        return False
    if event.registration_opens_at is not None and now < event.registration_opens_at:
        return False
    return now < (event.registration_closes_at or event.starts_at)
