"""Writing the outbox: mail rows join the same transaction as the change that causes them.

Nothing here sends anything. Session listeners turn new ``RegistrationChange``
rows and revised programme sessions into ``OutboxMessage`` rows inside the flush
that writes the change, so the mail exists exactly when the change was committed
(and vanishes with it on a rollback). The registration code does not know about
mail at all. After a commit that wrote messages, delivery may start in a
background thread (``MAIL_SEND_INLINE``); see ``eventapp.mail.delivery``.
"""

from __future__ import annotations

import enum
import logging
import threading
from datetime import datetime
from typing import Any

from flask import Flask, current_app, has_app_context
from sqlalchemy import event, inspect, select, update
from sqlalchemy.orm import Session as OrmSession

from eventapp.models import (
    ChoiceStatus,
    OutboxMessage,
    OutboxStatus,
    Registration,
    RegistrationChange,
    RegistrationStatus,
    Room,
    Session,
    SessionChoice,
    SessionKind,
)
from eventapp.models.base import utcnow
from eventapp.models.programme import REVISION_FIELDS

log = logging.getLogger(__name__)

# Keys in ``Session.info``; they live for one transaction.
_WRITTEN = "mail.outbox_written"
_NO_INLINE = "mail.no_inline"
_PROGRAMME = "mail.programme_changes"


class MessageKind(enum.StrEnum):
    """What a message is about; each kind has templates ``mail/<kind>.html|txt``."""

    REGISTRATION_CONFIRMED = "registration_confirmed"
    WAITLISTED = "waitlisted"
    PROMOTED = "promoted"
    CANCELLED = "cancelled"
    WORKSHOPS_CHANGED = "workshops_changed"
    PROGRAMME_CHANGED = "programme_changed"
    REMINDER = "reminder"
    ANNOUNCEMENT = "announcement"


def message_kind_for(change: RegistrationChange) -> MessageKind | None:
    """The mail a registration change calls for, or None (e.g. ``anonymized``)."""
    detail = change.detail or {}
    match change.kind:
        case "registered":
            if detail.get("status") == RegistrationStatus.WAITLISTED:
                return MessageKind.WAITLISTED
            return MessageKind.REGISTRATION_CONFIRMED
        case "waitlisted":
            return MessageKind.WAITLISTED
        case "promoted":
            return MessageKind.PROMOTED
        case "cancelled":
            return MessageKind.CANCELLED
        case "workshops_changed" | "session_promoted":
            return MessageKind.WORKSHOPS_CHANGED
    return None


def mail_locale(registration: Registration) -> str:
    """The participant's language if the service speaks it, else the default (German)."""
    languages = current_app.config["LANGUAGES"] if has_app_context() else ("de", "en")
    return registration.locale if registration.locale in languages else languages[0]


def new_message(
    kind: str,
    registration: Registration,
    payload: dict[str, Any] | None = None,
    dedupe_key: str | None = None,
) -> OutboxMessage:
    """An unsaved outbox row for ``registration``; rendering happens at send time."""
    return OutboxMessage(
        kind=str(kind),
        recipient=registration.email,
        locale=mail_locale(registration),
        registration=registration,
        payload=payload or {},
        dedupe_key=dedupe_key,
        status=OutboxStatus.PENDING,
        attempts=0,
        last_error="",
        next_attempt_at=utcnow(),
    )


def note_ready(session: OrmSession) -> None:
    """Mark this transaction as having made messages due (for the background sender)."""
    session.info[_WRITTEN] = True


def skip_inline_delivery(session: OrmSession) -> None:
    """Do not start the background sender after this transaction (the caller sends)."""
    session.info[_NO_INLINE] = True


# --- the listeners -------------------------------------------------------------


@event.listens_for(OrmSession, "before_flush")
def _write_outbox(session: OrmSession, _context, _instances) -> None:
    """Add outbox rows for the changes this flush writes."""
    with session.no_autoflush:
        for obj in list(session.new):
            if isinstance(obj, RegistrationChange):
                _message_for_change(session, obj)
        for obj in list(session.dirty):
            if isinstance(obj, Session) and _revised(obj):
                _messages_for_programme_change(session, obj, removed=False)
        for obj in list(session.deleted):
            if isinstance(obj, Session):
                _messages_for_programme_change(session, obj, removed=True)
        if any(isinstance(obj, OutboxMessage) for obj in session.new):
            session.info[_WRITTEN] = True


def _message_for_change(session: OrmSession, change: RegistrationChange) -> None:
    registration = change.registration
    if registration is None and change.registration_id is not None:
        registration = session.get(Registration, change.registration_id)
    if registration is None:
        return
    if change.kind == "anonymized":
        _forget(session, registration)
        return
    kind = message_kind_for(change)
    if kind is None or registration.anonymized_at is not None:
        return
    payload = {"change": change.kind, "detail": dict(change.detail or {})}
    session.add(new_message(kind, registration, payload))


def _forget(session: OrmSession, registration: Registration) -> None:
    """Drop personal data from the outbox rows of an anonymized registration."""
    for obj in session.new:
        if isinstance(obj, OutboxMessage) and obj.registration is registration:
            obj.status = OutboxStatus.DISCARDED
            obj.recipient = ""
            obj.payload = {}
    if registration.id is None:
        return
    table = OutboxMessage.__table__
    session.execute(
        update(table)
        .where(table.c.registration_id == registration.id, table.c.status == "pending")
        .values(status=OutboxStatus.DISCARDED.value, claimed_by=None, claimed_until=None)
    )
    session.execute(
        update(table)
        .where(table.c.registration_id == registration.id)
        .values(recipient="", payload={})
    )


# ``room`` too: assigning the relationship changes ``room_id`` only during the flush.
_WATCHED = (*REVISION_FIELDS, "room")


