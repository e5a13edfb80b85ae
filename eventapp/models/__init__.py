"""All models, importable from one place (Alembic autogenerate reads this)."""

from eventapp.models.accounts import ApiToken, Role, User
from eventapp.models.audit import AuditEntry
from eventapp.models.base import Base, UTCDateTime, utcnow
from eventapp.models.checkin import ENTRANCE, CheckIn, ScanLog
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
    "Base",
    "ChangeKind",
    "CheckIn",
    "ChoiceStatus",
    "Event",
    "EventKind",
    "EventStatus",
    "OutboxMessage",
    "OutboxStatus",
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
