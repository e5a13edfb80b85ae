"""Registrations whose address does not take mail: the last mail to it failed for good.

"Last" means the newest message to the registration's current address that was either
sent or failed (pending ones are still undecided); test sends to organizers and mail to a
former address do not count. So the mark goes away by itself once the address is
corrected, or once a later mail to it is delivered.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import aliased

from eventapp.extensions import db
from eventapp.models import Event, OutboxMessage, OutboxStatus, Registration

_failed = aliased(OutboxMessage, name="failed_mail")
_later = aliased(OutboxMessage, name="later_mail")


def last_mail_failed() -> ColumnElement[bool]:
    """The condition on ``Registration`` (for queries and the list's filter "mail failed"):
    a failed mail to its current address, and none sent to it after that."""
    delivered_later = (
        select(_later.id)
        .where(
            _later.registration_id == Registration.id,
            _later.recipient == Registration.email,
            _later.status == OutboxStatus.SENT,
            _later.id > _failed.id,
        )
        # Two levels down: the registration is the outer query's, not a table of its own.
        .correlate_except(_later)
        .exists()
    )
    return (
        select(_failed.id)
        .where(
            _failed.registration_id == Registration.id,
            _failed.recipient == Registration.email,
            _failed.status == OutboxStatus.FAILED,
            ~delivered_later,
        )
        .correlate_except(_failed)
        .exists()
    )


def failed_count(event: Event) -> int:
    """How many of the event's registrations have an address whose last mail failed."""
    return db.session.execute(
        select(func.count(Registration.id)).where(
            Registration.event_id == event.id, last_mail_failed()
        )
    ).scalar_one()


def failed_mail(registrations: Iterable[Registration]) -> dict[int, OutboxMessage]:
    """Registration id → its last failed message, for those of ``registrations`` marked."""
    ids = [r.id for r in registrations]
    if not ids:
        return {}
    marked = set(
        db.session.execute(
            select(Registration.id).where(Registration.id.in_(ids), last_mail_failed())
        ).scalars()
    )
    if not marked:
        return {}
    messages = db.session.execute(
        select(OutboxMessage)
        .join(Registration, Registration.id == OutboxMessage.registration_id)
        .where(
            OutboxMessage.registration_id.in_(marked),
            OutboxMessage.recipient == Registration.email,
            OutboxMessage.status == OutboxStatus.FAILED,
        )
        .order_by(OutboxMessage.id)
    ).scalars()
    # Ordered by id: the newest failure of each registration is the one kept.
    return {message.registration_id: message for message in messages}
