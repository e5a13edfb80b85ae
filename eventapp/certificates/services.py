"""Who gets an attendance certificate, what it says, and the code that verifies it.

A certificate exists for a registration that is confirmed, was checked in at the entrance
and whose event has ended. Its verification code is made at the first download and kept
(``Registration.certificate_code``); cancelling stops it verifying, anonymising clears it.
"""

from __future__ import annotations

import enum
from datetime import datetime

from babel.numbers import format_decimal
from flask_babel import gettext as _
from sqlalchemy import exists, select, update

from eventapp.domain import Conflict, NotFound
from eventapp.extensions import db
from eventapp.models import (
    CheckIn,
    Event,
    EventStatus,
    Registration,
    RegistrationStatus,
    Session,
    utcnow,
)
from eventapp.models.checkin import ENTRANCE
from eventapp.models.registration import new_token
from eventapp.salutation import badge_name
from eventapp.tickets.services import event_dates
from eventapp.urls import public_url


class Refusal(enum.StrEnum):
    """Why a registration has no certificate (yet)."""

    NOT_YET = "not_yet"
    NOT_ATTENDED = "not_attended"


def _entrance_checked_in(registration: Registration) -> bool:
    if registration.checked_in_at is not None:
        return True
    return bool(
        db.session.scalar(
            select(
                exists().where(
                    CheckIn.registration_id == registration.id, CheckIn.list_key == ENTRANCE
                )
            )
        )
    )


def refusal(registration: Registration, now: datetime | None = None) -> Refusal | None:
    """None when ``registration`` has a certificate, else why not."""
    if (
        registration.status != RegistrationStatus.CONFIRMED
        or registration.anonymized_at is not None
        or registration.event.status == EventStatus.CANCELLED
        or not _entrance_checked_in(registration)
    ):
        return Refusal.NOT_ATTENDED
    if (now or utcnow()) < registration.event.ends_at:
        return Refusal.NOT_YET
    return None


def available(registration: Registration, now: datetime | None = None) -> bool:
    return refusal(registration, now) is None


def check_available(registration: Registration) -> None:
    """Raise the refusal as a domain error (404 not attended, 409 not yet)."""
    match refusal(registration):
        case Refusal.NOT_ATTENDED:
            raise NotFound(
                _(
                    "There is no certificate of attendance for this registration: "
                    "it was not checked in at the entrance."
                ),
                code="certificate_not_attended",
            )
        case Refusal.NOT_YET:
            raise Conflict(
                _("The certificate of attendance can be downloaded once the event has ended."),
                code="certificate_not_yet",
            )


def ensure_code(registration: Registration) -> str:
    """The certificate's verification code, made once; a concurrent first download keeps
    the code the other one stored, so both PDFs verify."""
    if registration.certificate_code:
        return registration.certificate_code
    db.session.execute(
        update(Registration)
        .where(Registration.id == registration.id, Registration.certificate_code.is_(None))
        .values(certificate_code=new_token())
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(registration, ["certificate_code"])
    assert registration.certificate_code
    return registration.certificate_code


def download_url(registration: Registration) -> str:
    return public_url("certificates.download", token=registration.manage_token)


def verification_url(code: str) -> str:
    return public_url("certificates.verify", code=code)


def attended_workshops(registration: Registration) -> list[Session]:
    """Workshops the person was checked in to, in programme order."""
    rows = db.session.execute(
        select(CheckIn.list_key).where(
            CheckIn.registration_id == registration.id, CheckIn.list_key.like("session:%")
        )
    ).scalars()
    ids = [int(key.removeprefix("session:")) for key in rows if key[8:].isdigit()]
    if not ids:
        return []
    return list(
        db.session.execute(
            select(Session)
            .where(Session.id.in_(ids), Session.event_id == registration.event_id)
            .order_by(Session.starts_at, Session.id)
        ).scalars()
    )


def duration_hours(event: Event, locale: str) -> str:
    """The event's length in hours, to a quarter hour: "7,5" (de), "7.5" (en)."""
    hours = round((event.ends_at - event.starts_at).total_seconds() / 900) / 4
    return format_decimal(hours, format="#,##0.##", locale=locale)


def event_date(event: Event, locale: str) -> str:
    return event_dates(event, locale)


def holder_name(registration: Registration) -> str:
    """Title and name, as a badge prints them ("Dr. Anna Müller")."""
    return badge_name(registration)


def by_code(code: str) -> Registration | None:
    """The registration whose certificate still verifies with ``code``."""
    if not code or len(code) > 64:
        return None
    registration = db.session.execute(
        select(Registration).where(Registration.certificate_code == code)
    ).scalar_one_or_none()
    if registration is None or refusal(registration) is not None:
        return None
    return registration


def event_certificates(event: Event) -> list[Registration]:
    """Every registration of ``event`` with a certificate, by last and first name, each
    with its verification code (made here for those not yet downloaded)."""
    registrations = db.session.execute(
        select(Registration)
        .where(
            Registration.event_id == event.id,
            Registration.status == RegistrationStatus.CONFIRMED,
            Registration.anonymized_at.is_(None),
        )
        .order_by(Registration.last_name, Registration.first_name, Registration.id)
    ).scalars()
    chosen = [r for r in registrations if available(r)]
    for registration in chosen:
        ensure_code(registration)
    chosen.sort(key=lambda r: (r.last_name.casefold(), r.first_name.casefold(), r.id))
    return chosen
