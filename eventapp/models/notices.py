"""Programme changes waiting for an organizer's review before participants are told."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eventapp.models.accounts import User
from eventapp.models.base import Base, UTCDateTime, utcnow
from eventapp.models.programme import Event, _enum


class NoticeState(enum.StrEnum):
    PENDING = "pending"
    # Told: the change went out in a digest.
    SENT = "sent"
    # The organizer decided nobody needs to hear of it (a typo fix, say).
    DISMISSED = "dismissed"
    # Undone before anyone was told (a session created and removed again).
    SETTLED = "settled"


class ProgrammeChange(Base):
    """One edit that may matter to participants: what it was before and after.

    ``session_id`` is a plain integer, not a foreign key: the record outlives a
    removed session. ``audience`` keeps the registration ids of the people who
    had a removed session in their programme (its choices are gone with it).
    """

    __tablename__ = "programme_change"
    __table_args__ = (Index("ix_programme_change_pending", "event_id", "state"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"))
    session_id: Mapped[int | None] = mapped_column(Integer, index=True)
    kind: Mapped[str] = mapped_column(String(30))
    before: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    after: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    audience: Mapped[list[int]] = mapped_column(JSON, default=list)
    state: Mapped[NoticeState] = mapped_column(
        _enum(NoticeState, "notice_state"), default=NoticeState.PENDING
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )

    event: Mapped[Event] = relationship()
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])

    def __repr__(self) -> str:
        return f"<ProgrammeChange {self.id} {self.kind} {self.state}>"
