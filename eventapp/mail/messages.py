"""Turning an outbox row into a MIME message, rendered in the participant's language.

Messages are rendered when they are sent, not when they are queued, so they
show the registration, workshops and programme as they are then. Only what must
stay as it was (the old and new time of a moved session) is frozen in the payload.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any
from urllib.parse import urlsplit

from babel.dates import format_date, format_time
from flask import current_app, render_template
from flask_babel import force_locale, get_locale
from flask_babel import gettext as _
from sqlalchemy import select

from eventapp import urls
from eventapp.certificates import services as certificates
from eventapp.content import localized
from eventapp.extensions import db
from eventapp.feeds.services import registration_calendar
from eventapp.mail import announcements, optout
from eventapp.mail.addresses import new_email, recipient, set_recipient
from eventapp.mail.office import build_office_email
from eventapp.mail.outbox import OFFICE_KINDS, MessageKind, mail_contact
from eventapp.mail.sender import MailIdentity, mail_identity
from eventapp.mail.texts import intro_for
from eventapp.models import (
    EmailChange,
    Event,
    GroupMembership,
    OutboxMessage,
    Registration,
    RegistrationStatus,
    Session,
    utcnow,
)
from eventapp.notices.wording import describe as describe_change
from eventapp.text import one_line
from eventapp.tickets.pdf import ticket_pdf
from eventapp.tickets.services import qr_png, ticket_valid

# Messages that carry the ticket (QR inline, PDF) when the ticket is valid.
TICKET_KINDS = frozenset(
    {
        MessageKind.REGISTRATION_CONFIRMED,
        MessageKind.PROMOTED,
        MessageKind.REMINDER,
        MessageKind.GROUP_CONFIRMED,
    }
)
# Messages the scheduler queues (``eventapp.mail.schedule``); they respect an opt-out.
SCHEDULED_KINDS = frozenset({MessageKind.REMINDER, MessageKind.THANK_YOU})
# Messages that carry the personal calendar (.ics) so clients can update their entries.
CALENDAR_KINDS = frozenset(
    {
        MessageKind.REGISTRATION_CONFIRMED,
        MessageKind.GROUP_CONFIRMED,
        MessageKind.PROMOTED,
        MessageKind.WORKSHOPS_CHANGED,
        MessageKind.PROGRAMME_CHANGED,
        MessageKind.PROGRAMME_CHANGES,
    }
)


# --- formatting in the participant's language and the event's time zone --------


def _locale() -> str:
    return str(get_locale() or "de")


def day(event: Event, moment: datetime) -> str:
    return format_date(event.local(moment).date(), format="full", locale=_locale())


def clock(event: Event, moment: datetime) -> str:
    return format_time(event.local(moment).time(), format="HH:mm", locale=_locale())


def span(event: Event, starts_at: datetime, ends_at: datetime) -> str:
    """``Sonntag, 16. Mai 2027, 09:00–17:00`` (one day) in the event's time zone."""
    return f"{day(event, starts_at)}, {clock(event, starts_at)}–{clock(event, ends_at)}"


def _session_line(event: Event, session: Session, status: str | None = None) -> dict[str, Any]:
    return {
        "title": localized(session, "title"),
        "when": span(event, session.starts_at, session.ends_at),
        "room": localized(session.room, "name"),
        "status": status,
        "cancelled": session.is_cancelled,
    }


def _workshops(registration: Registration) -> list[dict[str, Any]]:
    choices = sorted(registration.choices, key=lambda c: (c.session.starts_at, c.session_id))
    return [_session_line(registration.event, c.session, str(c.status)) for c in choices]


def _titles(ids: Any) -> list[str]:
    if isinstance(ids, int):
        ids = [ids]
    titles = []
    for session_id in ids or []:
        session = db.session.get(Session, session_id)
        if session is not None:
            titles.append(localized(session, "title"))
    return titles


def waitlist_position(registration: Registration) -> int | None:
    """1 for the next to move up; None when no longer waiting (rules live with registration)."""
    from eventapp.registration.availability import waitlist_position as position

    return position(registration)


