"""Registrations for an event, their workshop choices and their history."""

from __future__ import annotations

import enum
import secrets
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy import event as sa_event
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

from eventapp.models.base import Base, UTCDateTime, utcnow
from eventapp.models.programme import Event, Session, _enum


def new_token() -> str:
    """A random, URL-safe token of 192 bits: unguessable and not derived from any id."""
    return secrets.token_urlsafe(24)


class RegistrationStatus(enum.StrEnum):
    CONFIRMED = "confirmed"
    WAITLISTED = "waitlisted"
    CANCELLED = "cancelled"


class ChoiceStatus(enum.StrEnum):
    CONFIRMED = "confirmed"
    WAITLISTED = "waitlisted"


class ChangeKind(enum.StrEnum):
    """What happened to a registration; the writer records it, the mail builder reads it.

    The values are what ``registration_change.kind`` has always stored.
    """

    REGISTERED = "registered"
    CANCELLED = "cancelled"
    PROMOTED = "promoted"
    SESSION_PROMOTED = "session_promoted"
    WORKSHOPS_CHANGED = "workshops_changed"
    ANONYMIZED = "anonymized"
    # The person stopped (or again allowed) bulk mail, reminders and thank-you mail.
    ANNOUNCEMENTS_STOPPED = "announcements_stopped"
    ANNOUNCEMENTS_RESUMED = "announcements_resumed"
    # The person's own data was corrected (by them or the office); detail names the fields.
    DETAILS_CHANGED = "details_changed"
    # A new e-mail address was asked for (a confirmation link went to it), then confirmed.
    EMAIL_CHANGE_REQUESTED = "email_change_requested"
    EMAIL_CHANGED = "email_changed"
    # The manage link was mailed again on request ("send me my link again").
    MANAGE_LINK_SENT = "manage_link_sent"
    # The answers to the organizer's own questions were changed.
    ANSWERS_CHANGED = "answers_changed"


class ChangeKindType(TypeDecorator):
    """``ChangeKind`` in the plain VARCHAR(40) column it always had (no CHECK, no migration)."""

    impl = String(40)
    cache_ok = True

    def process_bind_param(self, value: ChangeKind | str | None, dialect: Dialect) -> str | None:
        # A value outside the enum is refused here, before it reaches the history.
        return None if value is None else ChangeKind(value).value

    def process_result_value(self, value: str | None, dialect: Dialect) -> ChangeKind | None:
        return None if value is None else ChangeKind(value)


class RegistrationSource(enum.StrEnum):
    """How a registration came in; "" for those made before this was recorded."""

    FORM = "form"
    API = "api"
    # A colleague registered by a group's registrant (form or API).
    GROUP = "group"
    # Entered by the office, e.g. for someone who phoned in.
    OFFICE = "office"
    # Registered at the door by check-in staff and checked in at once.
    WALK_IN = "walk_in"


class Sector(enum.StrEnum):
    MUNICIPALITY = "municipality"
    HOUSING = "housing"
    PLANNING = "planning"
    SOCIAL_WORK = "social_work"
    RESEARCH = "research"
    POLITICS = "politics"
    OTHER = "other"


# The longest value of each participant field: the columns below, the registration form,
# the service's check and the API's request model all read it from here.
APPLICANT_MAX_LENGTHS: dict[str, int] = {
    "academic_title": 40,
    "first_name": 100,
    "last_name": 100,
    "email": 254,
    "organisation": 200,
    "municipality": 120,
    # A Text column: the limit is the form's and the API's, not the database's.
    "accessibility_needs": 1000,
}


