"""Automatic retention: each event's personal data is erased ``retention_days`` after its end.

The mail worker (``flask mail deliver``, each round of ``--loop``) calls ``erase_due``; no
cron job is needed. Each due event is claimed with one conditional UPDATE of its row
(``personal_data_erased_at`` from NULL to now): of two workers at the same time exactly one
changes the row, the other finds it claimed and leaves it. The claim, the anonymization
(the purge's, ``privacy.purge_event``) and the audit entry commit together, so an event is
either erased completely and marked, or not at all.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import select, update

from eventapp.admin.audit import record_action
from eventapp.extensions import db
from eventapp.models import Event, utcnow
from eventapp.registration.availability import publicly_visible
from eventapp.registration.privacy import purge_event

log = logging.getLogger(__name__)

ACTION = "event.personal_data_erased"
# The period of a new event (the model's default), stated in the privacy notice.
DEFAULT_DAYS = 90


def erase_on(event: Event) -> datetime:
    """When the event's personal data is (or was) due for erasure."""
    return event.ends_at + timedelta(days=event.retention_days)


def notice_periods(event: Event | None) -> tuple[int, list[tuple[Event, int]]]:
    """What the privacy notice states: the period (of ``event``, else the default) and, for
    the general notice, the public events whose period differs from the default."""
    if event is not None:
        return event.retention_days, []
    events = db.session.execute(
        select(Event)
        .where(
            publicly_visible(),
            Event.personal_data_erased_at.is_(None),
            Event.retention_days != DEFAULT_DAYS,
        )
        .order_by(Event.starts_at, Event.id)
    ).scalars()
    return DEFAULT_DAYS, [(e, e.retention_days) for e in events]


def due_event_ids(now: datetime) -> list[int]:
    """Events over their retention period whose data has not been erased yet."""
    events = db.session.execute(
        select(Event).where(Event.personal_data_erased_at.is_(None), Event.ends_at <= now)
    ).scalars()
    # The period is per event; comparing in Python keeps the query the same on every database.
    return sorted(event.id for event in events if erase_on(event) <= now)


def _claim(event_id: int, now: datetime) -> bool:
    """Mark the event as erased unless another worker did: True for the one that wins."""
    result = db.session.execute(
        update(Event)
        .where(Event.id == event_id, Event.personal_data_erased_at.is_(None))
        .values(personal_data_erased_at=now)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def erase_event(event_id: int, now: datetime) -> int | None:
    """Erase one due event's personal data in the current transaction (the caller commits).

    Returns how many registrations were anonymized, or None when another worker claimed
    the event first.
    """
    if not _claim(event_id, now):
        return None
    event = db.session.get(Event, event_id, populate_existing=True)
    count = purge_event(event, event.retention_days, now)
    record_action(
        None,
        ACTION,
        Event.__tablename__,
        event.id,
        None,
        {"registrations": count, "retention_days": event.retention_days},
    )
    return count


def erase_due(now: datetime | None = None) -> list[int]:
    """One round of the worker: erase every due event, one transaction each.

    Returns the ids of the events this call erased.
    """
    now = now or utcnow()
    erased = []
    for event_id in due_event_ids(now):
        try:
            count = erase_event(event_id, now)
        except Exception:
            # One event that cannot be erased must not stop the worker (or the others):
            # nothing of it is kept, and the next round tries again.
            db.session.rollback()
            log.exception("could not erase the personal data of event %s", event_id)
            continue
        if count is None:
            db.session.rollback()
            continue
        db.session.commit()
        erased.append(event_id)
    # Leave no read transaction open (on SQLite it would hold the write lock).
    db.session.commit()
    return erased
