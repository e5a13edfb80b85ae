"""Correcting a person's data after registering: by them on the manage page or by the office.

The same rules as at registration apply (``applicant.validate_applicant``). Every change
is written to the registration's history (which fields, by whom) and to the audit log
(before and after); the caller commits.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields as dataclass_fields
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from eventapp.admin.audit import record as audit
from eventapp.extensions import db
from eventapp.models import ChangeKind, Registration, Sector, User, utcnow
from eventapp.registration.applicant import (
    RegistrationInput,
    email_problem,
    mailing_address,
    normalize_email,
    validate_applicant,
)
from eventapp.registration.errors import (
    DuplicateRegistration,
    InvalidRegistration,
    RegistrationError,
    RegistrationInactive,
)
from eventapp.registration.waitlist import lock_event, record_change

# What a person (or the office for them) may correct; the address has its own way.
EDITABLE = (
    "salutation",
    "academic_title",
    "first_name",
    "last_name",
    "organisation",
    "sector",
    "municipality",
    "accessibility_needs",
    "dietary_preference",
    "photo_consent",
)
_STRIPPED = {
    "academic_title",
    "first_name",
    "last_name",
    "organisation",
    "municipality",
    "accessibility_needs",
}


def current_details(registration: Registration) -> dict[str, Any]:
    """The editable fields as they are now (the form's starting values)."""
    return {name: getattr(registration, name) for name in EDITABLE}


def _editable(registration: Registration) -> None:
    if registration.anonymized_at is not None:
        raise RegistrationInactive(_("The data of this registration has been erased."))


def _cleaned(values: Mapping[str, Any]) -> dict[str, Any]:
    unknown = set(values) - set(EDITABLE)
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    cleaned = dict(values)
    for name in _STRIPPED & set(cleaned):
        cleaned[name] = (cleaned[name] or "").strip()
    sector = cleaned.get("sector")
    if sector == "":
        cleaned["sector"] = None
    elif isinstance(sector, str) and sector in {member.value for member in Sector}:
        cleaned["sector"] = Sector(sector)
    # Anything else is left for validate_applicant to refuse with its message.
    return cleaned


def _validate(registration: Registration, values: dict[str, Any]) -> None:
    merged = {**current_details(registration), **values}
    known = {field.name for field in dataclass_fields(RegistrationInput)}
    applicant = RegistrationInput(
        email=registration.email,
        consent_privacy=True,
        **{name: value for name, value in merged.items() if name in known},
    )
    errors = validate_applicant(applicant, email_required=False)
    errors = {name: message for name, message in errors.items() if name in values}
    if errors:
        raise InvalidRegistration(_("Please correct the marked fields."), fields=errors)


def update_details(
    registration: Registration,
    values: Mapping[str, Any],
    actor: str,
    *,
    user: User | None = None,
    now: datetime | None = None,
) -> list[str]:
    """Apply the changed ``values`` (a subset of ``EDITABLE``); return the changed names.

    Withdrawing the consent to photos records the time (``photo_consent_withdrawn_at``);
    giving it again clears that time, while the history keeps both. ``actor`` is written
    to the history ("participant" or the staff member's address), ``user`` to the audit log.
    """
    _editable(registration)
    now = now or utcnow()
    cleaned = _cleaned(values)
    _validate(registration, cleaned)
    before = current_details(registration)
    changed = [name for name in EDITABLE if name in cleaned and cleaned[name] != before[name]]
    if not changed:
        return []
    for name in changed:
        setattr(registration, name, cleaned[name])
    if "photo_consent" in changed:
        registration.photo_consent_withdrawn_at = None if registration.photo_consent else now
    record_change(registration, ChangeKind.DETAILS_CHANGED, actor, now, fields=changed)
    audit(
        user,
        "registration.details_changed",
        registration,
        {name: _plain(before[name]) for name in changed},
        {name: _plain(cleaned[name]) for name in changed},
    )
    db.session.flush()
    return changed


def _plain(value: Any) -> Any:
    return str(value) if isinstance(value, Sector) else value


def address_refusal(registration: Registration, new_email: str) -> RegistrationError | None:
    """Why ``new_email`` cannot become the registration's address (for the field
    ``email``), or None when it can."""
    if not new_email.strip():
        return InvalidRegistration(_("This field is required."), field="email")
    problem = email_problem(new_email)
    if problem:
        return InvalidRegistration(problem, field="email")
    key = normalize_email(new_email)
    if key == registration.email_normalized:
        message = _("This is already the address of this registration.")
        return InvalidRegistration(message, field="email")
    if _holder(registration, key) is not None:
        return _taken()
    return None


def _taken() -> DuplicateRegistration:
    message = _("This email address is already registered for this event.")
    return DuplicateRegistration(message, field="email")


def _holder(registration: Registration, key: str) -> Registration | None:
    """Another active registration of the same event with the address ``key``."""
    return db.session.execute(
        select(Registration).where(
            Registration.event_id == registration.event_id,
            Registration.email_normalized == key,
            Registration.status != "cancelled",
            Registration.id != registration.id,
        )
    ).scalar_one_or_none()


def change_email(
    registration: Registration,
    new_email: str,
    actor: str,
    *,
    user: User | None = None,
    now: datetime | None = None,
) -> None:
    """Make ``new_email`` the registration's address at once (the office, or a confirmed
    change). Refused with a field message when invalid or held by another registration."""
    _editable(registration)
    # Under the event lock, like a registration: the address check and the new address
    # cannot interleave with a newcomer's check of the same address.
    lock_event(registration.event_id)
    refusal = address_refusal(registration, new_email)
    if refusal is not None:
        raise refusal
    now = now or utcnow()
    before = registration.email
    registration.email = mailing_address(new_email)
    registration.email_normalized = normalize_email(new_email)
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:
        # Another registration took the address at the same moment (the unique index).
        raise _taken() from None
    record_change(registration, ChangeKind.EMAIL_CHANGED, actor, now)
    audit(
        user,
        "registration.email_changed",
        registration,
        {"email": before},
        {"email": registration.email},
    )
    db.session.flush()
