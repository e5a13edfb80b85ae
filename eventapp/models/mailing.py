"""Organizers' mail: a send to many people (one row per send) and their own introductory texts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eventapp.models.accounts import User
from eventapp.models.base import Base, UTCDateTime, utcnow
from eventapp.models.programme import Event


class MailBatch(Base):
    """One send to many: a bulk mail, a test send or a digest of programme changes.

    ``send_key`` is issued with the form and unique here: posting the same form twice
    finds the first batch instead of queueing the messages again. Its outbox rows
    point back to it (``OutboxMessage.batch_id``), which gives the progress.
    """

    __tablename__ = "mail_batch"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    send_key: Mapped[str] = mapped_column(String(64), unique=True)
    subject_de: Mapped[str] = mapped_column(String(200), default="")
    body_de: Mapped[str] = mapped_column(Text, default="")
    subject_en: Mapped[str] = mapped_column(String(200), default="")
    body_en: Mapped[str] = mapped_column(Text, default="")
    filters: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    recipient_count: Mapped[int] = mapped_column(Integer, default=0)
    is_test: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    event: Mapped[Event] = relationship()
    created_by: Mapped[User | None] = relationship()

    def __repr__(self) -> str:
        return f"<MailBatch {self.id} {self.kind}>"


class MailText(Base):
    """An organizer's own introductory paragraph of one mail kind, per event and language.

    No row: the built-in text. Deleting the row resets to it.
    """

    __tablename__ = "mail_text"
    __table_args__ = (UniqueConstraint("event_id", "kind", "locale"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(40))
    locale: Mapped[str] = mapped_column(String(5))
    text: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )

    event: Mapped[Event] = relationship()
