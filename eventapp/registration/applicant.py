"""What a person enters to register, and the rules it must meet whatever the channel."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, has_app_context
from flask_babel import gettext as _

from eventapp.models import Sector
from eventapp.models.registration import APPLICANT_MAX_LENGTHS
from eventapp.text import InvalidEmail, describe, email_key, forbidden_character, parse_email

DIETARY_PREFERENCES = ("", "vegetarian", "vegan", "gluten_free", "lactose_free")
# "" is no salutation: mails then greet with the full name ("Guten Tag Anna Müller").
SALUTATIONS = ("", "ms", "mr")

MAX_LENGTHS = APPLICANT_MAX_LENGTHS
# Text fields and whether they may hold line breaks; all else that is invisible or
# controls the terminal, the mail header or the text direction is refused.
TEXT_FIELDS = {
    "academic_title": False,
    "first_name": False,
    "last_name": False,
    "organisation": False,
    "municipality": False,
    "accessibility_needs": True,
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
    salutation: str = ""
    academic_title: str = ""


def normalize_email(email: str) -> str:
    """The form in which two addresses count as the same person (see ``eventapp.text``)."""
    return email_key(email)


def mailing_address(email: str) -> str:
    """The address to store and mail to: normalised when valid, else as entered."""
    try:
        return parse_email(email).address
    except InvalidEmail:
        return email.strip()


def smtputf8_enabled() -> bool:
    """Whether the mail server takes addresses with non-ASCII characters before the @."""
    return bool(has_app_context() and current_app.config.get("MAIL_SMTPUTF8"))


def email_problem(email: str) -> str | None:
    """Why ``email`` cannot be used for a registration, or None.

    A registration whose confirmation cannot be delivered would leave the person
    without a ticket, so an address the mail server cannot take is refused here.
    """
    try:
        address = parse_email(email)
    except InvalidEmail:
        return _("Please enter a valid email address.")
    if not address.ascii_local_part and not smtputf8_enabled():
        return _(
            "We cannot send email to addresses with special characters (such as umlauts) "
            "before the @. Please use another address."
        )
    return None


def text_problem(value: str, *, multiline: bool = False) -> str | None:
    """Why ``value`` cannot be stored in a text field, or None."""
    char = forbidden_character(value, multiline=multiline)
    if char is None:
        return None
    return _(
        "Line breaks, control characters and text direction overrides are not allowed "
        "here (found %(char)s).",
        char=describe(char),
    )


def validate_applicant(
    applicant: RegistrationInput, *, email_required: bool = True
) -> dict[str, str]:
    """Field name → message for each rule the input breaks; empty when it is fine.

    Without ``email_required`` (a group's member, a walk-in) an empty address is allowed;
    one that is given must still be valid.
    """
    errors: dict[str, str] = {}
    required = (
        ("first_name", "last_name", "email") if email_required else ("first_name", "last_name")
    )
    for name in required:
        if not getattr(applicant, name).strip():
            errors[name] = _("This field is required.")
    for name, limit in MAX_LENGTHS.items():
        if len(getattr(applicant, name) or "") > limit:
            errors[name] = _("At most %(n)d characters, please.", n=limit)
    for name, multiline in TEXT_FIELDS.items():
        problem = text_problem(getattr(applicant, name) or "", multiline=multiline)
        if problem and name not in errors:
            errors[name] = problem
    if "email" not in errors and (email_required or applicant.email.strip()):
        problem = email_problem(applicant.email)
        if problem:
            errors["email"] = problem
    if applicant.sector is not None and not isinstance(applicant.sector, Sector):
        errors["sector"] = _("Please choose one of the listed sectors.")
    if applicant.dietary_preference not in DIETARY_PREFERENCES:
        errors["dietary_preference"] = _("Please choose one of the listed options.")
    if applicant.salutation not in SALUTATIONS:
        errors["salutation"] = _("Please choose one of the listed options.")
    if applicant.consent_privacy is not True:
        errors["consent_privacy"] = _("Please agree to the privacy notice to register.")
    return errors
