"""Email to a filtered set of participants, and resending a confirmation, through the outbox."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _

from eventapp.admin import audit
from eventapp.mail import services as mail_services
from eventapp.models import Event, OutboxMessage, Registration, RegistrationStatus, User
from eventapp.programme.editing import AdminError
from eventapp.registration.applicant import text_problem
from eventapp.registration.management import roster

PREVIEW_NAMES = 10


@dataclass
class BulkPreview:
    """What a bulk email would do: how many get it, a few of them, and the text."""

    count: int
    sample: list[Registration]
    subject: str
    paragraphs: list[str] = field(default_factory=list)
    fingerprint: str = ""


def fingerprint(people: list[Registration], subject: str, body: str) -> str:
    """Names exactly these recipients and this text: sending needs the preview's fingerprint."""
    material = json.dumps([sorted(p.id for p in people), subject, body], ensure_ascii=False)
    return hashlib.sha256(material.encode()).hexdigest()


def recipients(event: Event, filters: dict[str, Any]) -> list[Registration]:
    """The participants a bulk email reaches: active, not anonymized, matching the filters."""
    return [
        reg
        for reg in roster.participants(event, **filters)
        if reg.is_active and reg.anonymized_at is None
    ]


def preview(event: Event, filters: dict[str, Any], subject: str, body: str) -> BulkPreview:
    """The count, the first names on the list and the text as participants will read it."""
    people = recipients(event, filters)
    paragraphs = [p.strip() for p in body.replace("\r\n", "\n").split("\n\n") if p.strip()]
    return BulkPreview(
        count=len(people),
        sample=people[:PREVIEW_NAMES],
        subject=subject,
        paragraphs=paragraphs,
        fingerprint=fingerprint(people, subject, body),
    )


def send(
    user: User, event: Event, filters: dict[str, Any], subject: str, body: str, previewed: str
) -> int:
    """Queue the message for every recipient; refused unless exactly this was previewed."""
    # A line break in the subject would make every one of these mails fail to build.
    problem = text_problem(subject) or text_problem(body, multiline=True)
    if problem:
        raise AdminError(problem)
    people = recipients(event, filters)
    if previewed != fingerprint(people, subject, body):
        raise AdminError(
            _("The recipients or the text changed since the preview. Please check it again.")
        )
    count = mail_services.enqueue_bulk(people, subject, body)
    audit.record(
        user,
        "mail.bulk",
        event,
        None,
        {"subject": subject, "filters": filters, "recipients": count},
    )
    return count


def resend_confirmation(user: User, registration: Registration) -> OutboxMessage:
    """Queue the confirmation (or the waiting-list notice) for this registration again."""
    if not registration.is_active:
        raise AdminError(_("This registration has been cancelled; there is nothing to confirm."))
    kind = (
        mail_services.MessageKind.WAITLISTED
        if registration.status == RegistrationStatus.WAITLISTED
        else mail_services.MessageKind.REGISTRATION_CONFIRMED
    )
    message = mail_services.enqueue(kind, registration, {"resent": True})
    audit.record(user, "registration.resend_confirmation", registration, None, {"kind": str(kind)})
    return message
