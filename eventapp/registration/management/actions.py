"""Organizer actions on one registration: the registration rules apply, the audit log records."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from eventapp.admin import audit
from eventapp.domain import Forbidden, InvalidInput
from eventapp.extensions import db
from eventapp.models import (
    ChangeKind,
    Event,
    Registration,
    RegistrationSource,
    RegistrationStatus,
    User,
    utcnow,
)
from eventapp.programme.editing import actor_name
from eventapp.registration import services as registration_services
from eventapp.registration.applicant import RegistrationInput, normalize_email
from eventapp.registration.privacy import anonymize_registrations

# The column's length (``Registration.attention_note``).
ATTENTION_NOTE_MAX_LENGTH = 300


def _state(registration: Registration) -> dict[str, Any]:
    """Status and workshop seats only: the audit log needs no more personal data."""
    return {
        "status": str(registration.status),
        "sessions": sorted(
            ({"id": c.session_id, "status": str(c.status)} for c in registration.choices),
            key=lambda choice: choice["id"],
        ),
    }


def _apply(user: User, action: str, registration: Registration, change, *args, **kwargs):
    before = _state(registration)
    # A refusal (a RegistrationError) goes up as it is: the views show any domain error.
    result = change(registration, *args, actor=actor_name(user), **kwargs)
    audit.record(user, action, registration, before, _state(registration))
    return result


def set_attention_note(user: User, registration: Registration, note: str) -> bool:
    """Set the organizers' note that door staff see on the scan; False if unchanged.

    Audited with the text before and after. Line breaks become spaces: the door shows
    one short line.
    """
    note = " ".join((note or "").split())
    if len(note) > ATTENTION_NOTE_MAX_LENGTH:
        raise InvalidInput(
            _("The note may have at most %(num)d characters.", num=ATTENTION_NOTE_MAX_LENGTH),
            field="attention_note",
        )
    if note == (registration.attention_note or ""):
        return False
    before = {"attention_note": registration.attention_note or ""}
    registration.attention_note = note
    audit.record(
        user, "registration.attention_note", registration, before, {"attention_note": note}
    )
    return True


def cancel(user: User, registration: Registration) -> list[Registration]:
    """Cancel on the person's behalf; waiting people move up as the rules say."""
    return _apply(
        user, "registration.cancel", registration, registration_services.cancel_registration
    )


def promote(user: User, registration: Registration, session_id: int | None = None) -> None:
    """Move a waiting person up to the event or to one workshop, if a seat is free."""
    _apply(
        user,
        "registration.promote",
        registration,
        registration_services.promote,
        session_id=session_id,
    )


def move(user: User, registration: Registration, from_session_id: int, to_session_id: int):
    """Move a person from one workshop to another; refused when the target is full."""
    return _apply(
        user,
        "registration.move",
        registration,
        registration_services.move_workshop,
        from_session_id,
        to_session_id,
    )


def erase(user: User, registration: Registration, now: datetime | None = None) -> bool:
    """Erase one person's data on request, as the purge does for a whole event.

    An active person is cancelled first, so the seat goes to the next one waiting; someone
    who was checked in, or whose event is over, keeps the status (the seat was used, and
    the counts stay true). The cancellation mail is discarded with the rest of the
    person's mail: there is nobody left to write to. The audit entry holds statuses only.
    Returns False when the data had been erased already.
    """
    if registration.anonymized_at is not None:
        return False
    now = now or utcnow()
    before = _state(registration)
    if registration.is_active and registration_services.cancellation_problem(registration) is None:
        registration_services.cancel_registration(registration, actor=actor_name(user), now=now)
    anonymize_registrations([registration], now)
    audit.record(user, "registration.erased", registration, before, _state(registration))
    return True


def register_for_person(
    user: User,
    event: Event,
    applicant: RegistrationInput,
    session_ids: Iterable[int],
    locale: str,
    *,
    over_capacity: bool = False,
    submission_key: str | None = None,
) -> Registration:
    """Register someone who asked the office (by phone, by letter) under the usual rules.

    Only organizers (role admin) may confirm beyond the event's capacity; whether a seat
    was given that way is in the history and the audit entry. The person gets the usual
    confirmation (or waiting-list) mail in ``locale``.
    """
    if over_capacity and not user.is_admin:
        raise Forbidden(_("Only organizers may confirm a registration beyond the capacity."))
    existing = existing_registration(event, applicant.email)
    if existing is not None and submission_key and existing.submission_key == submission_key:
        return existing  # the same form sent twice: registered (and audited) once
    registration = registration_services.register(
        event,
        applicant,
        session_ids,
        locale,
        submission_key=submission_key,
        actor=actor_name(user),
        source=RegistrationSource.OFFICE,
        over_capacity=over_capacity,
    )
    registered = next((c for c in registration.changes if c.kind == ChangeKind.REGISTERED), None)
    beyond = bool(registered is not None and (registered.detail or {}).get("over_capacity"))
    after = {**_state(registration), "source": str(RegistrationSource.OFFICE)}
    if beyond:
        after["over_capacity"] = True
    audit.record(user, "registration.office_create", registration, None, after)
    return registration


def existing_registration(event: Event, email: str) -> Registration | None:
    """The active registration of ``event`` holding ``email``, for the duplicate message."""
    key = normalize_email(email)
    if not key:
        return None
    return db.session.execute(
        select(Registration).where(
            Registration.event_id == event.id,
            Registration.email_normalized == key,
            Registration.status != RegistrationStatus.CANCELLED,
        )
    ).scalar_one_or_none()
