"""Email to a filtered set of participants, and resending a confirmation, through the outbox.

A bulk mail goes out once per form: the form carries a one-time send key, and the
send (a ``MailBatch``) is stored under it with a unique constraint, so posting the
same form again finds the first send instead of queueing the messages again. It is
sent only exactly as previewed (recipients and text), and a send to many people
needs a second confirmation that names the count.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from flask import current_app
from flask_babel import force_locale, ngettext
from flask_babel import gettext as _
from sqlalchemy import func
from sqlalchemy.exc import IntegrityError

from eventapp.admin import audit
from eventapp.extensions import db
from eventapp.jobs import services as jobs
from eventapp.mail import announcements, optout
from eventapp.mail import services as mail_services
from eventapp.mail.placeholders import fill, unknown_placeholders
from eventapp.models import (
    Event,
    MailBatch,
    OutboxMessage,
    Registration,
    RegistrationStatus,
    User,
    new_token,
)
from eventapp.programme.editing import AdminError
from eventapp.registration.applicant import text_problem
from eventapp.registration.management import roster
from eventapp.registration.management.bulk_queue import recipient_ids
from eventapp.registration.management.bulk_sends import QUEUE_JOB

PREVIEW_NAMES = 10
ANNOUNCEMENT = "announcement"


@dataclass(frozen=True)
class BulkText:
    """The organizer's message: German required, English optional (both parts or none)."""

    subject_de: str
    body_de: str
    subject_en: str = ""
    body_en: str = ""

    def languages(self) -> list[tuple[str, str, str]]:
        """(locale, subject, body) of each language the message has."""
        texts = [("de", self.subject_de, self.body_de)]
        if self.subject_en.strip() and self.body_en.strip():
            texts.append(("en", self.subject_en, self.body_en))
        return texts


class AlreadySent(AdminError):
    """This form was sent before; ``batch`` is that send."""

    def __init__(self, batch: MailBatch) -> None:
        super().__init__(_("This message has already been sent. Nothing was sent again."))
        self.batch = batch


class ConfirmationNeeded(AdminError):
    """A send to more people than ``BULK_MAIL_CONFIRM_ABOVE``, not yet confirmed with its count."""

    def __init__(self, count: int) -> None:
        super().__init__(
            ngettext(
                "Please confirm: this message goes to %(num)d person.",
                "Please confirm: this message goes to %(num)d people.",
                count,
            )
        )
        self.count = count


@dataclass
class LanguagePreview:
    locale: str
    subject: str
    paragraphs: list[str]
    readers: int


@dataclass
class BulkPreview:
    """What a bulk email would do: how many get it, a few of them, and the text per language."""

    count: int
    sample: list[Registration]
    stopped: int
    texts: list[LanguagePreview] = field(default_factory=list)
    fingerprint: str = ""


def fingerprint(people: list[Registration], text: BulkText) -> str:
    """Names exactly these recipients and this text: sending needs the preview's fingerprint."""
    return _fingerprint([p.id for p in people], text)


def _fingerprint(ids: list[int], text: BulkText) -> str:
    material = json.dumps(
        [
            sorted(ids),
            text.subject_de,
            text.body_de,
            text.subject_en,
            text.body_en,
        ],
        ensure_ascii=False,
    )
    return hashlib.sha256(material.encode()).hexdigest()


def _addressable(event: Event, filters: dict[str, Any]) -> list[Registration]:
    return [
        reg
        for reg in roster.participants(event, **filters)
        if reg.is_active and reg.anonymized_at is None
    ]


def recipients(event: Event, filters: dict[str, Any]) -> list[Registration]:
    """The participants a bulk email reaches: active, not anonymized, matching the filters,
    and not among those who stopped announcements."""
    return [reg for reg in _addressable(event, filters) if optout.announcements_allowed(reg)]


def text_problems(text: BulkText) -> list[str]:
    """Why the message cannot be sent as written (a line break in a subject, a placeholder
    that is not on the list); empty if none."""
    problems = [
        problem
        for problem in (
            text_problem(text.subject_de),
            text_problem(text.subject_en),
            text_problem(text.body_de, multiline=True),
            text_problem(text.body_en, multiline=True),
        )
        if problem
    ]
    unknown = []
    for part in (text.subject_de, text.body_de, text.subject_en, text.body_en):
        unknown += [name for name in unknown_placeholders(part) if name not in unknown]
    if unknown:
        problems.append(unknown_placeholder_message(unknown))
    return problems


def unknown_placeholder_message(unknown: list[str]) -> str:
    return _(
        "Unknown placeholder: %(names)s. Please use only the placeholders listed below the text.",
        names=", ".join(unknown),
    )