def _frozen(event: Event, snapshot: dict[str, Any]) -> dict[str, Any]:
    starts = datetime.fromisoformat(snapshot["starts_at"]) if snapshot.get("starts_at") else None
    ends = datetime.fromisoformat(snapshot["ends_at"]) if snapshot.get("ends_at") else None
    return {
        "title": snapshot.get("title", ""),
        "when": span(event, starts, ends) if starts and ends else "",
        "room": snapshot.get("room", ""),
        "status": snapshot.get("status", ""),
    }


def group_members(registration: Registration) -> list[Registration]:
    """The members a group's registrant registered, in the order entered (none for others)."""
    return list(
        db.session.execute(
            select(Registration)
            .join(GroupMembership, GroupMembership.member_id == Registration.id)
            .where(GroupMembership.leader_id == registration.id)
            .order_by(GroupMembership.position)
        ).scalars()
    )


def _group_lines(registration: Registration) -> list[dict[str, Any]]:
    """Registrant and members with their status, for the registrant's group mail."""
    lines = []
    for person in [registration, *group_members(registration)]:
        ticket = person.status == RegistrationStatus.CONFIRMED and ticket_valid(person)
        lines.append(
            {
                "name": person.name,
                "email": person.email,
                "status": str(person.status),
                "position": waitlist_position(person),
                "ticket_url": urls.ticket_url(person) if ticket else None,
                "is_registrant": person is registration,
            }
        )
    return lines


# --- per kind: subject and what the templates need ------------------------------


def _content(message: OutboxMessage, registration: Registration) -> tuple[str, dict[str, Any]]:
    event = registration.event
    date = format_date(event.local(event.starts_at).date(), format="long", locale=_locale())
    payload = message.payload or {}
    detail = payload.get("detail") or {}
    names = {"event": localized(event, "title"), "date": date}
    match MessageKind(message.kind):
        case MessageKind.REGISTRATION_CONFIRMED:
            return _("Registration confirmed: %(event)s on %(date)s", **names), {}
        case MessageKind.WAITLISTED:
            position = waitlist_position(registration)
            subject = _("Waiting list: %(event)s on %(date)s", **names)
            return subject, {"position": position}
        case MessageKind.PROMOTED:
            return _("You have a place: %(event)s on %(date)s", **names), {}
        case MessageKind.CANCELLED:
            return _("Registration cancelled: %(event)s on %(date)s", **names), {}
        case MessageKind.WORKSHOPS_CHANGED:
            changes = {
                "added": _titles(detail.get("added")),
                "removed": _titles(detail.get("removed")),
                "waitlisted": _titles(detail.get("waitlisted")),
                "promoted": _titles(detail.get("session_id")),
            }
            return _("Your workshops have changed: %(event)s", **names), {"changes": changes}
        case MessageKind.PROGRAMME_CHANGED:
            old = _frozen(event, payload.get("old") or {})
            new = _frozen(event, payload.get("new") or {})
            session = db.session.get(Session, payload.get("session_id"))
            title = localized(session, "title") or new["title"] or old["title"]
            subject = _("Programme change on %(date)s: %(session)s", date=date, session=title)
            return subject, {
                "session_title": title,
                "old": old,
                "new": new,
                "cancelled": new["status"] in {"cancelled", "removed"},
                "reinstated": old["status"] == "cancelled" and new["status"] == "scheduled",
            }
        case MessageKind.PROGRAMME_CHANGES:
            changes = [describe_change(event, item) for item in payload.get("items") or []]
            return _("Programme changes: %(event)s", **names), {"changes": changes}
        case MessageKind.REMINDER:
            return _("See you soon: %(event)s on %(date)s", **names), {}
        case MessageKind.THANK_YOU:
            subject = _("Thank you for taking part: %(event)s", **names)
            certificate = certificates.available(registration)
            return subject, {
                "slides_url": event.slides_url,
                "certificate_url": certificates.download_url(registration) if certificate else None,
            }
        case MessageKind.ANNOUNCEMENT:
            return announcements.content(message, registration)
        case MessageKind.EMAIL_CHANGE:
            change = _email_change(message)
            assert change is not None  # ``applies`` discards a message without one
            subject = _("Please confirm your new email address: %(event)s", **names)
            return subject, {
                "new_email": change.new_email,
                "confirm_url": urls.email_confirmation_url(payload["seed"]),
                "expires": _moment(event, change.expires_at),
            }
        case MessageKind.MANAGE_LINK:
            requested = detail.get("requested_at")
            moment = datetime.fromisoformat(requested) if requested else message.created_at
            subject = _("Your link to your registration: %(event)s", **names)
            return subject, {"requested": _moment(event, moment)}
        case MessageKind.GROUP_CONFIRMED:
            subject = _("Group registration: %(event)s on %(date)s", **names)
            return subject, {
                "group": _group_lines(registration),
                "position": waitlist_position(registration),
            }
    raise ValueError(f"unknown message kind {message.kind!r}")


