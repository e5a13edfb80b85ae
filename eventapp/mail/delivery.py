"""Sending the outbox: claim due rows, send them, mark them, back off on failure.

How a message leaves is the transport's business (``transports``: SMTP, or ``.eml``
files in ``<instance>/mail/`` with ``MAIL_BACKEND=file``); ``open_transport`` chooses.

Delivery is **at least once**. A worker first claims rows (PostgreSQL:
``SELECT … FOR UPDATE SKIP LOCKED``; SQLite: a conditional ``UPDATE`` of
``claimed_by``/``claimed_until`` whose row count proves the claim) and commits,
so other workers skip them while the lease runs. It then hands each message to
the transport and marks it sent in a new short transaction. If the process
dies after the server accepted a message but before the mark was committed, the
lease expires and another run sends the message again: the participant may get
a duplicate, but never nothing. Each message carries a fresh ``Message-ID``, so
this is rare (a crash inside a window of milliseconds) and harmless.

Mail to one address leaves in the order it was written (by id): a message is not
claimed while an earlier one to the same recipient is still pending, so a
confirmation whose first attempt failed is not overtaken by the "workshops
changed" mail written a minute later; one claim takes only the earliest due
message per address. A message that keeps failing holds the later ones back for
``MAIL_ORDER_HOLD_SECONDS`` at most (counted from the later message's creation);
then the later ones go while it waits for its next retry, and the log says so.
The check is one ``NOT EXISTS`` on the (recipient, status) index.

Failures are retried with exponential backoff (``MAIL_RETRY_BASE_SECONDS`` ×
2^(attempts−1), capped at ``MAIL_RETRY_MAX_SECONDS``); after
``MAIL_MAX_ATTEMPTS`` the message is marked failed and stays listed for
organizers until they retry it. A permanent rejection (SMTP 5xx) fails at once,
and so does an address that cannot be delivered at all: not a valid address, or one
with non-ASCII characters before the @ for a server that does not offer SMTPUTF8.
The envelope names the domain IDNA-encoded; SMTPUTF8 is used only when needed and
offered (``smtplib.SMTP.send_message`` asks the server's EHLO answer).
"""

from __future__ import annotations

import logging
import os
import smtplib
import socket
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

from flask import current_app
from sqlalchemy import Select, and_, exists, func, or_, select, update
from sqlalchemy.orm import aliased

from eventapp.database import read_only
from eventapp.extensions import db
from eventapp.mail.addresses import UndeliverableAddress
from eventapp.mail.messages import build_email
from eventapp.mail.transports import MAIL_FOLDER, MailFolder, SmtpConnection, Transport
from eventapp.models import OutboxMessage, OutboxStatus
from eventapp.models.base import utcnow

log = logging.getLogger(__name__)

CLAIM_CHUNK = 10
DEFAULT_MAX_ATTEMPTS = 8
DEFAULT_RETRY_BASE_SECONDS = 60
DEFAULT_RETRY_MAX_SECONDS = 6 * 3600
DEFAULT_CLAIM_SECONDS = 300
DEFAULT_ORDER_HOLD_SECONDS = 1800


@dataclass
class DeliveryReport:
    """What one delivery run did."""

    sent: int = 0
    retrying: int = 0
    failed: int = 0
    discarded: int = 0

    @property
    def handled(self) -> int:
        return self.sent + self.retrying + self.failed + self.discarded


def _setting(name: str, default: int) -> int:
    return int(current_app.config.get(name) or default)


def backoff(attempts: int) -> timedelta:
    """Wait before the next try after ``attempts`` failed ones: doubling, capped."""
    base = _setting("MAIL_RETRY_BASE_SECONDS", DEFAULT_RETRY_BASE_SECONDS)
    cap = _setting("MAIL_RETRY_MAX_SECONDS", DEFAULT_RETRY_MAX_SECONDS)
    return timedelta(seconds=min(cap, base * 2 ** max(attempts - 1, 0)))


