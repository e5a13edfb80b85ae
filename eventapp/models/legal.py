"""The operator's own details (one row) and the barrier reports sent from the accessibility page."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from eventapp.models.base import Base, UTCDateTime, utcnow
from eventapp.models.programme import _enum

# The only id the settings row may have: there is one operator.
OPERATOR_SETTINGS_ID = 1


class ConformanceStatus(enum.StrEnum):
    """How far the site meets WCAG 2.1 AA / EN 301 549 (the wording BITV 2.0 prescribes)."""

    FULL = "full"
    PARTIAL = "partial"
    NONE = "none"


class OperatorSettings(Base):
    """What the operator entered in the back office; NULL means the environment's default.

    Read it through ``eventapp.legal.settings.operator_settings()``, which merges both.
    """

    __tablename__ = "operator_settings"
    __table_args__ = (CheckConstraint(f"id = {OPERATOR_SETTINGS_ID}", name="single_row"),)

    id: Mapped[int] = mapped_column(primary_key=True, default=OPERATOR_SETTINGS_ID)
    legal_name: Mapped[str | None] = mapped_column(String(200))
    address: Mapped[str | None] = mapped_column(String(500))
    representative: Mapped[str | None] = mapped_column(String(300))
    contact_email: Mapped[str | None] = mapped_column(String(254))
    contact_phone: Mapped[str | None] = mapped_column(String(40))
    data_protection_officer: Mapped[str | None] = mapped_column(String(500))
    supervisory_authority: Mapped[str | None] = mapped_column(String(500))
    sender_name: Mapped[str | None] = mapped_column(String(200))
    sender_email: Mapped[str | None] = mapped_column(String(254))
    reply_to: Mapped[str | None] = mapped_column(String(254))
    dgs_video_url: Mapped[str | None] = mapped_column(String(500))
    conformance_status: Mapped[ConformanceStatus | None] = mapped_column(
        _enum(ConformanceStatus, "conformance_status")
    )
    known_limitations: Mapped[str | None] = mapped_column(Text)
    last_review: Mapped[date | None] = mapped_column(Date)
    enforcement_contact: Mapped[str | None] = mapped_column(Text)
    # Who signs attendance certificates, and the signature as a PNG or JPEG image.
    certificate_signer_name: Mapped[str | None] = mapped_column(String(200))
    certificate_signer_role: Mapped[str | None] = mapped_column(String(200))
    certificate_signature: Mapped[bytes | None] = mapped_column(LargeBinary)
    certificate_signature_type: Mapped[str | None] = mapped_column(String(40))
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, onupdate=utcnow)


class BarrierReport(Base):
    """A barrier someone met on the site, reported through the accessibility statement's form."""

    __tablename__ = "barrier_report"

    id: Mapped[int] = mapped_column(primary_key=True)
    description: Mapped[str] = mapped_column(Text)
    page: Mapped[str] = mapped_column(String(500), default="")
    name: Mapped[str] = mapped_column(String(200), default="")
    email: Mapped[str] = mapped_column(String(254), default="")
    locale: Mapped[str] = mapped_column(String(5), default="de")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
