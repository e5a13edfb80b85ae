"""Organizers' messages to participants: text per language, placeholders, test sends.

An announcement's outbox row holds the organizer's text in the language chosen for
its recipient; the placeholders are filled when it is sent, in that language. A test
send is an announcement whose payload names the organizer (``test_to``): it is
filled with a participant's data, or the organizer's own name when the send has no
recipient, and goes to the organizer alone.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _

from eventapp.extensions import db
from eventapp.mail.placeholders import fill
from eventapp.models import Event, MailBatch, OutboxMessage, Registration, User
from eventapp.text import one_line

GREETING = "{greeting}"


def text_for(registration: Registration, batch: MailBatch) -> tuple[str, str, str]:
    """Locale, subject and body for ``registration``: English if it reads English and there
    is an English text, German otherwise (and then the whole mail is German)."""
    if language_for(registration.locale, batch) == "en":
        return "en", batch.subject_en, batch.body_en
    return "de", batch.subject_de, batch.body_de


def language_for(locale: str | None, batch: MailBatch) -> str:
    """The language a reader of ``locale`` gets ``batch`` in (see ``text_for``)."""
    if locale == "en" and batch.subject_en.strip() and batch.body_en.strip():
        return "en"
    return "de"


def is_test(message: OutboxMessage) -> bool:
    """A test send to the organizer, not a message to the participant whose data it shows."""
    return bool((message.payload or {}).get("test_to"))


def test_payload(subject: str, body: str, organizer: User) -> dict[str, Any]:
    return {
        "subject": subject,
        "body": body,
        "test_to": organizer.email,
        "test_name": organizer.name,
    }


def stand_in(message: OutboxMessage) -> Registration | None:
    """Whom a test send without any recipient is filled for: the organizer by name.

    An unsaved registration that is never added to the database session.
    """
    payload = message.payload or {}
    batch = db.session.get(MailBatch, message.batch_id) if message.batch_id else None
    if not is_test(message) or batch is None:
        return None
    name = (payload.get("test_name") or payload["test_to"]).split(" ", 1)
    person = Registration(
        first_name=name[0],
        last_name=name[1] if len(name) > 1 else "",
        salutation="",
        academic_title="",
        locale=message.locale,
        email=payload["test_to"],
    )
    person.event = db.session.get(Event, batch.event_id)
    if person in db.session:
        db.session.expunge(person)
    return person


def content(message: OutboxMessage, registration: Registration) -> tuple[str, dict[str, Any]]:
    """Subject and template values of an announcement, placeholders filled for ``registration``.

    Run in the message's locale: the greeting and salutation are translated.
    """
    payload = message.payload or {}
    raw_body = str(payload.get("body", ""))
    subject = one_line(fill(str(payload.get("subject", "")), registration))
    if is_test(message):
        subject = _("[Test] %(subject)s", subject=subject)
    body = fill(raw_body, registration)
    paragraphs = [p.strip() for p in body.replace("\r\n", "\n").split("\n\n")]
    return subject, {
        "body": body,
        "paragraphs": [p for p in paragraphs if p],
        # The text greets the person itself: the mail's own greeting line would repeat it.
        "greeting_in_text": GREETING in raw_body,
    }
