"""What goes into the outbox: message kinds and the row factory.

Nothing here sends anything or listens to anything. ``eventapp.mail.listeners``
turns domain events into rows made here, ``eventapp.mail.services`` queues
organizers' mails with them, and ``eventapp.mail.delivery`` sends them.
"""

from __future__ import annotations

import enum
from typing import Any

from flask import current_app, has_app_context
from sqlalchemy import select
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import object_session

from eventapp.models import (
    ChangeKind,
    GroupMembership,
    OutboxMessage,
    OutboxStatus,
    Registration,
    RegistrationChange,
    RegistrationStatus,
)
from eventapp.models.base import utcnow

# Keys in ``Session.info``; they live for one transaction (the listeners clear them).
WRITTEN = "mail.outbox_written"
NO_INLINE = "mail.no_inline"


class MessageKind(enum.StrEnum):
    """What a message is about; each kind has templates ``mail/<kind>.html|txt``."""

    REGISTRATION_CONFIRMED = "registration_confirmed"
    WAITLISTED = "waitlisted"
    PROMOTED = "promoted"
    CANCELLED = "cancelled"
    WORKSHOPS_CHANGED = "workshops_changed"
    # One change per message, written at once; kept to render rows queued before digests.
    PROGRAMME_CHANGED = "programme_changed"
    # The reviewed digest: every pending change that concerns the person (eventapp.notices).
    PROGRAMME_CHANGES = "programme_changes"
    REMINDER = "reminder"
    # After the event, to the people who came (see ``eventapp.mail.schedule``).
    THANK_YOU = "thank_you"
    ANNOUNCEMENT = "announcement"
    # To a new address a participant asked for, with the link that confirms it.
    EMAIL_CHANGE = "email_change"
    # The manage link again, asked for on the event's page ("send me my link again").
    MANAGE_LINK = "manage_link"
    # To a group's registrant instead of their own confirmation: every member, every ticket.
    GROUP_CONFIRMED = "group_confirmed"
    # To the office, not to a participant: a barrier reported on the accessibility statement.
    BARRIER_REPORT = "barrier_report"
    # To a staff account, not to a participant: a "forgot password" link.
    PASSWORD_RESET = "password_reset"  # noqa: S105  (a mail kind, not a secret)


# Kinds written about something other than a registration: to the operator's office,
# or to a staff account.
OFFICE_KINDS = frozenset({MessageKind.BARRIER_REPORT, MessageKind.PASSWORD_RESET})


def message_kind_for(change: RegistrationChange) -> MessageKind | None:
    """The mail a registration change calls for, or None (e.g. ``anonymized``)."""
    match change.kind:
        case ChangeKind.REGISTERED:
            # A group's registrant gets one mail about the whole group.
            if (change.detail or {}).get("group") == "registrant":
                return MessageKind.GROUP_CONFIRMED
            # A registration that found no free seat starts on the waiting list.
            if (change.detail or {}).get("status") == RegistrationStatus.WAITLISTED:
                return MessageKind.WAITLISTED
            return MessageKind.REGISTRATION_CONFIRMED
        case ChangeKind.PROMOTED:
            return MessageKind.PROMOTED
        case ChangeKind.CANCELLED:
            return MessageKind.CANCELLED
        case ChangeKind.WORKSHOPS_CHANGED | ChangeKind.SESSION_PROMOTED:
            return MessageKind.WORKSHOPS_CHANGED
        case ChangeKind.MANAGE_LINK_SENT:
            return MessageKind.MANAGE_LINK
    return None


def mail_locale(registration: Registration) -> str:
    """The participant's language if the service speaks it, else the default (German)."""
    languages = current_app.config["LANGUAGES"] if has_app_context() else ("de", "en")
    return registration.locale if registration.locale in languages else languages[0]


def outbox_row(
    kind: str,
    recipient: str,
    locale: str,
    registration: Registration | None,
    payload: dict[str, Any] | None = None,
    **fields: Any,
) -> OutboxMessage:
    """An unsaved, pending outbox row, due now; rendering happens at send time."""
    return OutboxMessage(
        kind=str(kind),
        recipient=recipient,
        locale=locale,
        registration=registration,
        payload=payload or {},
        status=OutboxStatus.PENDING,
        attempts=0,
        last_error="",
        next_attempt_at=utcnow(),
        **fields,
    )


def mail_contact(registration: Registration) -> Registration:
    """Whose address mail about ``registration`` goes to: its own, or for a group's member
    who gave none, the registrant's. Its ``email`` may still be "" (nobody to write to)."""
    if registration.email or registration.id is None:
        return registration
    session = object_session(registration)
    if session is None:
        return registration
    with session.no_autoflush:
        leader = session.execute(
            select(Registration)
            .join(GroupMembership, GroupMembership.leader_id == Registration.id)
            .where(GroupMembership.member_id == registration.id)
        ).scalar_one_or_none()
    return leader if leader is not None and leader.email else registration


def new_message(
    kind: str,
    registration: Registration,
    payload: dict[str, Any] | None = None,
    dedupe_key: str | None = None,
) -> OutboxMessage:
    """An unsaved outbox row for ``registration``, in its language; to the registrant's
    address for a group's member without one (callers queue none with an empty address)."""
    return outbox_row(
        kind,
        mail_contact(registration).email,
        mail_locale(registration),
        registration,
        payload,
        dedupe_key=dedupe_key,
    )


def office_message(kind: str, recipient: str, payload: dict[str, Any]) -> OutboxMessage:
    """An unsaved outbox row for the operator's office (no registration), in German."""
    return outbox_row(kind, recipient, "de", None, payload)


def note_ready(session: OrmSession) -> None:
    """Mark this transaction as having made messages due (for the background sender)."""
    session.info[WRITTEN] = True


def skip_inline_delivery(session: OrmSession) -> None:
    """Do not start the background sender after this transaction (the caller sends)."""
    session.info[NO_INLINE] = True


def message_for_change(
    change: RegistrationChange, registration: Registration
) -> OutboxMessage | None:
    """The unsaved outbox row a change of ``registration`` calls for, if any.

    The flush listener (``listeners``) adds it; a path that writes the change without a flush
    (``registration.services.register``) writes it too.
    """
    kind = message_kind_for(change)
    if kind is None or registration.anonymized_at is not None:
        return None
    detail = dict(change.detail or {})
    if detail.get("group") == "member" and not registration.email:
        return None  # the registrant's group mail names this member and carries the ticket
    message = new_message(kind, registration, {"change": str(change.kind), "detail": detail})
    # A walk-in (or a member whose registrant is gone) may have no address: nothing to send.
    return message if message.recipient else None
