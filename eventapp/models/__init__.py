"""All models, importable from one place (Alembic autogenerate reads this)."""

from eventapp.models.accounts import ApiToken, Role, User
from eventapp.models.audit import AuditEntry
from eventapp.models.base import Base, UTCDateTime, utcnow
from eventapp.models.checkin import ENTRANCE, CheckIn, ScanLog
from eventapp.models.legal import BarrierReport, ConformanceStatus, OperatorSettings
from eventapp.models.mailing import MailBatch, MailText
from eventapp.models.notices import NoticeState, ProgrammeChange
from eventapp.models.outbox import OutboxMessage, OutboxStatus
from eventapp.models.programme import (
    Event,
    EventKind,
    EventStatus,
    Room,
    Session,
    SessionKind,
    SessionStatus,
    Speaker,
    Track,
    session_speaker,
)
from eventapp.models.registration import (
    ChangeKind,
    ChoiceStatus,
    Registration,
    RegistrationChange,
    RegistrationIdempotencyKey,
    RegistrationStatus,
    Sector,
    SessionChoice,
    new_token,
)

__all__ = [
    "ENTRANCE",
    "ApiToken",
    "AuditEntry",
    "BarrierReport",
    "Base",
    "ChangeKind",
    "CheckIn",
    "ChoiceStatus",
    "ConformanceStatus",
    "Event",
    "EventKind",
    "EventStatus",
    "MailBatch",
    "MailText",
    "NoticeState",
    "OperatorSettings",
    "OutboxMessage",
    "OutboxStatus",
    "ProgrammeChange",
    "Registration",
    "RegistrationChange",
    "RegistrationIdempotencyKey",
    "RegistrationStatus",
    "Role",
    "Room",
    "ScanLog",
    "Sector",
    "Session",
    "SessionChoice",
    "SessionKind",
    "SessionStatus",
    "Speaker",
    "Track",
    "UTCDateTime",
    "User",
    "new_token",
    "session_speaker",
    "utcnow",
]
