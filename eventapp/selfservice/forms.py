"""Forms of the self-service pages; the data fields are the registration form's own."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField
from wtforms.validators import DataRequired, Length

from eventapp.models import Registration
from eventapp.registration.applicant import MAX_LENGTHS
from eventapp.registration.details import EDITABLE, current_details
from eventapp.registration.errors import RegistrationError
from eventapp.registration.forms import RegistrationForm, deliverable_email


class DetailsForm(FlaskForm):
    """The participant's own data, as on the registration form (without the address).

    The fields are the registration form's own (labels, choices, validators), so both
    pages give the same messages for the same input.
    """

    salutation = RegistrationForm.salutation
    academic_title = RegistrationForm.academic_title
    first_name = RegistrationForm.first_name
    last_name = RegistrationForm.last_name
    organisation = RegistrationForm.organisation
    sector = RegistrationForm.sector
    municipality = RegistrationForm.municipality
    accessibility_needs = RegistrationForm.accessibility_needs
    dietary_preference = RegistrationForm.dietary_preference
    photo_consent = RegistrationForm.photo_consent

    def fill(self, registration: Registration) -> None:
        """Start from what is stored (on GET, not over what was just sent)."""
        for name, value in current_details(registration).items():
            self[name].data = value.value if hasattr(value, "value") else value

    def values(self) -> dict[str, object]:
        """What was sent, as ``details.update_details`` takes it."""
        values = {name: self[name].data for name in EDITABLE}
        values["photo_consent"] = bool(values["photo_consent"])
        for name in ("salutation", "sector", "dietary_preference"):
            values[name] = values[name] or ""
        return values

    def show_error(self, error: RegistrationError) -> bool:
        """Put a refusal next to the fields it names; False when it names none of them."""
        shown = False
        for name, message in error.fields.items():
            if name in self._fields:
                self[name].errors = [*self[name].errors, message]
                shown = True
        return shown


def _address_field(label):
    return EmailField(
        label,
        validators=[DataRequired(), Length(max=MAX_LENGTHS["email"]), deliverable_email],
        render_kw={"autocomplete": "email"},
    )


class EmailChangeForm(FlaskForm):
    """A new address for the registration; it takes effect once confirmed from it."""

    email = _address_field(_l("New email address"))


class ResendForm(FlaskForm):
    """The address a person registered with, to mail the manage link to it again."""

    email = _address_field(_l("Email"))
