"""Self-service rules: asking for a new address and confirming it, mailing the link again.

Correcting the data itself is ``eventapp.registration.details`` (shared with the
office). Plain functions on models; the caller commits.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import case, select

from eventapp.extensions import db
from eventapp.mail.outbox import MessageKind, mail_locale, outbox_row
from eventapp.models import (
    ChangeKind,
    EmailChange,
    Event,
    Registration,
    RegistrationStatus,
    utcnow,
)
from eventapp.registration import details
from eventapp.registration.applicant import mailing_address, normalize_email
from eventapp.registration.errors import RegistrationError, RegistrationInactive
from eventapp.registration.waitlist import record_change
from eventapp.urls import confirmation_token

# How long the confirmation link to a new address works.
EMAIL_CHANGE_VALID_FOR = timedelta(hours=48)
PARTICIPANT = "participant"


class LinkInvalid(RegistrationError):
    """An address-change link that is unknown, used or expired (answered with 410 or 404)."""

    code = "link_invalid"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _erased(registration: Registration) -> bool:
    return registration.anonymized_at is not None


def request_email_change(
    registration: Registration, new_email: str, *, now: datetime | None = None
) -> EmailChange:
    """Ask for ``new_email``: a confirmation link goes to it; the address stays until then.

    Refused with a field message when the address is invalid, the same or held by another
    registration of the event. A newer request ends the links of earlier ones.
    """
    if _erased(registration):
        raise RegistrationInactive(_("The data of this registration has been erased."))
    refusal = details.address_refusal(registration, new_email)
    if refusal is not None:
        raise refusal
    now = now or utcnow()
    for earlier in pending_email_changes(registration, now):
        earlier.expires_at = now
    seed = secrets.token_urlsafe(32)
    change = EmailChange(
        registration=registration,
        new_email=mailing_address(new_email),
        token_hash=token_hash(confirmation_token(seed)),
        created_at=now,
        expires_at=now + EMAIL_CHANGE_VALID_FOR,
    )
    db.session.add(change)
    db.session.flush()
    record_change(registration, ChangeKind.EMAIL_CHANGE_REQUESTED, PARTICIPANT, now)
    # To the new address, not the registration's: written here, not by the listeners,
    # which mail the registration's own address. The seed, not the token, is stored.
    db.session.add(
        outbox_row(
            MessageKind.EMAIL_CHANGE,
            change.new_email,
            mail_locale(registration),
            registration,
            {"email_change_id": change.id, "seed": seed},
        )
    )
    db.session.flush()
    return change


def pending_email_changes(registration: Registration, now: datetime) -> list[EmailChange]:
    """Requests of ``registration`` whose link still works (at most one, the newest)."""
    return list(
        db.session.execute(
            select(EmailChange)
            .where(
                EmailChange.registration_id == registration.id,
                EmailChange.confirmed_at.is_(None),
                EmailChange.expires_at > now,
            )
            .order_by(EmailChange.id.desc())
        ).scalars()
    )


def email_change_for(token: str, now: datetime | None = None) -> EmailChange:
    """The request behind a link that still works; else ``LinkInvalid``."""
    now = now or utcnow()
    change = db.session.execute(
        select(EmailChange).where(EmailChange.token_hash == token_hash(token))
    ).scalar_one_or_none()
    if change is None or _erased(change.registration):
        raise LinkInvalid(_("This link is not valid. Please check that you copied all of it."))
    if change.confirmed_at is not None:
        raise LinkInvalid(_("This link has already been used."), code="link_used")
    if change.expires_at <= now:
        raise LinkInvalid(
            _("This link has expired. Please ask for the change again on your registration page."),
            code="link_expired",
        )
    return change


def confirm_email_change(token: str, *, now: datetime | None = None) -> Registration:
    """Make the requested address the registration's (once; the link then stops working).

    Refused with ``DuplicateRegistration`` when another registration of the event took
    the address in the meantime.
    """
    now = now or utcnow()
    change = email_change_for(token, now)
    registration = change.registration
    details.change_email(registration, change.new_email, PARTICIPANT, now=now)
    change.confirmed_at = now
    db.session.flush()
    return registration


def resend_manage_link(
    event: Event, email: str, *, now: datetime | None = None
) -> Registration | None:
    """Mail the manage link to ``email`` if it registered for ``event``; None if not.

    The active registration of that address, else its newest cancelled one (whose page
    still shows the status and offers the data download). Erased ones are never found.
    """
    now = now or utcnow()
    key = normalize_email(email)
    if not key:
        return None
    registration = db.session.execute(
        select(Registration)
        .where(
            Registration.event_id == event.id,
            Registration.email_normalized == key,
            Registration.anonymized_at.is_(None),
        )
        .order_by(
            case((Registration.status == RegistrationStatus.CANCELLED, 1), else_=0),
            Registration.created_at.desc(),
            Registration.id.desc(),
        )
        .limit(1)
    ).scalar_one_or_none()
    if registration is None or not registration.email:
        return None
    # The listeners turn this into the mail (MessageKind.MANAGE_LINK), with this time.
    record_change(
        registration, ChangeKind.MANAGE_LINK_SENT, PARTICIPANT, now, requested_at=now.isoformat()
    )
    db.session.flush()
    return registration