def _moment(event: Event, moment: datetime) -> str:
    """Date and time in the event's time zone and the mail's language, e.g. 16.05.2027, 09:30."""
    return f"{format_date(event.local(moment).date(), locale=_locale())}, {clock(event, moment)}"


def _email_change(message: OutboxMessage) -> EmailChange | None:
    """The address change a confirmation mail is about, while its link still works."""
    change = db.session.get(EmailChange, (message.payload or {}).get("email_change_id") or 0)
    if change is None or change.registration_id != message.registration_id:
        return None
    if change.confirmed_at is not None or change.expires_at <= utcnow():
        return None
    return change


def _address(message: OutboxMessage, registration: Registration) -> tuple[str, str]:
    """Name and address the message goes to: the registration's, a test send's organizer,
    or for an address change the new address (the one to be confirmed)."""
    if announcements.is_test(message):
        return message.payload.get("test_name", ""), message.payload["test_to"]
    if message.kind == MessageKind.EMAIL_CHANGE:
        change = _email_change(message)
        assert change is not None
        return registration.name, change.new_email
    # A group's member without an address: the registrant's name and address.
    contact = mail_contact(registration)
    return contact.name, contact.email


def _message_domain() -> str:
    return urlsplit(current_app.config["PUBLIC_BASE_URL"]).hostname or "localhost"


def applies(message: OutboxMessage, registration: Registration | None) -> bool:
    """False for mail that must not go out any more (data gone, reminder for a non-guest,
    an announcement to someone who stopped them since it was queued)."""
    if announcements.is_test(message):
        return True
    if registration is None or registration.anonymized_at is not None:
        return False
    if message.kind in optout.OPT_OUT_KINDS and not optout.announcements_allowed(registration):
        return False
    if message.kind == MessageKind.EMAIL_CHANGE:
        # A newer request, a confirmation or the expiry ended its link: nothing to send.
        return _email_change(message) is not None
    if message.kind in SCHEDULED_KINDS:
        # Queued when due but sent later: the person may have cancelled since.
        return registration.status == RegistrationStatus.CONFIRMED
    return True


def _context(
    message: OutboxMessage, registration: Registration, identity: MailIdentity, with_ticket: bool
) -> dict[str, Any]:
    """Subject and everything the templates of ``message``'s kind need (in its locale)."""
    subject, extra = _content(message, registration)
    event = registration.event
    # A test send goes to the organizer: no link of the participant whose data fills it;
    # nor does the mail to an address not yet confirmed.
    personal = not announcements.is_test(message) and message.kind != MessageKind.EMAIL_CHANGE
    return {
        "kind": str(message.kind),
        "lang": message.locale,
        "subject": subject,
        # The opening paragraph: the organizer's text for this event, or the built-in one.
        "intro": intro_for(message, registration),
        "registration": registration,
        "event": event,
        "event_when": span(event, event.starts_at, event.ends_at),
        "workshops": _workshops(registration),
        "manage_url": urls.manage_url(registration) if personal else None,
        "ticket_url": urls.ticket_url(registration) if with_ticket and personal else None,
        "calendar_url": urls.calendar_url(registration) if personal else None,
        "stop_url": _stop_url(message, registration) if personal else None,
        "has_ticket": with_ticket,
        "identity": identity,
        "qr_cid": None,
        # Mail about a group's member without an address goes to the registrant: say why.
        "on_behalf": personal and not registration.email and mail_contact(registration).email,
        **extra,
    }