def preview(event: Event, filters: dict[str, Any], text: BulkText) -> BulkPreview:
    """The count, the first names on the list and the text per language as read.

    Reads the recipients' ids and languages as rows and loads only the people it shows
    (the sample and each language's first reader): loading all 10 000 people of a large
    event with their workshops took 1.5 s and grew faster than the list.
    """
    rows = (
        db.session.connection()
        .execute(recipient_ids(event, filters).add_columns(Registration.locale))
        .all()
    )
    ids = [person_id for person_id, _locale in rows]
    batch = _unsaved_batch(event, text)
    language = {person_id: announcements.language_for(locale, batch) for person_id, locale in rows}
    texts = []
    for locale, subject, body in text.languages():
        readers = [person_id for person_id in ids if language[person_id] == locale]
        if readers:  # shown as the first reader of this language will read it
            first = db.session.get(Registration, readers[0])
            with force_locale(locale):
                subject, body = fill(subject, first), fill(body, first)
        paragraphs = [p.strip() for p in body.replace("\r\n", "\n").split("\n\n") if p.strip()]
        texts.append(LanguagePreview(locale, subject, paragraphs, len(readers)))
    stopped = db.session.execute(
        recipient_ids(event, filters, stopped=True)
        .with_only_columns(func.count(Registration.id))
        .order_by(None)
    ).scalar_one()
    return BulkPreview(
        count=len(ids),
        sample=_in_order(ids[:PREVIEW_NAMES]),
        stopped=stopped,
        texts=texts,
        fingerprint=_fingerprint(ids, text),
    )


def _in_order(ids: list[int]) -> list[Registration]:
    found = {
        person.id: person
        for person in db.session.execute(
            db.select(Registration).where(Registration.id.in_(ids))
        ).scalars()
    }
    return [found[person_id] for person_id in ids]


def _unsaved_batch(
    event: Event, text: BulkText, filters: dict[str, Any] | None = None
) -> MailBatch:
    return MailBatch(
        event_id=event.id,
        kind=ANNOUNCEMENT,
        subject_de=text.subject_de,
        body_de=text.body_de,
        subject_en=text.subject_en if len(text.languages()) > 1 else "",
        body_en=text.body_en if len(text.languages()) > 1 else "",
        filters=filters or {},
    )


def find_send(send_key: str) -> MailBatch | None:
    """The send stored under ``send_key``, if this form was sent before."""
    return db.session.execute(
        db.select(MailBatch).where(MailBatch.send_key == send_key)
    ).scalar_one_or_none()


def send(
    user: User,
    event: Event,
    filters: dict[str, Any],
    text: BulkText,
    previewed: str,
    send_key: str,
    confirmed_count: int | None = None,
) -> MailBatch:
    """Queue the message for every recipient, once per ``send_key``.

    Raises ``AlreadySent`` for a key used before, ``ConfirmationNeeded`` for more than
    ``BULK_MAIL_CONFIRM_ABOVE`` recipients without ``confirmed_count`` equal to their
    number, and ``AdminError`` unless exactly this was previewed.
    """
    problems = text_problems(text)
    if problems:
        raise AdminError(problems[0])
    if not send_key:
        raise AdminError(_("The form is incomplete. Please open the email page again."))
    earlier = find_send(send_key)
    if earlier is not None:
        raise AlreadySent(earlier)
    # Ids only: a large send's people are loaded by the worker, not in this request.
    ids = list(db.session.execute(recipient_ids(event, filters)).scalars())
    if previewed != _fingerprint(ids, text):
        raise AdminError(
            _("The recipients or the text changed since the preview. Please check it again.")
        )
    if len(ids) > current_app.config["BULK_MAIL_CONFIRM_ABOVE"] and confirmed_count != len(ids):
        raise ConfirmationNeeded(len(ids))
    batch = _unsaved_batch(event, text, filters)
    batch.send_key = send_key
    batch.created_by_id = user.id
    # Two posts of one form at once both pass the look-up above; the unique key lets
    # exactly one of them store the send, and the other finds it.
    try:
        with db.session.begin_nested():
            db.session.add(batch)
    except IntegrityError:
        earlier = find_send(send_key)
        if earlier is None:
            raise
        raise AlreadySent(earlier) from None
    if len(ids) <= current_app.config.get("BULK_MAIL_INLINE_MAX", 200):
        batch.recipient_count = mail_services.enqueue_bulk(recipients(event, filters), batch)
    else:
        # The worker queues the messages (``bulk_queue.queue_in_chunks``), then sets the count.
        jobs.enqueue(QUEUE_JOB, event, user, {"batch_id": batch.id})
    audit.record(
        user,
        "mail.bulk",
        event,
        None,
        {
            "subject": text.subject_de,
            "filters": filters,
            "recipients": batch.recipient_count or len(ids),
        },
    )
    return batch


def send_test(user: User, event: Event, filters: dict[str, Any], text: BulkText) -> MailBatch:
    """Queue the message once, marked as a test, to ``user`` alone: filled with the first
    recipient's data, or with the organizer's name when the filters find nobody."""
    problems = text_problems(text)
    if problems:
        raise AdminError(problems[0])
    # The first recipient alone: a test to a large event loaded everyone before.
    first_id = db.session.execute(recipient_ids(event, filters).limit(1)).scalar()
    first = db.session.get(Registration, first_id) if first_id is not None else None
    batch = _unsaved_batch(event, text, filters)
    batch.send_key = new_token()
    batch.created_by_id = user.id
    batch.is_test = True
    batch.recipient_count = 1
    db.session.add(batch)
    mail_services.enqueue_test(batch, user, first)
    return batch


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
    if message is None:
        raise AdminError(_("This registration has no email address to send the mail to."))
    audit.record(user, "registration.resend_confirmation", registration, None, {"kind": str(kind)})
    return message