def worker_name() -> str:
    """Unique per delivery run: host, process and a random part (threads share a pid)."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{uuid.uuid4().hex[:12]}"


def _due(now: datetime):
    return (
        OutboxMessage.status == OutboxStatus.PENDING,
        OutboxMessage.next_attempt_at <= now,
        or_(OutboxMessage.claimed_until.is_(None), OutboxMessage.claimed_until < now),
    )


def _hold() -> timedelta:
    return timedelta(seconds=_setting("MAIL_ORDER_HOLD_SECONDS", DEFAULT_ORDER_HOLD_SECONDS))


def _held_back(now: datetime):
    """An earlier message to the same address goes first (or holds this one back a while)."""
    earlier = aliased(OutboxMessage)
    return exists().where(
        earlier.recipient == OutboxMessage.recipient,
        earlier.status == OutboxStatus.PENDING,
        earlier.id < OutboxMessage.id,
        or_(
            # Within the hold time any pending earlier message blocks.
            OutboxMessage.created_at > now - _hold(),
            # After it, only one that is due or being sent right now: it still goes first.
            earlier.next_attempt_at <= now,
            earlier.claimed_until >= now,
        ),
    )


def _log_overtaking(ids: list[int]) -> None:
    """Say why a message leaves while an earlier one to the same address still waits."""
    earlier = aliased(OutboxMessage)
    rows = db.session.execute(
        select(OutboxMessage.id, func.min(earlier.id))
        .join(
            earlier,
            and_(
                earlier.recipient == OutboxMessage.recipient,
                earlier.status == OutboxStatus.PENDING,
                earlier.id < OutboxMessage.id,
            ),
        )
        .where(OutboxMessage.id.in_(ids))
        .group_by(OutboxMessage.id)
    ).all()
    for later, first in rows:
        log.warning(
            "mail %s goes before the earlier mail %s to the same address:"
            " that one has held it back for more than %d s and still waits for a retry",
            later,
            first,
            _hold().total_seconds(),
        )


def due_messages(now: datetime, limit: int) -> Select[tuple[int]]:
    """Ids of messages a worker may claim now: due, unclaimed, not held back by earlier mail."""
    return (
        select(OutboxMessage.id)
        .where(*_due(now), ~_held_back(now))
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(limit)
    )


def claim(worker: str, limit: int, now: datetime | None = None) -> list[int]:
    """Claim up to ``limit`` due messages for ``worker`` and commit; returns their ids.

    At most one message per address, and none while an earlier one to it is pending
    (within the hold time): mail to a person leaves in the order it was written.
    """
    now = now or utcnow()
    lease = now + timedelta(seconds=_setting("MAIL_CLAIM_SECONDS", DEFAULT_CLAIM_SECONDS))
    candidates = due_messages(now, limit)
    table = OutboxMessage.__table__
    if db.session.get_bind().dialect.name == "postgresql":
        # Rows another worker is claiming right now are skipped, not waited for.
        ids = list(db.session.execute(candidates.with_for_update(skip_locked=True)).scalars())
        if ids:
            db.session.execute(
                update(table)
                .where(table.c.id.in_(ids))
                .values(claimed_by=worker, claimed_until=lease)
            )
    else:
        ids = []
        for message_id in db.session.execute(candidates).scalars().all():
            result = db.session.execute(
                update(table)
                .where(
                    table.c.id == message_id,
                    table.c.status == OutboxStatus.PENDING.value,
                    or_(table.c.claimed_until.is_(None), table.c.claimed_until < now),
                )
                .values(claimed_by=worker, claimed_until=lease)
            )
            if result.rowcount == 1:
                ids.append(message_id)
    if ids:
        _log_overtaking(ids)
    db.session.commit()
    return ids


def open_transport() -> Transport:
    """The one place that chooses how mail leaves: ``MAIL_BACKEND`` (``smtp`` or ``file``)."""
    if current_app.config.get("MAIL_BACKEND") == "file":
        return MailFolder(Path(current_app.instance_path) / MAIL_FOLDER)
    return SmtpConnection()


def _permanent(exc: Exception) -> bool:
    """SMTP 5xx answers and undeliverable addresses will not change by retrying."""
    if isinstance(exc, UndeliverableAddress):
        return True
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(500 <= code < 600 for code, _ in exc.recipients.values())
    if isinstance(exc, smtplib.SMTPResponseException):
        return 500 <= exc.smtp_code < 600
    return False


def _describe(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}"[:2000]


def _record_failure(message_id: int, worker: str, exc: Exception, now: datetime) -> OutboxStatus:
    message = db.session.get(OutboxMessage, message_id)
    if message is None:
        return OutboxStatus.FAILED
    message.attempts = (message.attempts or 0) + 1
    message.last_error = _describe(exc)
    message.claimed_by = None
    message.claimed_until = None
    max_attempts = _setting("MAIL_MAX_ATTEMPTS", DEFAULT_MAX_ATTEMPTS)
    if _permanent(exc) or message.attempts >= max_attempts:
        message.status = OutboxStatus.FAILED
        log.warning("mail %s failed for good: %s", message_id, message.last_error)
    else:
        message.next_attempt_at = now + backoff(message.attempts)
        log.info("mail %s will be retried: %s", message_id, message.last_error)
    status = message.status
    db.session.commit()
    return status


def _mark(message_id: int, status: OutboxStatus, **values) -> None:
    table = OutboxMessage.__table__
    db.session.execute(
        update(table)
        .where(table.c.id == message_id)
        .values(status=status.value, claimed_by=None, claimed_until=None, **values)
    )
    db.session.commit()


def _render(message_id: int, worker: str) -> tuple[EmailMessage | None, str] | None:
    """The message as MIME, read in a short read-only transaction; None if not ours."""
    # Rendering only reads: on SQLite it must not wait for (or hold) the write lock.
    with read_only():
        try:
            message = db.session.get(OutboxMessage, message_id)
            if message is None or message.claimed_by != worker:
                return None
            email = build_email(message)
            recipient = message.recipient
        finally:
            db.session.rollback()
    return email, recipient


def deliver_one(
    message_id: int,
    worker: str,
    transport: Transport,
    report: DeliveryReport,
    now: datetime | None = None,
) -> None:
    """Render, send and mark one claimed message (``now`` is the clock for the backoff)."""
    now = now or utcnow()
    try:
        rendered = _render(message_id, worker)
    except Exception as exc:  # a rendering bug must not stop the other messages
        if not isinstance(exc, UndeliverableAddress):
            log.exception("could not render mail %s", message_id)
        status = _record_failure(message_id, worker, exc, now)
        _count(report, status)
        return
    if rendered is None:
        return
    email, recipient = rendered
    if email is None:
        _mark(message_id, OutboxStatus.DISCARDED)
        report.discarded += 1
        return
    try:
        transport.send(email, recipient)
    except (OSError, smtplib.SMTPException, UndeliverableAddress) as exc:
        _count(report, _record_failure(message_id, worker, exc, now))
        return
    # A crash right here sends the message again later: at least once.
    _mark(
        message_id,
        OutboxStatus.SENT,
        sent_at=now,
        last_error="",
        recipient=recipient,
    )
    report.sent += 1


def _count(report: DeliveryReport, status: OutboxStatus) -> None:
    if status == OutboxStatus.FAILED:
        report.failed += 1
    else:
        report.retrying += 1


def deliver_due(batch: int = 100, now: datetime | None = None) -> DeliveryReport:
    """Send up to ``batch`` due messages; safe to run in several workers at once."""
    worker = worker_name()
    report = DeliveryReport()
    transport = open_transport()
    remaining = batch
    try:
        while remaining > 0:
            ids = claim(worker, min(CLAIM_CHUNK, remaining), now=now)
            if not ids:
                break
            for message_id in ids:
                deliver_one(message_id, worker, transport, report, now=now)
                remaining -= 1
    finally:
        transport.close()
        db.session.rollback()
    return report
