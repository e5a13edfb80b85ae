"""Programme editing for organizers: events and sessions, with warnings and refusals."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import func
from sqlalchemy.exc import IntegrityError

from eventapp.admin import audit
from eventapp.domain import DomainError
from eventapp.extensions import db
from eventapp.models import (
    Event,
    EventStatus,
    Registration,
    Room,
    Session,
    SessionChoice,
    SessionStatus,
    Speaker,
    Track,
    User,
)
from eventapp.registration import availability
from eventapp.registration import services as registration_services


def actor_name(user: User) -> str:
    """How a registration's history names the organizer who changed it."""
    return f"admin:{user.email}"[:120]


class AdminError(DomainError):
    """An organizer action that was refused; the message says why and what to do instead."""

    code = "refused"

    def __init__(self, message: str, field: str | None = None) -> None:
        # ``field``: the form field the message belongs to, if any.
        super().__init__(message, field=field)


EVENT_FIELDS = (
    "kind",
    "slug",
    "title",
    "title_en",
    "summary",
    "summary_en",
    "description",
    "description_en",
    "timezone",
    "starts_at",
    "ends_at",
    "venue",
    "address",
    "municipality",
    "meeting_point",
    "latitude",
    "longitude",
    "capacity",
    "max_occupancy",
    "registration_opens_at",
    "registration_closes_at",
    "waitlist_enabled",
    "retention_days",
)
EVENT_LOCAL_TIMES = ("starts_at", "ends_at", "registration_opens_at", "registration_closes_at")
SESSION_FIELDS = (
    "title",
    "title_en",
    "abstract",
    "abstract_en",
    "kind",
    "track_id",
    "room_id",
    "starts_at",
    "ends_at",
    "capacity",
)


# --- time zones ------------------------------------------------------------------


def local_to_utc(value: datetime | None, timezone: str) -> datetime | None:
    """A wall-clock time entered in ``timezone`` as an aware UTC datetime."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=ZoneInfo(timezone))
    return value.astimezone(UTC)


def utc_to_local(value: datetime | None, timezone: str) -> datetime | None:
    """A stored UTC time as naive wall-clock time in ``timezone``, to prefill a form."""
    if value is None:
        return None
    return value.astimezone(ZoneInfo(timezone)).replace(tzinfo=None)


def flush_or_refuse(message: str, field: str | None = None) -> None:
    """Flush in a savepoint; a unique constraint that fires becomes a friendly refusal."""
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError as exc:
        raise AdminError(message, field) from exc


# --- events ----------------------------------------------------------------------


def _slug_taken(slug: str, exclude_id: int | None = None) -> bool:
    query = db.select(Event.id).where(Event.slug == slug)
    if exclude_id is not None:
        query = query.where(Event.id != exclude_id)
    return db.session.execute(query).first() is not None


def _apply_event(event: Event, values: dict[str, Any]) -> None:
    timezone = values.get("timezone") or event.timezone or "Europe/Berlin"
    for key in EVENT_FIELDS:
        if key not in values:
            continue
        value = values[key]
        if key in EVENT_LOCAL_TIMES:
            value = local_to_utc(value, timezone)
        setattr(event, key, value)


def _check_event_times(values: dict[str, Any]) -> None:
    if values["ends_at"] <= values["starts_at"]:
        raise AdminError(_("The event must end after it starts."), "ends_at")
    opens, closes = values.get("registration_opens_at"), values.get("registration_closes_at")
    if opens and closes and closes <= opens:
        raise AdminError(_("Registration must close after it opens."), "registration_closes_at")


def create_event(actor: User, values: dict[str, Any]) -> Event:
    """A new event in draft; times in ``values`` are wall-clock times in its time zone."""
    _check_event_times(values)
    if _slug_taken(values["slug"]):
        raise AdminError(_("Another event already uses this address (slug)."), "slug")
    event = Event(status=EventStatus.DRAFT)
    _apply_event(event, values)
    db.session.add(event)
    flush_or_refuse(_("Another event already uses this address (slug)."), "slug")
    audit.record(actor, "event.create", event, None, audit.snapshot(event))
    return event


def update_event(actor: User, event: Event, values: dict[str, Any]) -> list[str]:
    """Change an event's details (times are local to its new time zone); returns warnings."""
    _check_event_times(values)
    if _slug_taken(values["slug"], exclude_id=event.id):
        raise AdminError(_("Another event already uses this address (slug)."), "slug")
    before = audit.snapshot(event)
    old_capacity = event.capacity
    _apply_event(event, values)
    flush_or_refuse(_("Another event already uses this address (slug)."), "slug")
    audit.record(actor, "event.update", event, before, audit.snapshot(event))
    if availability.capacity_raised(old_capacity, event.capacity):
        # Raised capacity: waiting people move up now, as the registration rules say.
        registration_services.fill_from_waitlist(event, actor_name(actor))
    return event_warnings(event)


def event_warnings(event: Event) -> list[str]:
    """Things worth a second look after an edit: fewer seats than confirmed people."""
    if event.capacity is None:
        return []
    confirmed = availability.confirmed_count(event.id)
    if confirmed <= event.capacity:
        return []
    return [
        _(
            "The capacity is below the %(seats)d people already confirmed.",
            seats=confirmed,
        )
    ]


