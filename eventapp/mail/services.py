"""Mail services for the other features, the back office and the CLI.

Everything here adds to or changes the current transaction; the caller commits,
so a message exists exactly when the change that causes it was committed.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, insert, select
from sqlalchemy.exc import IntegrityError

from eventapp.extensions import db
from eventapp.mail import announcements, optout
from eventapp.mail.delivery import DeliveryReport, deliver_due
from eventapp.mail.messages import Preview, preview
from eventapp.mail.outbox import (
    MessageKind,
    mail_contact,
    new_message,
    note_ready,
    outbox_row,
    skip_inline_delivery,
)
from eventapp.models import (
    MailBatch,
    OutboxMessage,
    OutboxStatus,
    Registration,
    User,
)
from eventapp.models.base import utcnow

log = logging.getLogger(__name__)

__all__ = [
    "DeliveryReport",
    "MessageKind",
    "batch_counts",
    "deliver_due",
    "enqueue",
    "enqueue_bulk",
    "enqueue_test",
    "failed_messages",
    "outbox_counts",
    "outbox_messages",
    "previews",
    "retry_failed",
    "retry_message",
    "retrying_messages",
]


def enqueue(
    kind: str,
    registration: Registration,
    payload: dict[str, Any] | None = None,
    dedupe_key: str | None = None,
) -> OutboxMessage | None:
    """Queue a message of ``kind`` to ``registration``; None if ``dedupe_key`` was used before.

    ``kind`` is a ``MessageKind``; its templates render at send time.
    """
    kind = MessageKind(kind)
    if not mail_contact(registration).email:
        return None  # nobody to write to (a member without address in no group, a walk-in)
    if dedupe_key is not None:
        exists = db.session.execute(
            select(OutboxMessage.id).where(OutboxMessage.dedupe_key == dedupe_key)
        ).first()
        if exists is not None:
            return None
        # A concurrent run may insert the same key: keep the rest of the
        # transaction and let the unique constraint decide.
        try:
            with db.session.begin_nested():
                message = new_message(kind, registration, payload, dedupe_key)
                db.session.add(message)
        except IntegrityError:
            return None
        return message
    message = new_message(kind, registration, payload)
    db.session.add(message)
    return message


def enqueue_bulk(registrations: Iterable[Registration], batch: MailBatch) -> int:
    """Queue the organizer's message of ``batch`` to each registration, in its language.

    Cancelled and anonymized registrations and people who stopped announcements are
    left out. Returns how many were queued. The rows go in as one multi-row insert,
    without building an object per message.
    """
    if batch.id is None:
        db.session.flush()  # the messages point to the send
    now = utcnow()
    rows = []
    for registration in registrations:
        if not registration.is_active or registration.anonymized_at is not None:
            continue
        if not optout.announcements_allowed(registration):
            continue
        email = mail_contact(registration).email
        if not email:
            continue
        locale, subject, body = announcements.text_for(registration, batch)
        rows.append(
            {
                "kind": MessageKind.ANNOUNCEMENT.value,
                "recipient": email,
                "locale": locale,
                "registration_id": registration.id,
                "batch_id": batch.id,
                "payload": {"subject": subject, "body": body},
                "status": OutboxStatus.PENDING,
                "attempts": 0,
                "last_error": "",
                "next_attempt_at": now,
                "created_at": now,
            }
        )
    if rows:
        db.session.execute(insert(OutboxMessage), rows)
        note_ready(db.session())
    return len(rows)


def enqueue_test(
    batch: MailBatch, organizer: User, registration: Registration | None
) -> OutboxMessage:
    """Queue ``batch``'s message to ``organizer`` alone, filled with ``registration``'s data
    (in its language), or with the organizer's name when there is no registration."""
    if batch.id is None:
        db.session.flush()
    if registration is not None:
        locale, subject, body = announcements.text_for(registration, batch)
    else:
        locale, subject, body = "de", batch.subject_de, batch.body_de
    message = outbox_row(
        MessageKind.ANNOUNCEMENT,
        organizer.email,
        locale,
        registration,
        announcements.test_payload(subject, body, organizer),
        batch_id=batch.id,
    )
    db.session.add(message)
    return message


