"""Queueing a large bulk mail's messages in the worker, in chunks, once per recipient.

The send request stores the send (``bulk_mail.send``) and a background job; the job
runs ``queue_in_chunks``. It finds the recipients again with the send's filters and
skips whoever already has a message of this send, so running it again after a crash
queues the rest and nobody twice.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Select, func, select

from eventapp.extensions import db
from eventapp.mail import optout
from eventapp.mail import services as mail_services
from eventapp.models import Event, MailBatch, OutboxMessage, Registration, RegistrationStatus
from eventapp.registration.management import roster

# Messages queued per transaction; the job commits and tells its progress after each.
CHUNK = 500


def recipient_ids(
    event: Event, filters: dict[str, Any], *, stopped: bool = False
) -> Select[tuple[int]]:
    """The ids of a bulk mail's recipients (``bulk_mail.recipients``), in their order,
    without loading the people. ``stopped``: instead those the filters find who stopped
    announcements, and whom the mail therefore leaves out."""
    allowed = optout.ANNOUNCEMENTS_ALLOWED
    return (
        roster.participants_query(event, **filters)
        .with_only_columns(Registration.id)
        .where(
            Registration.status != RegistrationStatus.CANCELLED,
            Registration.anonymized_at.is_(None),
            ~allowed if stopped else allowed,
        )
    )


def queue_in_chunks(
    batch_id: int, start: Callable[[int], None], advance: Callable[[int], None]
) -> None:
    """Queue the messages of send ``batch_id``, ``CHUNK`` per transaction, telling
    ``start`` how many people there are and ``advance`` each chunk done; then set the
    send's recipient count."""
    batch = db.session.get(MailBatch, batch_id)
    ids = list(db.session.execute(recipient_ids(batch.event, batch.filters)).scalars())
    # Progress is written on a connection of its own: SQLite's write lock must be free.
    db.session.commit()
    start(len(ids))
    for first in range(0, len(ids), CHUNK):
        chunk = ids[first : first + CHUNK]
        _queue_chunk(batch_id, chunk)
        db.session.commit()
        advance(len(chunk))
    batch = db.session.get(MailBatch, batch_id)
    batch.recipient_count = db.session.execute(
        select(func.count(OutboxMessage.id)).where(OutboxMessage.batch_id == batch_id)
    ).scalar_one()
    db.session.commit()


def _queue_chunk(batch_id: int, ids: list[int]) -> None:
    batch = db.session.get(MailBatch, batch_id)
    queued = set(
        db.session.execute(
            select(OutboxMessage.registration_id).where(
                OutboxMessage.batch_id == batch_id, OutboxMessage.registration_id.in_(ids)
            )
        ).scalars()
    )
    wanted = [i for i in ids if i not in queued]
    found = {
        reg.id: reg
        for reg in db.session.execute(
            select(Registration).where(Registration.id.in_(wanted))
        ).scalars()
    }
    mail_services.enqueue_bulk([found[i] for i in wanted if i in found], batch)
