"""The outbox listeners: mail rows join the same transaction as the change that causes them.

``register`` connects them to Flask-SQLAlchemy's session; ``create_app`` calls it, and
importing this module connects nothing. In the flush that writes a domain event
(a new ``RegistrationChange``) or a revised or removed programme session, they add
the ``OutboxMessage`` rows it calls for, so the mail exists exactly when the change
was committed and vanishes with it on a rollback. The registration services only
record what happened; they do not know about mail. After a commit that wrote
messages, the inline sender may start (``MAIL_SEND_INLINE``).

Why a flush listener and not a signal sent by each service: the programme's
revisions are edits of plain attributes (in the back office, the demo loader and
the CLI), and a listener sees every one of them in the same flush without each
writer having to remember to announce it.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from flask import current_app, has_app_context
from sqlalchemy import event, inspect, select, update
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import scoped_session

from eventapp.feeds.revisions import REVISION_FIELDS
from eventapp.mail.inline import start_inline_delivery
from eventapp.mail.outbox import NO_INLINE, WRITTEN, MessageKind, message_kind_for, new_message
from eventapp.models import (
    ChangeKind,
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

log = logging.getLogger(__name__)

# Key in ``Session.info``: programme messages already written in this transaction.
_PROGRAMME = "mail.programme_changes"


def register(session: scoped_session) -> None:
    """Connect the outbox listeners to ``session`` (Flask-SQLAlchemy's ``db.session``).

    Listeners attach to the session's own class, which every app built by ``create_app``
    shares, so a second call finds them connected and adds nothing.
    """
    for name, listener in (
        ("before_flush", write_outbox),
        ("after_commit", _after_commit),
        ("after_rollback", _after_rollback),
    ):
        if not event.contains(session, name, listener):
            event.listen(session, name, listener)


def write_outbox(session: OrmSession, _context: Any, _instances: Any) -> None:
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
            session.info[WRITTEN] = True


def _message_for_change(session: OrmSession, change: RegistrationChange) -> None:
    registration = change.registration
    if registration is None and change.registration_id is not None:
        registration = session.get(Registration, change.registration_id)
    if registration is None:
        return
    if change.kind == ChangeKind.ANONYMIZED:
        _forget(session, registration)
        return
    kind = message_kind_for(change)
    if kind is None or registration.anonymized_at is not None:
        return
    payload = {"change": str(change.kind), "detail": dict(change.detail or {})}
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


def _after_commit(session: OrmSession) -> None:
    written = session.info.pop(WRITTEN, False)
    no_inline = session.info.pop(NO_INLINE, False)
    session.info.pop(_PROGRAMME, None)
    if not written or no_inline or not has_app_context():
        return
    try:
        app = current_app._get_current_object()  # type: ignore[attr-defined]
        if app.config.get("MAIL_SEND_INLINE"):
            start_inline_delivery(app)
    except Exception:  # the request that wrote the mail must never fail because of it
        log.exception("could not start inline mail delivery")


def _after_rollback(session: OrmSession) -> None:
    for key in (WRITTEN, NO_INLINE, _PROGRAMME):
        session.info.pop(key, None)