def _revised(obj: Session) -> bool:
    state = inspect(obj)
    return any(state.attrs[name].history.has_changes() for name in _WATCHED)


def _snapshot(session: OrmSession, obj: Session, *, before: bool) -> dict[str, Any]:
    """Title, time, room and status of a session, before or after this flush."""
    state = inspect(obj)

    def value(name: str) -> Any:
        history = state.attrs[name].history
        if before and history.deleted:
            return history.deleted[0]
        if not before and history.added:
            return history.added[0]
        return getattr(obj, name)

    moved = state.attrs["room"].history
    if not before and moved.has_changes():
        room = moved.added[0] if moved.added else None
    else:
        # Before the flush syncs it, room_id still names the old room.
        room_id = value("room_id")
        room = session.get(Room, room_id) if room_id is not None else None
    starts_at: datetime = value("starts_at")
    ends_at: datetime = value("ends_at")
    return {
        "title": value("title"),
        "starts_at": starts_at.isoformat() if starts_at else None,
        "ends_at": ends_at.isoformat() if ends_at else None,
        "room": room.name if room is not None else "",
        "status": str(value("status")),
    }


def programme_recipients(session: OrmSession, obj: Session) -> list[Registration]:
    """Who hears of a change to ``obj``.

    Workshops: everyone who chose it (seat or waiting list) with an active
    registration. Breaks: nobody. Every other session (keynote, talk, panel)
    is open to all, so every confirmed participant of the event.
    """
    if obj.kind == SessionKind.BREAK or obj.id is None:
        return []
    if obj.kind == SessionKind.WORKSHOP:
        stmt = (
            select(Registration)
            .join(SessionChoice, SessionChoice.registration_id == Registration.id)
            .where(
                SessionChoice.session_id == obj.id,
                SessionChoice.status.in_([ChoiceStatus.CONFIRMED, ChoiceStatus.WAITLISTED]),
                Registration.status != RegistrationStatus.CANCELLED,
            )
        )
    else:
        stmt = select(Registration).where(
            Registration.event_id == obj.event_id,
            Registration.status == RegistrationStatus.CONFIRMED,
        )
    stmt = stmt.where(Registration.anonymized_at.is_(None)).order_by(Registration.id)
    return list(session.execute(stmt).scalars())


def _messages_for_programme_change(session: OrmSession, obj: Session, *, removed: bool) -> None:
    if obj.id is None:
        return
    # One message per participant and session per transaction, even when the
    # change reaches the database in several flushes.
    pending: dict[int, dict[str, Any]] = session.info.setdefault(_PROGRAMME, {})
    after = _snapshot(session, obj, before=False)
    if removed:
        after["status"] = "removed"
    if obj.id in pending:
        entry = pending[obj.id]
        for message in entry["messages"]:
            message.payload = {**message.payload, "new": after}
        return
    before = _snapshot(session, obj, before=True)
    ends_at = obj.ends_at
    if ends_at is not None and ends_at < utcnow():
        return
    payload = {"session_id": obj.id, "event_id": obj.event_id, "old": before, "new": after}
    messages = []
    for registration in programme_recipients(session, obj):
        message = new_message(MessageKind.PROGRAMME_CHANGED, registration, dict(payload))
        session.add(message)
        messages.append(message)
    pending[obj.id] = {"messages": messages}


@event.listens_for(OrmSession, "after_commit")
def _after_commit(session: OrmSession) -> None:
    written = session.info.pop(_WRITTEN, False)
    no_inline = session.info.pop(_NO_INLINE, False)
    session.info.pop(_PROGRAMME, None)
    if not written or no_inline or not has_app_context():
        return
    try:
        app = current_app._get_current_object()  # type: ignore[attr-defined]
        if app.config.get("MAIL_SEND_INLINE"):
            start_inline_delivery(app)
    except Exception:  # the request that wrote the mail must never fail because of it
        log.exception("could not start inline mail delivery")


@event.listens_for(OrmSession, "after_rollback")
def _after_rollback(session: OrmSession) -> None:
    for key in (_WRITTEN, _NO_INLINE, _PROGRAMME):
        session.info.pop(key, None)


# --- inline delivery -----------------------------------------------------------


class _InlineSender:
    """At most one background sender per app and process; a new commit asks it for one more pass."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.thread: threading.Thread | None = None
        self.again = False

    def request(self, app: Flask) -> None:
        with self.lock:
            self.again = True
            if self.thread is not None and self.thread.is_alive():
                return
            self.thread = threading.Thread(
                target=self._run, args=(app,), name="mail-inline", daemon=True
            )
            self.thread.start()

    def _run(self, app: Flask) -> None:
        from eventapp.mail.delivery import deliver_due

        while True:
            with self.lock:
                if not self.again:
                    self.thread = None
                    return
                self.again = False
            try:
                with app.app_context():
                    deliver_due()
            except Exception:
                log.exception("inline mail delivery failed; the outbox keeps the messages")

    def join(self, timeout: float) -> bool:
        with self.lock:
            thread = self.thread
        if thread is not None:
            thread.join(timeout)
            return not thread.is_alive()
        return True


_senders_lock = threading.Lock()


def _inline_sender(app: Flask) -> _InlineSender:
    with _senders_lock:
        return app.extensions.setdefault("mail_inline_sender", _InlineSender())


def start_inline_delivery(app: Flask) -> None:
    """Deliver due messages in a daemon thread; returns at once."""
    _inline_sender(app).request(app)


def wait_for_inline_delivery(app: Flask, timeout: float = 30.0) -> bool:
    """Wait until the background sender is idle (tests, orderly shutdown)."""
    return _inline_sender(app).join(timeout)