class Registration(Base):
    """One person's registration for one event."""

    __tablename__ = "registration"
    __table_args__ = (
        # One active registration per person and event; cancelled ones may repeat.
        # Group members and walk-ins may come without an address ("" here): they repeat.
        Index(
            "uq_registration_active_email",
            "event_id",
            "email_normalized",
            unique=True,
            sqlite_where=text("status != 'cancelled' AND email_normalized != ''"),
            postgresql_where=text("status != 'cancelled' AND email_normalized != ''"),
        ),
        Index("ix_registration_event_status_created", "event_id", "status", "created_at"),
        # An index, not a constraint: SQLite adds it without copying the table.
        Index("uq_registration_certificate_code", "certificate_code", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"))
    status: Mapped[RegistrationStatus] = mapped_column(
        _enum(RegistrationStatus, "registration_status")
    )
    # How mails and badges address the person: "ms", "mr" or "" (no salutation, the
    # neutral "Guten Tag Vorname Nachname"), and a title such as "Dr." or "Prof. Dr.".
    salutation: Mapped[str] = mapped_column(String(10), default="", server_default="")
    academic_title: Mapped[str] = mapped_column(
        String(APPLICANT_MAX_LENGTHS["academic_title"]), default="", server_default=""
    )
    first_name: Mapped[str] = mapped_column(String(APPLICANT_MAX_LENGTHS["first_name"]))
    last_name: Mapped[str] = mapped_column(String(APPLICANT_MAX_LENGTHS["last_name"]))
    email: Mapped[str] = mapped_column(String(APPLICANT_MAX_LENGTHS["email"]))
    email_normalized: Mapped[str] = mapped_column(String(APPLICANT_MAX_LENGTHS["email"]))
    organisation: Mapped[str] = mapped_column(
        String(APPLICANT_MAX_LENGTHS["organisation"]), default=""
    )
    sector: Mapped[Sector | None] = mapped_column(_enum(Sector, "sector"))
    municipality: Mapped[str] = mapped_column(
        String(APPLICANT_MAX_LENGTHS["municipality"]), default=""
    )
    accessibility_needs: Mapped[str] = mapped_column(Text, default="")
    dietary_preference: Mapped[str] = mapped_column(String(40), default="")
    photo_consent: Mapped[bool] = mapped_column(Boolean, default=False)
    # When the person withdrew an earlier consent to photos (the consent itself is then off).
    photo_consent_withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    privacy_consent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    privacy_notice_version: Mapped[str] = mapped_column(String(20), default="")
    locale: Mapped[str] = mapped_column(String(5), default="de")
    manage_token: Mapped[str] = mapped_column(String(64), unique=True, default=new_token)
    ticket_code: Mapped[str] = mapped_column(String(64), unique=True, default=new_token)
    # Separate from the manage token: a feed URL is handed to calendar services.
    calendar_token: Mapped[str] = mapped_column(String(64), unique=True, default=new_token)
    # The random key of the form that created it: a resubmitted form finds its registration
    # again, while someone who merely knows the email address does not.
    submission_key: Mapped[str | None] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(
        String(20), default=RegistrationSource.FORM.value, server_default=""
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    promoted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    checked_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    anonymized_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Set when the person stopped announcements (bulk mail, reminders) for this event.
    announcements_stopped_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The organizer's short note for door staff (e.g. "reserved wheelchair place").
    attention_note: Mapped[str] = mapped_column(String(300), default="", server_default="")
    # Stamped (microseconds, see ``checkin.versions``) whenever what an offline scanner
    # needs to know about this registration changes: the ``since`` of the door data's delta.
    door_version: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    # The verification code printed on the attendance certificate (made at first download).
    certificate_code: Mapped[str | None] = mapped_column(String(64))

    # Not stored: the place on the waiting list the registration took when it was made
    # (``registration.services.register``), for the answer to that request only: it
    # need not count the list. Later on, ``waitlist_position`` tells the place.
    arrival_position = None

    event: Mapped[Event] = relationship()
    choices: Mapped[list[SessionChoice]] = relationship(
        back_populates="registration", cascade="all, delete-orphan"
    )
    changes: Mapped[list[RegistrationChange]] = relationship(
        back_populates="registration",
        cascade="all, delete-orphan",
        order_by="RegistrationChange.id",
    )
    # A group: the registrant's members in the order they were entered, and for a member
    # the registrant. Written through ``GroupMembership``; read here.
    group_members: Mapped[list[Registration]] = relationship(
        secondary="group_membership",
        primaryjoin="Registration.id == GroupMembership.leader_id",
        secondaryjoin="Registration.id == GroupMembership.member_id",
        order_by="GroupMembership.position",
        viewonly=True,
    )
    group_leader: Mapped[Registration | None] = relationship(
        secondary="group_membership",
        primaryjoin="Registration.id == GroupMembership.member_id",
        secondaryjoin="Registration.id == GroupMembership.leader_id",
        uselist=False,
        viewonly=True,
    )

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def is_active(self) -> bool:
        return self.status != RegistrationStatus.CANCELLED

    def __repr__(self) -> str:
        return f"<Registration {self.id} {self.status}>"


# ``event.waiting_count``, kept by the database on every change of a registration's
# status or event, whatever writes it (the services, the back office, a data fix by hand).
# SQLite drops a table's triggers with it: a migration that copies the registration table
# (a batch operation) must create them again (``create_waiting_count_triggers``).
# 'waitlisted' is ``RegistrationStatus.WAITLISTED``.
WAITING_COUNT_TRIGGERS = {
    "postgresql": (
        """CREATE OR REPLACE FUNCTION registration_waiting_count() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP <> 'INSERT' THEN
                IF OLD.status = 'waitlisted' THEN
                    UPDATE event SET waiting_count = waiting_count - 1 WHERE id = OLD.event_id;
                END IF;
            END IF;
            IF TG_OP <> 'DELETE' THEN
                IF NEW.status = 'waitlisted' THEN
                    UPDATE event SET waiting_count = waiting_count + 1 WHERE id = NEW.event_id;
                END IF;
            END IF;
            RETURN NULL;
        END
        $$""",
        """CREATE TRIGGER registration_waiting_count_insert AFTER INSERT ON registration
        FOR EACH ROW WHEN (NEW.status = 'waitlisted')
        EXECUTE FUNCTION registration_waiting_count()""",
        """CREATE TRIGGER registration_waiting_count_update
        AFTER UPDATE OF status, event_id ON registration FOR EACH ROW
        WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.event_id <> NEW.event_id)
        EXECUTE FUNCTION registration_waiting_count()""",
        """CREATE TRIGGER registration_waiting_count_delete AFTER DELETE ON registration
        FOR EACH ROW WHEN (OLD.status = 'waitlisted')
        EXECUTE FUNCTION registration_waiting_count()""",
    ),
    "sqlite": (
        """CREATE TRIGGER registration_waiting_count_insert AFTER INSERT ON registration
        FOR EACH ROW WHEN NEW.status = 'waitlisted'
        BEGIN
            UPDATE event SET waiting_count = waiting_count + 1 WHERE id = NEW.event_id;
        END""",
        """CREATE TRIGGER registration_waiting_count_update
        AFTER UPDATE OF status, event_id ON registration FOR EACH ROW
        WHEN OLD.status IS NOT NEW.status OR OLD.event_id <> NEW.event_id
        BEGIN
            UPDATE event SET waiting_count = waiting_count - 1
                WHERE id = OLD.event_id AND OLD.status = 'waitlisted';
            UPDATE event SET waiting_count = waiting_count + 1
                WHERE id = NEW.event_id AND NEW.status = 'waitlisted';
        END""",
        """CREATE TRIGGER registration_waiting_count_delete AFTER DELETE ON registration
        FOR EACH ROW WHEN OLD.status = 'waitlisted'
        BEGIN
            UPDATE event SET waiting_count = waiting_count - 1 WHERE id = OLD.event_id;
        END""",
    ),
}


def create_waiting_count_triggers(connection: Any) -> None:
    """The triggers that keep ``event.waiting_count`` (on ``create_all`` and in the
    migration that added the column)."""
    for statement in WAITING_COUNT_TRIGGERS.get(connection.dialect.name, ()):
        connection.exec_driver_sql(statement)


sa_event.listen(
    Registration.__table__,
    "after_create",
    lambda _table, connection, **_kw: create_waiting_count_triggers(connection),
)


class SessionChoice(Base):
    """A workshop a registration chose, with a seat or a place on its waiting list."""

    __tablename__ = "session_choice"
    __table_args__ = (
        UniqueConstraint("registration_id", "session_id"),
        Index("ix_session_choice_session_status_created", "session_id", "status", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(
        ForeignKey("registration.id", ondelete="CASCADE"), index=True
    )
    session_id: Mapped[int] = mapped_column(ForeignKey("session.id", ondelete="CASCADE"))
    status: Mapped[ChoiceStatus] = mapped_column(_enum(ChoiceStatus, "choice_status"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    promoted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    registration: Mapped[Registration] = relationship(back_populates="choices")
    session: Mapped[Session] = relationship()


class RegistrationChange(Base):
    """A domain event in a registration's life; mails and the history are made from these."""

    __tablename__ = "registration_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(
        ForeignKey("registration.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[ChangeKind] = mapped_column(ChangeKindType())
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    actor: Mapped[str] = mapped_column(String(120), default="participant")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    registration: Mapped[Registration] = relationship(back_populates="changes")


class RegistrationIdempotencyKey(Base):
    """An API client's ``Idempotency-Key`` for an event, and the registration it created.

    Only a request that created a registration keeps its key: a refused one changed
    nothing, so its retry is decided afresh. The unique (event, key) pair is the truth
    when two requests with one key arrive at once.
    """

    __tablename__ = "registration_idempotency_key"
    __table_args__ = (UniqueConstraint("event_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(200))
    # SHA-256 of the request body as canonical JSON: the same key with another body is refused.
    fingerprint: Mapped[str] = mapped_column(String(64))
    # Empty only inside the transaction that claims the key, before the registration exists.
    registration_id: Mapped[int | None] = mapped_column(
        ForeignKey("registration.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    registration: Mapped[Registration | None] = relationship()


class GroupMembership(Base):
    """A colleague registered by a group's registrant: each is a registration of its own."""

    __tablename__ = "group_membership"

    member_id: Mapped[int] = mapped_column(
        ForeignKey("registration.id", ondelete="CASCADE"), primary_key=True
    )
    leader_id: Mapped[int] = mapped_column(
        ForeignKey("registration.id", ondelete="CASCADE"), index=True
    )
    # The order the registrant entered the members in, from 1; seats were given in it.
    position: Mapped[int] = mapped_column(Integer)

    member: Mapped[Registration] = relationship(foreign_keys=[member_id])
    leader: Mapped[Registration] = relationship(foreign_keys=[leader_id])


class EmailChange(Base):
    """A new address a participant asked for; it replaces the old one once confirmed.

    Only the SHA-256 hash of the link's token is stored; the link works once and expires.
    """

    __tablename__ = "email_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(
        ForeignKey("registration.id", ondelete="CASCADE"), index=True
    )
    new_email: Mapped[str] = mapped_column(String(APPLICANT_MAX_LENGTHS["email"]))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    registration: Mapped[Registration] = relationship()


__all__ = [
    "ChangeKind",
    "ChoiceStatus",
    "EmailChange",
    "GroupMembership",
    "Registration",
    "RegistrationChange",
    "RegistrationIdempotencyKey",
    "RegistrationSource",
    "RegistrationStatus",
    "Sector",
    "SessionChoice",
    "new_token",
]
