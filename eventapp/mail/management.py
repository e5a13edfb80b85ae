"""Organizer actions on mail: sending failed messages again, an event's scheduled mails
(reminder, thank-you mail, slides link) and its own introductory texts, each recorded in
the audit log.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time
from urllib.parse import urlsplit

from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import set_committed_value

from eventapp.admin import audit
from eventapp.domain import Conflict, InvalidInput
from eventapp.extensions import db
from eventapp.mail import services as mail_services
from eventapp.mail import texts
from eventapp.mail.messages import Preview, preview
from eventapp.mail.outbox import MessageKind
from eventapp.mail.placeholders import known_placeholders, unknown_placeholders
from eventapp.models import Event, MailText, OutboxMessage, Registration, RegistrationStatus, User
from eventapp.text import forbidden_character

MAX_DAYS_BEFORE = 30
MAX_SLIDES_URL = 500
# The made-up participant's links lead nowhere: no registration has this token.
SAMPLE_CODE = "preview"


def retry(user: User, message_id: int | None) -> int:
    """Send failed messages again: one by id, or all of them; returns how many."""
    if message_id is None:
        count = mail_services.retry_failed()
    else:
        count = 1 if mail_services.retry_message(message_id) else 0
    if count:
        audit.record_action(
            user, "mail.retry", "outbox_message", message_id, None, {"requeued": count}
        )
    return count


# --- the scheduled mails of an event ------------------------------------------------


@dataclass(frozen=True)
class ScheduledMail:
    """When an event's reminder and thank-you mail go out, and the slides link they carry.

    ``reminder_time`` is a wall-clock time in the event's time zone.
    """

    reminder_enabled: bool
    reminder_days_before: int
    reminder_time: time
    thank_you_enabled: bool
    slides_url: str

    @classmethod
    def of(cls, event: Event) -> ScheduledMail:
        return cls(
            reminder_enabled=event.reminder_enabled,
            reminder_days_before=event.reminder_days_before,
            reminder_time=event.reminder_time,
            thank_you_enabled=event.thank_you_enabled,
            slides_url=event.slides_url,
        )

    def logged(self) -> dict[str, object]:
        """The values as the audit log keeps them (the time as it is read: ``09:00``)."""
        return {
            "reminder_enabled": self.reminder_enabled,
            "reminder_days_before": self.reminder_days_before,
            "reminder_time": self.reminder_time.strftime("%H:%M"),
            "thank_you_enabled": self.thank_you_enabled,
            "slides_url": self.slides_url,
        }


def _slides_problem(url: str) -> str | None:
    if not url:
        return None
    parts = urlsplit(url)
    if (
        parts.scheme != "https"
        or not parts.hostname
        or len(url) > MAX_SLIDES_URL
        or forbidden_character(url) is not None
        or any(c.isspace() for c in url)
    ):
        return _("Please enter a web address starting with https://.")
    return None


def save_scheduled_mail(user: User, event: Event, wanted: ScheduledMail) -> None:
    """Store the reminder, thank-you and slides settings of ``event``; refuses bad values."""
    errors: dict[str, str] = {}
    if not 0 <= wanted.reminder_days_before <= MAX_DAYS_BEFORE:
        errors["reminder_days_before"] = _(
            "Please enter a number of days from 0 to %(max)d.", max=MAX_DAYS_BEFORE
        )
    slides_url = wanted.slides_url.strip()
    if problem := _slides_problem(slides_url):
        errors["slides_url"] = problem
    if errors:
        raise InvalidInput(next(iter(errors.values())), fields=errors)
    before = ScheduledMail.of(event).logged()
    event.reminder_enabled = wanted.reminder_enabled
    event.reminder_days_before = wanted.reminder_days_before
    event.reminder_time = wanted.reminder_time.replace(second=0, microsecond=0, tzinfo=None)
    event.thank_you_enabled = wanted.thank_you_enabled
    event.slides_url = slides_url
    after = ScheduledMail.of(event).logged()
    if before != after:
        audit.record(user, "event.mail_settings", event, before, after)


# --- the organizer's own introductions ------------------------------------------------


def _text_problem(text: str) -> str | None:
    """Why ``text`` cannot be an introduction, or None."""
    if len(text) > texts.MAX_LENGTH:
        return _("At most %(n)d characters, please.", n=texts.MAX_LENGTH)
    if forbidden_character(text, multiline=True) is not None:
        return _("Control characters and text direction overrides are not allowed here.")
    if unknown := unknown_placeholders(text):
        return _(
            "Unknown placeholder %(found)s. You can use: %(known)s.",
            found=", ".join(unknown),
            known=", ".join(known_placeholders()),
        )
    return None


def check_texts(kind: str, drafts: dict[str, str]) -> dict[str, str]:
    """``drafts`` (locale → text) as they would be stored; refuses the set if one is bad.

    An empty text stands for the built-in one.
    """
    if kind not in texts.EDITABLE_KINDS:
        raise InvalidInput(_("This mail has no text of its own."))
    cleaned = {locale: texts.normalized(drafts.get(locale, "")) for locale in texts.LOCALES}
    errors = {
        f"text_{locale}": problem
        for locale, text in cleaned.items()
        if (problem := _text_problem(text))
    }
    if errors:
        raise InvalidInput(next(iter(errors.values())), fields=errors)
    return cleaned


def _logged(row: MailText) -> dict[str, object]:
    # The event's id finds its time zone for the log; the log page does not show it.
    return {"event_id": row.event_id, "kind": row.kind, "locale": row.locale, "text": row.text}


def save_texts(user: User, event: Event, kind: str, drafts: dict[str, str]) -> list[str]:
    """Store the organizer's introductions of ``kind`` (locale → text); returns the locales
    changed. A text left empty or equal to the built-in one needs no row (and loses its row).
    """
    cleaned = check_texts(kind, drafts)
    stored = texts.own_texts(event)
    changed = []
    for locale, text in cleaned.items():
        row = stored.get((kind, locale))
        if not text or text == texts.built_in(event, kind, locale):
            if row is not None:
                _delete(user, row)
                changed.append(locale)
            continue
        if row is None:
            row = _insert(
                MailText(
                    event_id=event.id, kind=kind, locale=locale, text=text, updated_by_id=user.id
                )
            )
            audit.record(user, "mail_text.save", row, None, _logged(row))
            changed.append(locale)
        elif row.text != text:
            before = _logged(row)
            row.text, row.updated_by_id = text, user.id
            audit.record(user, "mail_text.save", row, before, _logged(row))
            changed.append(locale)
    return changed


def _insert(row: MailText) -> MailText:
    """Add ``row``; the unique constraint decides between two organizers saving at once."""
    try:
        with db.session.begin_nested():
            db.session.add(row)
            db.session.flush()
    except IntegrityError as exc:
        raise Conflict(
            _("Someone else saved this text at the same moment. Please check it and save again.")
        ) from exc
    return row


def _delete(user: User, row: MailText) -> None:
    audit.record(user, "mail_text.reset", row, _logged(row), None)
    db.session.delete(row)


def reset_text(user: User, event: Event, kind: str, locale: str) -> bool:
    """Back to the built-in introduction of ``kind`` in ``locale``; False if it already was."""
    if kind not in texts.EDITABLE_KINDS or locale not in texts.LOCALES:
        raise InvalidInput(_("This mail has no text of its own."))
    row = texts.own_text(event, kind, locale)
    if row is None:
        return False
    _delete(user, row)
    return True


# --- previews ----------------------------------------------------------------------------


def sample_participant(event: Event, kind: str, locale: str) -> Registration:
    """A made-up participant of ``event`` for previews: never stored, no real person's data.

    The relations are set as if loaded, so nothing adds the object to the session.
    """
    status = {
        MessageKind.WAITLISTED: RegistrationStatus.WAITLISTED,
        MessageKind.CANCELLED: RegistrationStatus.CANCELLED,
    }.get(kind, RegistrationStatus.CONFIRMED)
    participant = Registration(
        # Not a row's id; waiting-list positions compare ids, so it needs one.
        id=0,
        event_id=event.id,
        status=status,
        salutation="ms",
        academic_title="Dr.",
        first_name="Erika",
        last_name="Mustermann",
        email="erika.mustermann@example.org",
        organisation="Stadt Musterstadt",
        locale=locale,
        manage_token=SAMPLE_CODE,
        ticket_code=SAMPLE_CODE,
        calendar_token=SAMPLE_CODE,
        created_at=datetime.now(UTC),
    )
    set_committed_value(participant, "event", event)
    set_committed_value(participant, "choices", [])
    return participant


def previewable(kind: str) -> bool:
    """Whether a whole mail of ``kind`` can be shown (its message kind exists here)."""
    return kind in set(MessageKind)


def preview_mail(event: Event, kind: str, locale: str, draft: str | None) -> Preview | None:
    """The whole mail of ``kind`` in ``locale`` as the sample participant would get it, with
    ``draft`` as its introduction (None: the stored or built-in one); None if not shown."""
    if not previewable(kind):
        return None
    participant = sample_participant(event, kind, locale)
    payload = {texts.DRAFT: draft} if draft else {}
    message = OutboxMessage(kind=kind, locale=locale, recipient=participant.email, payload=payload)
    set_committed_value(message, "registration", participant)
    return preview(message)


@dataclass(frozen=True)
class LocaleText:
    """One language of a mail kind's introduction as the settings page shows it."""

    locale: str
    text: str
    built_in: str
    is_own: bool


@dataclass(frozen=True)
class KindTexts:
    """A mail kind with its introduction in each language."""

    kind: str
    texts: list[LocaleText]
    previewable: bool

    @property
    def is_own(self) -> bool:
        return any(text.is_own for text in self.texts)


def text_overview(event: Event) -> list[KindTexts]:
    """Every editable mail kind of ``event`` with its current text per language."""
    stored = texts.own_texts(event)
    overview = []
    for kind in texts.EDITABLE_KINDS:
        per_locale = []
        for locale in texts.LOCALES:
            row = stored.get((kind, locale))
            default = texts.built_in(event, kind, locale)
            text = row.text if row is not None else default
            per_locale.append(LocaleText(locale, text, default, row is not None))
        overview.append(KindTexts(kind, per_locale, previewable(kind)))
    return overview


def preview_drafts(event: Event, kind: str, drafts: dict[str, str]) -> dict[str, Preview]:
    """Each language's whole mail with the unsaved ``drafts`` (empty: the built-in text)."""
    cleaned = check_texts(kind, drafts)
    previews = {}
    for locale, text in cleaned.items():
        shown = preview_mail(event, kind, locale, text or texts.built_in(event, kind, locale))
        if shown is not None:
            previews[locale] = shown
    return previews
