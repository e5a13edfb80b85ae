"""The transactional outbox: mail written in the same transaction as its cause."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eventapp.models.base import Base, UTCDateTime, utcnow
from eventapp.models.programme import _enum
from eventapp.models.registration import Registration


class OutboxStatus(enum.StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"
    # Not sent on purpose: the registration was deleted or anonymized, or the
    # message no longer applies (a reminder for a cancelled registration).
    DISCARDED = "discarded"


class OutboxMessage(Base):
    """One email to send; retried with backoff, never dropped."""

    __tablename__ = "outbox_message"
    __table_args__ = (
        Index("ix_outbox_message_due", "status", "next_attempt_at"),
        # Mail to one person leaves in the order it was written.
        Index("ix_outbox_message_recipient", "recipient", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    recipient: Mapped[str] = mapped_column(String(254))
    locale: Mapped[str] = mapped_column(String(5), default="de")
    registration_id: Mapped[int | None] = mapped_column(
        ForeignKey("registration.id", ondelete="SET NULL"), index=True
    )
    # The send this message belongs to (bulk mail, digest), for its progress.
    batch_id: Mapped[int | None] = mapped_column(
        ForeignKey("mail_batch.id", ondelete="SET NULL"), index=True
    )
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Set for messages that must go out once only (e.g. the reminder).
    dedupe_key: Mapped[str | None] = mapped_column(String(120), unique=True)
    status: Mapped[OutboxStatus] = mapped_column(
        _enum(OutboxStatus, "outbox_status"), default=OutboxStatus.PENDING
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    claimed_by: Mapped[str | None] = mapped_column(String(80))
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    # Lets a message be written in the same flush as a brand-new registration.
    registration: Mapped[Registration | None] = relationship()

    def __repr__(self) -> str:
        return f"<OutboxMessage {self.id} {self.kind} {self.status}>"
