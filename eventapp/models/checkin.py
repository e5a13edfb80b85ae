"""Check-ins at the door and in workshops, and the log of every scan."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eventapp.models.accounts import User
from eventapp.models.base import Base, UTCDateTime, utcnow
from eventapp.models.registration import Registration

ENTRANCE = "entrance"


class CheckIn(Base):
    """A person admitted to a list: ``entrance`` or a workshop (``session:<id>``)."""

    __tablename__ = "check_in"
    __table_args__ = (UniqueConstraint("registration_id", "list_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(ForeignKey("registration.id", ondelete="CASCADE"))
    list_key: Mapped[str] = mapped_column(String(40))
    checked_in_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    device: Mapped[str] = mapped_column(String(120), default="")
    # Set by an exit scan, cleared by the next entry: the person is inside while it is empty.
    left_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    registration: Mapped[Registration] = relationship()
    user: Mapped[User | None] = relationship()


class ScanLog(Base):
    """Every scan and lookup at the door, whatever its outcome."""

    __tablename__ = "scan_log"
    __table_args__ = (
        Index("ix_scan_log_event_created", "event_id", "created_at"),
        UniqueConstraint("user_id", "nonce"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int | None] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"))
    registration_id: Mapped[int | None] = mapped_column(
        ForeignKey("registration.id", ondelete="SET NULL")
    )
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(20), default="redeem")
    code: Mapped[str] = mapped_column(String(200), default="")
    list_key: Mapped[str] = mapped_column(String(40))
    result: Mapped[str] = mapped_column(String(40))
    device: Mapped[str] = mapped_column(String(120), default="")
    nonce: Mapped[str | None] = mapped_column(String(80))
    response: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # "entry" or "exit"; the scan's own time when it was made offline and sent later.
    direction: Mapped[str] = mapped_column(String(10), default="entry", server_default="entry")
    scanned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Decided on the device without the server (sent later); and, for such a scan, that
    # another device had already admitted the ticket: recorded, flagged, not counted twice.
    offline: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    duplicate: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
