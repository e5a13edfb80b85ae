"""Past bulk mails of an event and how far each has got (for the back office)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select
from sqlalchemy.orm import selectinload

from eventapp.extensions import db
from eventapp.mail import services as mail_services
from eventapp.models import Event, MailBatch, OutboxMessage, OutboxStatus

ANNOUNCEMENT = "announcement"


@dataclass(frozen=True)
class Progress:
    """How many messages of one send wait, went out, failed for good or were not sent."""

    queued: int
    sent: int
    failed: int
    discarded: int

    @property
    def total(self) -> int:
        return self.queued + self.sent + self.failed + self.discarded

    @property
    def done(self) -> bool:
        return self.queued == 0

    def as_json(self) -> dict[str, int | bool]:
        return {
            "queued": self.queued,
            "sent": self.sent,
            "failed": self.failed,
            "discarded": self.discarded,
            "total": self.total,
            "done": self.done,
        }


def _progress(counts: dict[str, int]) -> Progress:
    return Progress(
        queued=counts[OutboxStatus.PENDING.value],
        sent=counts[OutboxStatus.SENT.value],
        failed=counts[OutboxStatus.FAILED.value],
        discarded=counts[OutboxStatus.DISCARDED.value],
    )


def sends(event: Event) -> list[MailBatch]:
    """The event's bulk mails and test sends, newest first."""
    return list(
        db.session.execute(
            db.select(MailBatch)
            .where(MailBatch.event_id == event.id, MailBatch.kind == ANNOUNCEMENT)
            .options(selectinload(MailBatch.created_by))
            .order_by(MailBatch.created_at.desc(), MailBatch.id.desc())
        ).scalars()
    )


def progress_of(batches: list[MailBatch]) -> dict[int, Progress]:
    """Each send's progress by its id, in one query."""
    counts = mail_services.batch_counts(batch.id for batch in batches)
    return {batch_id: _progress(c) for batch_id, c in counts.items()}


def progress(batch: MailBatch) -> Progress:
    return progress_of([batch])[batch.id]


def send_of(event: Event, batch_id: int) -> MailBatch | None:
    """The bulk mail ``batch_id`` of ``event``; None if it is not one of its sends."""
    batch = db.session.get(MailBatch, batch_id)
    if batch is None or batch.event_id != event.id or batch.kind != ANNOUNCEMENT:
        return None
    return batch


def messages(batch: MailBatch) -> Select[tuple[OutboxMessage]]:
    """The send's messages with their recipients, in the order they were queued."""
    return (
        db.select(OutboxMessage)
        .where(OutboxMessage.batch_id == batch.id)
        .options(selectinload(OutboxMessage.registration))
        .order_by(OutboxMessage.id)
    )