def set_event_status(actor: User, event: Event, status: EventStatus) -> None:
    """Publish, unpublish (back to draft) or cancel an event."""
    if event.status == status:
        return
    before = {"status": event.status.value}
    event.status = status
    audit.record(actor, f"event.{status.value}", event, before, {"status": status.value})


def registration_count(event: Event) -> int:
    return db.session.execute(
        db.select(func.count(Registration.id)).where(Registration.event_id == event.id)
    ).scalar_one()


def delete_event(actor: User, event: Event) -> None:
    """Delete an event nobody registered for; with registrations it must be cancelled."""
    if registration_count(event):
        raise AdminError(
            _("This event has registrations and cannot be deleted. Cancel it instead.")
        )
    audit.record(actor, "event.delete", event, audit.snapshot(event), None)
    db.session.delete(event)
    db.session.flush()


# --- sessions --------------------------------------------------------------------


def _owned(event: Event, model: type, object_id: int | None):
    """The event's track/room/speaker with that id, or a refusal for someone else's."""
    if object_id is None:
        return None
    obj = db.session.get(model, object_id)
    if obj is None or obj.event_id != event.id:
        raise AdminError(_("Please choose from this event's own tracks, rooms and speakers."))
    return obj


def _apply_session(session: Session, event: Event, values: dict[str, Any]) -> None:
    if values["ends_at"] <= values["starts_at"]:
        raise AdminError(_("The session must end after it starts."), "ends_at")
    _owned(event, Track, values.get("track_id"))
    _owned(event, Room, values.get("room_id"))
    speakers = [_owned(event, Speaker, sid) for sid in values.get("speaker_ids") or []]
    for key in SESSION_FIELDS:
        if key not in values:
            continue
        value = values[key]
        if key in ("starts_at", "ends_at"):
            value = local_to_utc(value, event.timezone)
        setattr(session, key, value)
    session.speakers = speakers


def _session_snapshot(session: Session) -> dict[str, Any]:
    return audit.snapshot(session, {"speaker_ids": sorted(s.id for s in session.speakers)})


def session_warnings(session: Session) -> list[str]:
    """Things worth a second look that do not stop saving: clashes, times, capacity."""
    event = session.event
    warnings = []
    if session.starts_at < event.starts_at or session.ends_at > event.ends_at:
        warnings.append(_("The session lies (partly) outside the event's time."))
    if session.room_id is not None and not session.is_cancelled:
        clashes = db.session.execute(
            db.select(Session.title).where(
                Session.room_id == session.room_id,
                Session.id != session.id,
                Session.status == SessionStatus.SCHEDULED,
                Session.starts_at < session.ends_at,
                Session.ends_at > session.starts_at,
            )
        ).scalars()
        for title in clashes:
            message = _("The room is double-booked: “%(title)s” runs there at the same time.")
            warnings.append(message % {"title": title})
    if session.id is not None and session.capacity is not None:
        seats = availability.session_seat_counts([session.id])[session.id]
        if seats > session.capacity:
            warnings.append(
                _(
                    "The capacity is below the %(seats)d seats already confirmed.",
                    seats=seats,
                )
            )
    return warnings


def create_session(actor: User, event: Event, values: dict[str, Any]) -> tuple[Session, list[str]]:
    """A new session of ``event`` and the warnings it raises; times are local to the event."""
    session = Session(event=event, status=SessionStatus.SCHEDULED)
    _apply_session(session, event, values)
    db.session.add(session)
    db.session.flush()
    audit.record(actor, "session.create", session, None, _session_snapshot(session))
    return session, session_warnings(session)


def update_session(actor: User, session: Session, values: dict[str, Any]) -> list[str]:
    """Change a session; a change of time, room or speakers waits for review (``notices``)."""
    before = _session_snapshot(session)
    old_capacity = session.capacity
    _apply_session(session, session.event, values)
    db.session.flush()
    audit.record(actor, "session.update", session, before, _session_snapshot(session))
    if availability.capacity_raised(old_capacity, session.capacity):
        registration_services.fill_from_waitlist(session.event, actor_name(actor))
    return session_warnings(session)


def set_session_status(actor: User, session: Session, status: SessionStatus) -> None:
    """Cancel or reinstate a session; participants are told once an organizer sends the notice."""
    if session.status == status:
        return
    before = {"status": session.status.value}
    session.status = status
    db.session.flush()
    action = "session.cancel" if status == SessionStatus.CANCELLED else "session.reinstate"
    audit.record(actor, action, session, before, {"status": status.value})


def choice_count(session: Session) -> int:
    return db.session.execute(
        db.select(func.count(SessionChoice.id)).where(SessionChoice.session_id == session.id)
    ).scalar_one()


def delete_session(actor: User, session: Session) -> None:
    """Delete a session nobody chose; with choices it must be cancelled."""
    if choice_count(session):
        raise AdminError(
            _("Participants have chosen this session, so it cannot be deleted. Cancel it instead.")
        )
    audit.record(actor, "session.delete", session, _session_snapshot(session), None)
    db.session.delete(session)
    db.session.flush()
