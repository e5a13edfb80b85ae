"""What a person enters to register, and the rules it must meet whatever the channel."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _

from eventapp.models import Sector

DIETARY_PREFERENCES = ("", "vegetarian", "vegan", "gluten_free", "lactose_free")

MAX_LENGTHS = {
    "first_name": 100,
    "last_name": 100,
    "email": 254,
    "organisation": 200,
    "municipality": 120,
    "accessibility_needs": 1000,
}


@dataclass
class RegistrationInput:
    """What a person enters to register; validated again here whatever the channel."""

    first_name: str
    last_name: str
    email: str
    consent_privacy: bool
    organisation: str = ""
    sector: Sector | None = None
    municipality: str = ""
    accessibility_needs: str = ""
    dietary_preference: str = ""
    photo_consent: bool = False


def normalize_email(email: str) -> str:
    """The form in which two addresses count as the same person."""
    return email.strip().lower()


def validate_applicant(applicant: RegistrationInput) -> dict[str, str]:
    """Field name → message for each rule the input breaks; empty when it is fine."""
    errors: dict[str, str] = {}
    for name in ("first_name", "last_name", "email"):
        if not getattr(applicant, name).strip():
            errors[name] = _("This field is required.")
    for name, limit in MAX_LENGTHS.items():
        if len(getattr(applicant, name) or "") > limit:
            errors[name] = _("At most %(n)d characters, please.", n=limit)
    email = applicant.email.strip()
    if "email" not in errors and ("@" not in email or " " in email):
        errors["email"] = _("Please enter a valid email address.")
    if applicant.sector is not None and not isinstance(applicant.sector, Sector):
        errors["sector"] = _("Please choose one of the listed sectors.")
    if applicant.dietary_preference not in DIETARY_PREFERENCES:
        errors["dietary_preference"] = _("Please choose one of the listed options.")
    if applicant.consent_privacy is not True:
        errors["consent_privacy"] = _("Please agree to the privacy notice to register.")
    return errors
