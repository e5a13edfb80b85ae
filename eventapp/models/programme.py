"""The programme: events, their tracks, rooms, speakers and sessions."""

from __future__ import annotations

import enum
from datetime import datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Enum,
    ForeignKey,
    Integer,
    Numeric,
    String,
    Table,
    Text,
    Time,
    UniqueConstraint,
    false,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eventapp.models.base import Base, UTCDateTime, utcnow


def _enum(cls: type[enum.Enum], name: str) -> Enum:
    """Store an enum by its value, as a portable VARCHAR with a CHECK constraint."""
    return Enum(
        cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=20,
        values_callable=lambda members: [m.value for m in members],
    )


class EventKind(enum.StrEnum):
    CONGRESS = "congress"
    SITE_VISIT = "site_visit"


class EventStatus(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    CANCELLED = "cancelled"


class SessionKind(enum.StrEnum):
    KEYNOTE = "keynote"
    TALK = "talk"
    PANEL = "panel"
    WORKSHOP = "workshop"
    BREAK = "break"


class SessionStatus(enum.StrEnum):
    SCHEDULED = "scheduled"
    CANCELLED = "cancelled"


class Event(Base):
    """A congress or a site visit that people can register for."""

    __tablename__ = "event"
    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        CheckConstraint("capacity IS NULL OR capacity > 0", name="capacity_positive"),
        CheckConstraint(
            "registration_closes_at IS NULL OR registration_opens_at IS NULL"
            " OR registration_closes_at > registration_opens_at",
            name="registration_window_order",
        ),
        # How many of its registrations wait for a seat, kept by the database itself (the
        # triggers of ``models.registration``): a newcomer learns their place on the
        # waiting list without the list being counted. Only in statements, read with the
        # event locked: an attribute loaded with the event would not stay up to date, and
        # nothing the application writes sets it.
        Column("waiting_count", Integer, nullable=False, server_default="0"),
    )
    __mapper_args__ = {"exclude_properties": ["waiting_count"]}

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[EventKind] = mapped_column(_enum(EventKind, "event_kind"))
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text, default="")
    description: Mapped[str] = mapped_column(Text, default="")
    # English content is optional: empty means readers of English see the German text.
    title_en: Mapped[str] = mapped_column(String(200), default="", server_default="")
    summary_en: Mapped[str] = mapped_column(Text, default="", server_default="")
    description_en: Mapped[str] = mapped_column(Text, default="", server_default="")
    timezone: Mapped[str] = mapped_column(String(64), default="Europe/Berlin")
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    venue: Mapped[str] = mapped_column(String(200), default="")
    address: Mapped[str] = mapped_column(String(300), default="")
    municipality: Mapped[str] = mapped_column(String(120), default="")
    meeting_point: Mapped[str] = mapped_column(String(300), default="")
    latitude: Mapped[Decimal | None] = mapped_column(Numeric(9, 6))
    longitude: Mapped[Decimal | None] = mapped_column(Numeric(9, 6))
    capacity: Mapped[int | None] = mapped_column(Integer)
    registration_opens_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    registration_closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status: Mapped[EventStatus] = mapped_column(
        _enum(EventStatus, "event_status"), default=EventStatus.DRAFT
    )
    waitlist_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    # Scheduled mail: a reminder some days before (at a wall-clock time of the event's
    # zone) and a thank-you after the event; ``mail deliver --loop`` sends them when due.
    reminder_enabled: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    reminder_days_before: Mapped[int] = mapped_column(Integer, default=2, server_default="2")
    reminder_time: Mapped[time] = mapped_column(Time, default=time(9, 0), server_default="09:00:00")
    thank_you_enabled: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    slides_url: Mapped[str] = mapped_column(String(500), default="", server_default="")
    # Personal data is anonymised this many days after the event's end, by the worker loop
    # (stated in the privacy notice); the time it happened is kept so it happens once.
    retention_days: Mapped[int] = mapped_column(Integer, default=90, server_default="90")
    personal_data_erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # How many colleagues one registrant may register with themselves in one form.
    max_group_size: Mapped[int] = mapped_column(Integer, default=10, server_default="10")
    # How many people may be inside at once (fire safety); the board warns near it.
    max_occupancy: Mapped[int | None] = mapped_column(Integer)
    # Unused since registrations' door versions are stamps (``checkin.versions``), which
    # need no counter: kept so that the schema needs no migration.
    door_version: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    tracks: Mapped[list[Track]] = relationship(
        back_populates="event", cascade="all, delete-orphan", order_by="Track.position"
    )
    rooms: Mapped[list[Room]] = relationship(
        back_populates="event", cascade="all, delete-orphan", order_by="Room.position"
    )
    speakers: Mapped[list[Speaker]] = relationship(
        back_populates="event", cascade="all, delete-orphan", order_by="Speaker.name"
    )
    sessions: Mapped[list[Session]] = relationship(
        back_populates="event",
        cascade="all, delete-orphan",
        order_by="(Session.starts_at, Session.id)",
    )

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def local(self, moment: datetime) -> datetime:
        """``moment`` in the event's time zone, for display and export."""
        return moment.astimezone(self.tz)

    def __repr__(self) -> str:
        return f"<Event {self.slug}>"


