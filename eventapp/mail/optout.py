"""Stopping announcements: the link in bulk mail, reminders and thank-you mail (RFC 8058).

Each such mail carries a personal link. Its token is the registration's id signed
with the secret key and a salt of its own, so it cannot be guessed, cannot be made
from another token of the service, and names exactly one registration. Opening the
link shows a page with a button; a mail provider's one-click POST
(``List-Unsubscribe=One-Click``) stops announcements without a page. Transactional
mail (confirmations, change notices) never carries the link: people need it.
"""

from __future__ import annotations

from email.message import EmailMessage

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import ColumnElement, func, select

from eventapp import urls
from eventapp.database import MAX_ID
from eventapp.extensions import db
from eventapp.models import (
    ChangeKind,
    Event,
    Registration,
    RegistrationChange,
    RegistrationStatus,
)
from eventapp.models.base import utcnow

SALT = "eventapp.announcements.stop"
# Mail a person may decline; the thank-you kind is written by the scheduler.
OPT_OUT_KINDS = frozenset({"announcement", "reminder", "thank_you"})
# The body of the one-click POST that RFC 8058 prescribes.
ONE_CLICK = "One-Click"

# For queries: registrations that still take announcements (bulk mail, reminders).
ANNOUNCEMENTS_ALLOWED: ColumnElement[bool] = Registration.announcements_stopped_at.is_(None)


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def stop_token(registration: Registration) -> str:
    """The token of ``registration``'s stop link (the same every time)."""
    return _serializer().dumps(registration.id)


def stop_url(registration: Registration, lang: str | None = None) -> str:
    """The absolute address of ``registration``'s page for stopping announcements, shown
    in ``lang`` (the mail's language) when given."""
    values = {"lang": lang} if lang else {}
    return urls.public_url("optout.stop", token=stop_token(registration), **values)


def registration_for(token: str) -> Registration | None:
    """The registration a token names; None for a forged, altered or outdated token."""
    try:
        registration_id = _serializer().loads(token)
    except BadSignature:
        return None
    # Only this service signs, but an old key's payload must not reach the database as junk.
    if type(registration_id) is not int or not 0 < registration_id <= MAX_ID:
        return None
    registration = db.session.get(Registration, registration_id)
    if registration is None or registration.anonymized_at is not None:
        return None
    return registration


def announcements_allowed(registration: Registration) -> bool:
    """Whether ``registration`` still takes bulk mail, reminders and thank-you mail."""
    return registration.announcements_stopped_at is None


def stop(registration: Registration, actor: str = "participant") -> bool:
    """Stop announcements for ``registration`` and note it in its history.

    False if they were stopped already (nothing changes, nothing is noted twice).
    """
    if registration.announcements_stopped_at is not None:
        return False
    registration.announcements_stopped_at = utcnow()
    db.session.add(
        RegistrationChange(
            registration=registration, kind=ChangeKind.ANNOUNCEMENTS_STOPPED, actor=actor
        )
    )
    return True


def resume(registration: Registration, actor: str = "participant") -> bool:
    """Undo ``stop``; False if announcements were not stopped."""
    if registration.announcements_stopped_at is None:
        return False
    registration.announcements_stopped_at = None
    db.session.add(
        RegistrationChange(
            registration=registration, kind=ChangeKind.ANNOUNCEMENTS_RESUMED, actor=actor
        )
    )
    return True


def stopped_count(event: Event) -> int:
    """How many active registrations of ``event`` stopped announcements."""
    return db.session.execute(
        select(func.count(Registration.id)).where(
            Registration.event_id == event.id,
            Registration.announcements_stopped_at.is_not(None),
            Registration.status != RegistrationStatus.CANCELLED,
            Registration.anonymized_at.is_(None),
        )
    ).scalar_one()


def add_headers(email: EmailMessage, url: str) -> None:
    """``List-Unsubscribe`` with the stop link, and the mark that it takes a one-click POST."""
    # Written unfolded: some providers read the address only from an unbroken line.
    email.set_raw("List-Unsubscribe", f"<{url}>")
    email["List-Unsubscribe-Post"] = f"List-Unsubscribe={ONE_CLICK}"