def outbox_messages(status: OutboxStatus | None = None) -> Select[tuple[OutboxMessage]]:
    """Every message, or those in ``status``, newest first (for ``db.paginate``)."""
    query = select(OutboxMessage).order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc())
    return query if status is None else query.where(OutboxMessage.status == status)


def failed_messages() -> Select[tuple[OutboxMessage]]:
    """Messages that gave up after the last attempt, newest first (for ``db.paginate``)."""
    return outbox_messages(OutboxStatus.FAILED)


def previews(messages: Iterable[OutboxMessage]) -> dict[int, Preview | None]:
    """Subject and text of each message as it goes out now, by id; None where there is none.

    None: the message no longer applies (registration erased) or cannot be rendered; a
    rendering bug must not hide the outbox page that shows why mail is stuck.
    """
    shown: dict[int, Preview | None] = {}
    for message in messages:
        try:
            shown[message.id] = preview(message)
        except Exception:
            log.exception("could not render the preview of mail %s", message.id)
            shown[message.id] = None
    return shown


def retrying_messages() -> Select[tuple[OutboxMessage]]:
    """Unsent messages that failed at least once and wait for their next attempt."""
    return (
        select(OutboxMessage)
        .where(OutboxMessage.status == OutboxStatus.PENDING, OutboxMessage.attempts > 0)
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
    )


def outbox_counts() -> dict[str, int]:
    """Messages per status, every status present (zero if none)."""
    rows = db.session.execute(
        select(OutboxMessage.status, func.count(OutboxMessage.id)).group_by(OutboxMessage.status)
    ).all()
    counts = {status.value: 0 for status in OutboxStatus}
    for status, count in rows:
        counts[str(status)] = count
    return counts


def batch_counts(batch_ids: Iterable[int]) -> dict[int, dict[str, int]]:
    """Messages per status of each send, every status present (zero if none)."""
    ids = list(batch_ids)
    counts = {batch_id: {status.value: 0 for status in OutboxStatus} for batch_id in ids}
    if not ids:
        return counts
    rows = db.session.execute(
        select(OutboxMessage.batch_id, OutboxMessage.status, func.count(OutboxMessage.id))
        .where(OutboxMessage.batch_id.in_(ids))
        .group_by(OutboxMessage.batch_id, OutboxMessage.status)
    ).all()
    for batch_id, status, count in rows:
        counts[batch_id][str(status)] = count
    return counts


def oldest_pending() -> datetime | None:
    """When the longest-waiting unsent message was queued (a stuck worker shows here)."""
    return db.session.execute(
        select(func.min(OutboxMessage.created_at)).where(
            OutboxMessage.status == OutboxStatus.PENDING
        )
    ).scalar_one_or_none()


def _requeue(message: OutboxMessage) -> None:
    message.status = OutboxStatus.PENDING
    # A fresh series of attempts; the last error stays visible until a send works.
    message.attempts = 0
    message.next_attempt_at = utcnow()
    message.claimed_by = None
    message.claimed_until = None


def retry_message(message_id: int) -> bool:
    """Send a failed message again soon; False if there is no failed message with that id."""
    message = db.session.get(OutboxMessage, message_id)
    if message is None or message.status != OutboxStatus.FAILED:
        return False
    _requeue(message)
    note_ready(db.session())
    return True


def retry_failed() -> int:
    """Requeue every failed message; returns how many."""
    messages = db.session.execute(failed_messages()).scalars().all()
    for message in messages:
        _requeue(message)
    if messages:
        note_ready(db.session())
    return len(messages)


def deliver_in_foreground() -> None:
    """The caller sends right away, so no background sender for this transaction."""
    skip_inline_delivery(db.session())
