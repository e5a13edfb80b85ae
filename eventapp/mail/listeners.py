"""The outbox listeners: mail rows join the same transaction as the change that causes them.

``register`` connects them to Flask-SQLAlchemy's session; ``create_app`` calls it, and
importing this module connects nothing. In the flush that writes a domain event
(a new ``RegistrationChange``), they add the ``OutboxMessage`` rows it calls for, so
the mail exists exactly when the change was committed and vanishes with it on a
rollback. The registration services only record what happened; they do not know
about mail. After a commit that wrote messages, the inline sender may start
(``MAIL_SEND_INLINE``).

Programme edits mail nobody by themselves: ``eventapp.notices`` records them for an
organizer's review, and the digest it sends comes through ``eventapp.notices.services``.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import current_app, has_app_context
from sqlalchemy import event, update
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import scoped_session

from eventapp.mail.inline import start_inline_delivery
from eventapp.mail.outbox import NO_INLINE, WRITTEN, message_for_change
from eventapp.models import (
    ChangeKind,
    OutboxMessage,
    OutboxStatus,
    Registration,
    RegistrationChange,
)

log = logging.getLogger(__name__)


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
    message = message_for_change(change, registration)
    if message is not None:
        session.add(message)


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


def _after_commit(session: OrmSession) -> None:
    written = session.info.pop(WRITTEN, False)
    no_inline = session.info.pop(NO_INLINE, False)
    if not written or no_inline or not has_app_context():
        return
    try:
        app = current_app._get_current_object()  # type: ignore[attr-defined]
        if app.config.get("MAIL_SEND_INLINE"):
            start_inline_delivery(app)
    except Exception:  # the request that wrote the mail must never fail because of it
        log.exception("could not start inline mail delivery")


def _after_rollback(session: OrmSession) -> None:
    for key in (WRITTEN, NO_INLINE):
        session.info.pop(key, None)
