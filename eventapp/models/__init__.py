"""All models, importable from one place (Alembic autogenerate reads this)."""

from eventapp.models.accounts import ApiToken, PasswordReset, Role, User, staff_event
from eventapp.models.audit import AuditEntry
from eventapp.models.base import Base, UTCDateTime, utcnow
from eventapp.models.checkin import ENTRANCE, CheckIn, ScanLog
from eventapp.models.jobs import Job, JobStatus
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
from eventapp.models.questions import Question, QuestionAnswer, QuestionKind
from eventapp.models.registration import (
    ChangeKind,
    ChoiceStatus,
    EmailChange,
    GroupMembership,
    Registration,
    RegistrationChange,
    RegistrationIdempotencyKey,
    RegistrationSource,
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
    "EmailChange",
    "Event",
    "EventKind",
    "EventStatus",
    "GroupMembership",
    "Job",
    "JobStatus",
    "MailBatch",
    "MailText",
    "NoticeState",
    "OperatorSettings",
    "OutboxMessage",
    "OutboxStatus",
    "PasswordReset",
    "ProgrammeChange",
    "Question",
    "QuestionAnswer",
    "QuestionKind",
    "Registration",
    "RegistrationChange",
    "RegistrationIdempotencyKey",
    "RegistrationSource",
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
    "staff_event",
    "utcnow",
]