def _stop_url(message: OutboxMessage, registration: Registration) -> str | None:
    """The page for stopping announcements, for the kinds a person may decline."""
    if message.kind not in optout.OPT_OUT_KINDS:
        return None
    return optout.stop_url(registration, message.locale)


def _reader(message: OutboxMessage) -> Registration | None:
    """Whose data the message shows: its registration, or for a test send without one the
    organizer."""
    return message.registration or announcements.stand_in(message)


@dataclass(frozen=True)
class Preview:
    """What a message says, for organizers: its subject and plain-text body."""

    subject: str
    text: str


def preview(message: OutboxMessage) -> Preview | None:
    """Subject and text of ``message`` as it would be sent now; None if it no longer applies.

    Renders no attachments and changes nothing, so the outbox page can show many.
    """
    registration = _reader(message)
    if not applies(message, registration):
        return None
    assert registration is not None
    with force_locale(message.locale):
        with_ticket = MessageKind(message.kind) in TICKET_KINDS and ticket_valid(registration)
        context = _context(message, registration, mail_identity(), with_ticket)
        text = render_template(f"mail/{message.kind}.txt", **context)
    return Preview(subject=one_line(context["subject"]), text=text)


def build_email(message: OutboxMessage) -> EmailMessage | None:
    """The complete MIME message for ``message``, or None if it should be discarded."""
    if message.kind in OFFICE_KINDS:
        return build_office_email(message, _message_domain())
    registration = _reader(message)
    if not applies(message, registration):
        return None
    assert registration is not None
    # An address that is none fails here, before any work, and for good. A test send
    # goes to the organizer who asked for it, never to the participant it shows.
    name, to = _address(message, registration)
    address = recipient(to)
    kind = MessageKind(message.kind)
    domain = _message_domain()
    identity = mail_identity()
    with force_locale(message.locale):
        with_ticket = kind in TICKET_KINDS and ticket_valid(registration)
        qr_cid = make_msgid("qr", domain=domain) if with_ticket else None
        context = _context(message, registration, identity, with_ticket)
        context["qr_cid"] = qr_cid[1:-1] if qr_cid else None
        text = render_template(f"mail/{kind}.txt", **context)
        html = render_template(f"mail/{kind}.html", **context)

    email = new_email(context["subject"], identity.sender, domain)
    set_recipient(email, name, address)
    if identity.reply_to:
        email["Reply-To"] = identity.reply_to
    # Keeps out-of-office replies away from the sender address.
    email["X-Auto-Response-Suppress"] = "All"
    if context["stop_url"]:
        optout.add_headers(email, context["stop_url"])
    email.set_content(text)
    email.add_alternative(html, subtype="html")
    if qr_cid:
        html_part = email.get_body(preferencelist=("html",))
        assert html_part is not None
        html_part.add_related(
            qr_png(registration.ticket_code),
            maintype="image",
            subtype="png",
            cid=qr_cid,
            filename="ticket-qr.png",
        )
    _attach_documents(email, kind, registration, with_ticket)
    # Last: building the MIME tree moves Content-* headers into the sub-parts.
    email["Content-Language"] = message.locale
    # Address the envelope to the current address: it may have been corrected since.
    message.recipient = to
    return email


def _attach_documents(
    email: EmailMessage, kind: MessageKind, registration: Registration, with_ticket: bool
) -> None:
    if kind in CALENDAR_KINDS and registration.is_active:
        email.add_attachment(
            registration_calendar(registration),
            maintype="text",
            subtype="calendar",
            filename=f"{registration.event.slug}.ics",
            params={"method": "PUBLISH", "charset": "utf-8"},
        )
    if with_ticket and kind != MessageKind.REMINDER:
        email.add_attachment(
            ticket_pdf(registration),
            maintype="application",
            subtype="pdf",
            filename=f"ticket-{registration.event.slug}.pdf",
        )
    if kind == MessageKind.GROUP_CONFIRMED:
        # Every member's valid ticket, so the registrant can pass them on.
        for position, member in enumerate(group_members(registration), start=1):
            if member.status == RegistrationStatus.CONFIRMED and ticket_valid(member):
                email.add_attachment(
                    ticket_pdf(member),
                    maintype="application",
                    subtype="pdf",
                    filename=f"ticket-{registration.event.slug}-{position}.pdf",
                )
