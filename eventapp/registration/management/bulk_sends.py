"""Past bulk mails of an event and how far each has got (for the back office)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Select
from sqlalchemy.orm import selectinload

from eventapp.extensions import db
from eventapp.mail import services as mail_services
from eventapp.models import Event, Job, JobStatus, MailBatch, OutboxMessage, OutboxStatus

ANNOUNCEMENT = "announcement"
QUEUE_JOB = "bulk_send"


@dataclass(frozen=True)
class Queueing:
    """How far the worker has got queueing a large send's messages."""

    status: str
    done: int
    total: int

    @property
    def busy(self) -> bool:
        return self.status in (JobStatus.QUEUED.value, JobStatus.RUNNING.value)

    def as_json(self) -> dict[str, int | str]:
        return {"status": self.status, "done": self.done, "total": self.total}


@dataclass(frozen=True)
class Progress:
    """How many messages of one send wait, went out, failed for good or were not sent."""

    queued: int
    sent: int
    failed: int
    discarded: int
    # A large send only: the worker's job that queues its messages.
    queueing: Queueing | None = None

    @property
    def total(self) -> int:
        return self.queued + self.sent + self.failed + self.discarded

    @property
    def done(self) -> bool:
        return self.queued == 0 and not (self.queueing and self.queueing.busy)

    def as_json(self) -> dict[str, object]:
        answer: dict[str, object] = {
            "queued": self.queued,
            "sent": self.sent,
            "failed": self.failed,
            "discarded": self.discarded,
            "total": self.total,
            "done": self.done,
        }
        if self.queueing is not None:
            answer["queueing"] = self.queueing.as_json()
        return answer


def _progress(counts: dict[str, int], job: Job | None) -> Progress:
    return Progress(
        queued=counts[OutboxStatus.PENDING.value],
        sent=counts[OutboxStatus.SENT.value],
        failed=counts[OutboxStatus.FAILED.value],
        discarded=counts[OutboxStatus.DISCARDED.value],
        queueing=None
        if job is None
        else Queueing(job.status.value, job.progress_done, job.progress_total),
    )


def queue_jobs(batches: Iterable[MailBatch]) -> dict[int, Job]:
    """The worker's job that queues each large send's messages, by send id."""
    wanted = {batch.id: batch.event_id for batch in batches}
    if not wanted:
        return {}
    jobs = db.session.execute(
        db.select(Job)
        .where(Job.kind == QUEUE_JOB, Job.event_id.in_(set(wanted.values())))
        .order_by(Job.id)
    ).scalars()
    return {job.params.get("batch_id"): job for job in jobs if job.params.get("batch_id") in wanted}


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
    jobs = queue_jobs(batches)
    return {batch_id: _progress(c, jobs.get(batch_id)) for batch_id, c in counts.items()}


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