class Track(Base):
    """A programme track; the congress uses the alliance's four fields of action."""

    __tablename__ = "track"
    __table_args__ = (UniqueConstraint("event_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str] = mapped_column(String(120), default="", server_default="")
    colour: Mapped[str] = mapped_column(String(7), default="#33658a")
    position: Mapped[int] = mapped_column(Integer, default=0)

    event: Mapped[Event] = relationship(back_populates="tracks")


class Room(Base):
    """A room at the event's venue."""

    __tablename__ = "room"
    __table_args__ = (
        UniqueConstraint("event_id", "name"),
        CheckConstraint("capacity IS NULL OR capacity > 0", name="capacity_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str] = mapped_column(String(120), default="", server_default="")
    capacity: Mapped[int | None] = mapped_column(Integer)
    position: Mapped[int] = mapped_column(Integer, default=0)
    # How many people may be in the room at once (fire safety); the board warns near it.
    max_occupancy: Mapped[int | None] = mapped_column(Integer)

    event: Mapped[Event] = relationship(back_populates="rooms")


session_speaker = Table(
    "session_speaker",
    Base.metadata,
    Column("session_id", ForeignKey("session.id", ondelete="CASCADE"), primary_key=True),
    Column("speaker_id", ForeignKey("speaker.id", ondelete="CASCADE"), primary_key=True),
)


class Speaker(Base):
    """A speaker or moderator, described by role and organisation."""

    __tablename__ = "speaker"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(160))
    organisation: Mapped[str] = mapped_column(String(200), default="")
    role_title: Mapped[str] = mapped_column(String(200), default="")
    role_title_en: Mapped[str] = mapped_column(String(200), default="", server_default="")
    bio: Mapped[str] = mapped_column(Text, default="")
    bio_en: Mapped[str] = mapped_column(Text, default="", server_default="")

    event: Mapped[Event] = relationship(back_populates="speakers")
    sessions: Mapped[list[Session]] = relationship(
        secondary=session_speaker, back_populates="speakers", order_by="Session.starts_at"
    )


class Session(Base):
    """A slot of the programme: keynote, talk, panel, workshop or break."""

    __tablename__ = "session"
    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        CheckConstraint("capacity IS NULL OR capacity > 0", name="capacity_positive"),
        CheckConstraint("sequence >= 0", name="sequence_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    title_en: Mapped[str] = mapped_column(String(200), default="", server_default="")
    abstract: Mapped[str] = mapped_column(Text, default="")
    abstract_en: Mapped[str] = mapped_column(Text, default="", server_default="")
    kind: Mapped[SessionKind] = mapped_column(_enum(SessionKind, "session_kind"))
    track_id: Mapped[int | None] = mapped_column(
        ForeignKey("track.id", ondelete="SET NULL"), index=True
    )
    room_id: Mapped[int | None] = mapped_column(ForeignKey("room.id", ondelete="SET NULL"))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    capacity: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[SessionStatus] = mapped_column(
        _enum(SessionStatus, "session_status"), default=SessionStatus.SCHEDULED
    )
    # Calendar clients compare SEQUENCE to tell a revised entry from a stale one;
    # ``eventapp.feeds.revisions`` raises it.
    sequence: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    event: Mapped[Event] = relationship(back_populates="sessions")
    track: Mapped[Track | None] = relationship()
    room: Mapped[Room | None] = relationship()
    speakers: Mapped[list[Speaker]] = relationship(
        secondary=session_speaker, back_populates="sessions", order_by="Speaker.name"
    )

    @property
    def is_cancelled(self) -> bool:
        return self.status == SessionStatus.CANCELLED

    @property
    def needs_choice(self) -> bool:
        """Workshops are chosen at registration; everything else is open to all."""
        return self.kind == SessionKind.WORKSHOP

    def overlaps(self, other: Session) -> bool:
        return self.starts_at < other.ends_at and other.starts_at < self.ends_at

    def __repr__(self) -> str:
        return f"<Session {self.id} {self.title!r}>"
