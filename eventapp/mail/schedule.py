"""Scheduled mail: the reminder before an event and the thank-you after it.

``mail deliver`` (each round of ``--loop``) calls ``queue_scheduled_mail`` before it
sends, so no cron job is needed. Each event says when (its ``reminder_*`` and
``thank_you_enabled`` columns, read in the event's own time zone):

- the **reminder** is due from ``reminder_time`` on the day ``reminder_days_before``
  days before the event's first day, until the event starts;
- the **thank-you** is due from 09:00 on the morning after the event's last day for
  ``THANK_YOU_WINDOW`` (14 days). The window is bounded so that switching the mail on
  for an event long past (or restoring an old database) mails nobody out of the blue.

Each person gets each of them at most once, ever: the message's dedupe key
(``reminder:<id>``, ``thank_you:<id>``) is unique in the outbox, and that constraint,
not the query that looks for missing ones, decides when several workers race.
``mail remind`` may queue the reminder earlier by hand; the key keeps it to one.
Only published events, only confirmed registrations that are not anonymized and did not
stop announcements.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import String, cast, exists, literal, select

from eventapp.extensions import db
from eventapp.mail.outbox import MessageKind
from eventapp.mail.services import enqueue
from eventapp.models import Event, EventStatus, OutboxMessage, Registration, RegistrationStatus
from eventapp.models.base import utcnow

THANK_YOU_TIME = time(9, 0)
THANK_YOU_WINDOW = timedelta(days=14)
REMINDER_PREFIX = "reminder:"
THANK_YOU_PREFIX = "thank_you:"


@dataclass
class ScheduledReport:
    """What one run of the scheduler queued."""

    reminders: int = 0
    thank_yous: int = 0

    @property
    def queued(self) -> int:
        return self.reminders + self.thank_yous


@dataclass(frozen=True)
class Window:
    """When one scheduled mail of one event is due: from ``opens`` until before ``closes``."""

    kind: MessageKind
    event: Event
    opens: datetime
    closes: datetime

    def contains(self, moment: datetime) -> bool:
        return self.opens <= moment < self.closes


def _at(event: Event, day: date, wall_clock: time) -> datetime:
    """``wall_clock`` on ``day`` in the event's time zone, as UTC."""
    return datetime.combine(day, wall_clock, tzinfo=event.tz).astimezone(UTC)


def reminder_window(event: Event) -> Window:
    """The reminder is due from its moment before the event until the event starts."""
    first_day = event.local(event.starts_at).date()
    opens = _at(event, first_day - timedelta(days=event.reminder_days_before), event.reminder_time)
    return Window(MessageKind.REMINDER, event, opens, event.starts_at)


def thank_you_window(event: Event) -> Window:
    """The thank-you is due from the morning after the event's last day, for a bounded time."""
    last_day = event.local(event.ends_at).date()
    opens = _at(event, last_day + timedelta(days=1), THANK_YOU_TIME)
    return Window(MessageKind.THANK_YOU, event, opens, opens + THANK_YOU_WINDOW)


def scheduled_windows(now: datetime) -> list[Window]:
    """The windows of published events with the mail switched on that are open or still ahead."""
    events = db.session.execute(
        select(Event)
        .where(
            Event.status == EventStatus.PUBLISHED,
            Event.reminder_enabled | Event.thank_you_enabled,
            # Ended long enough ago that no thank-you window can still be open.
            Event.ends_at > now - THANK_YOU_WINDOW - timedelta(days=2),
        )
        .order_by(Event.starts_at, Event.id)
    ).scalars()
    windows = []
    for event in events:
        if event.reminder_enabled and event.starts_at > now:
            windows.append(reminder_window(event))
        if event.thank_you_enabled:
            window = thank_you_window(event)
            if window.closes > now:
                windows.append(window)
    return windows


def _key_prefix(kind: MessageKind) -> str:
    return REMINDER_PREFIX if kind == MessageKind.REMINDER else THANK_YOU_PREFIX


def dedupe_key(kind: MessageKind, registration: Registration) -> str:
    """The key that makes ``kind`` go to ``registration`` once, ever."""
    return f"{_key_prefix(kind)}{registration.id}"


def recipients(kind: MessageKind, event: Event, *, only_new: bool = True) -> list[Registration]:
    """Who gets ``kind`` for ``event``; ``only_new``: leave out those who already have it.

    Reminders go to every confirmed participant. The thank-you goes to those checked
    in at the entrance, or to every confirmed participant if the event recorded no
    check-in at all (no scanning at the door says nothing about who came).
    """
    query = select(Registration).where(
        Registration.event_id == event.id,
        Registration.status == RegistrationStatus.CONFIRMED,
        Registration.anonymized_at.is_(None),
        Registration.announcements_stopped_at.is_(None),
    )
    if kind == MessageKind.THANK_YOU and _had_check_in(event):
        query = query.where(Registration.checked_in_at.is_not(None))
    if only_new:
        # Only narrows the list cheaply (the key is indexed); the unique key decides.
        key = literal(_key_prefix(kind)) + cast(Registration.id, String)
        query = query.where(~exists().where(OutboxMessage.dedupe_key == key))
    return list(db.session.execute(query.order_by(Registration.id)).scalars())


def _had_check_in(event: Event) -> bool:
    return (
        db.session.execute(
            select(Registration.id)
            .where(Registration.event_id == event.id, Registration.checked_in_at.is_not(None))
            .limit(1)
        ).first()
        is not None
    )


def queue_for(kind: MessageKind, event: Event) -> int:
    """Queue ``kind`` to each of its recipients who has not had it; returns how many were new."""
    count = 0
    for registration in recipients(kind, event):
        if enqueue(kind, registration, {}, dedupe_key(kind, registration)) is not None:
            count += 1
    return count


def queue_scheduled_mail(now: datetime | None = None) -> ScheduledReport:
    """Queue every reminder and thank-you that is due at ``now``; the caller commits.

    Safe to run often and in several workers at once: a person already queued is
    skipped, and a race for the same person ends at the unique dedupe key.
    """
    now = now or utcnow()
    report = ScheduledReport()
    for window in scheduled_windows(now):
        if not window.contains(now):
            continue
        queued = queue_for(window.kind, window.event)
        if window.kind == MessageKind.REMINDER:
            report.reminders += queued
        else:
            report.thank_yous += queued
    return report


def queued_count(kind: MessageKind, event: Event) -> int:
    """How many of ``kind`` were queued for ``event`` so far (sent or not)."""
    return db.session.execute(
        select(db.func.count(OutboxMessage.id))
        .join(Registration, OutboxMessage.registration_id == Registration.id)
        .where(
            Registration.event_id == event.id,
            OutboxMessage.kind == str(kind),
            OutboxMessage.dedupe_key.is_not(None),
        )
    ).scalar_one()
