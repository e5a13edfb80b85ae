"""Forms for managing registrations: the participant filter, moves, promotions, bulk mail."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    Field,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from eventapp.database import MAX_ID
from eventapp.labels import SECTOR
from eventapp.mail.placeholders import unknown_placeholders
from eventapp.models import Event, RegistrationStatus
from eventapp.programme.forms import optional_int
from eventapp.registration.details import EDITABLE
from eventapp.registration.forms import MULTILINE, ONE_LINE, RegistrationForm
from eventapp.registration.management.actions import ATTENTION_NOTE_MAX_LENGTH
from eventapp.registration.management.bulk_mail import BulkText, unknown_placeholder_message

ACTIVE = "active"  # the status filter for confirmed and waitlisted together


class MoveForm(FlaskForm):
    # Choices are only offered for display: the registration rules decide what is allowed.
    # The range keeps ids that no column can hold away from the database.
    from_session_id = SelectField(
        _l("From workshop"),
        coerce=int,
        validate_choice=False,
        validators=[InputRequired(), NumberRange(1, MAX_ID)],
    )
    to_session_id = SelectField(
        _l("To workshop"),
        coerce=int,
        validate_choice=False,
        validators=[InputRequired(), NumberRange(1, MAX_ID)],
    )


class PromoteForm(FlaskForm):
    """Without a session: to the event; with one: to that workshop's seat."""

    session_id = IntegerField(validators=[Optional(), NumberRange(1, MAX_ID)])


def _status_choices() -> list[SelectChoice]:
    return [
        SelectChoice("", _l("All")),
        SelectChoice(ACTIVE, _l("Confirmed or waitlisted")),
        SelectChoice(RegistrationStatus.CONFIRMED.value, _l("Confirmed")),
        SelectChoice(RegistrationStatus.WAITLISTED.value, _l("Waitlisted")),
        SelectChoice(RegistrationStatus.CANCELLED.value, _l("Cancelled")),
    ]


def _sector_choices() -> list[SelectChoice]:
    return [
        SelectChoice("", _l("All sectors")),
        *(SelectChoice(sector.value, label) for sector, label in SECTOR.items()),
    ]


class ParticipantFilterForm(FlaskForm):
    """Which participants: used by the registration list (GET) and the bulk email."""

    q = StringField(_l("Search"), validators=[Optional(), Length(max=200)])
    status = SelectField(_l("Status"), validators=[Optional()])
    workshop = SelectField(_l("Workshop"), coerce=optional_int, validators=[Optional()])
    sector = SelectField(_l("Sector"), validators=[Optional()])

    def for_event(self, event: Event) -> ParticipantFilterForm:
        self.status.choices = _status_choices()
        self.sector.choices = _sector_choices()
        self.workshop.choices = [SelectChoice("0", _l("All workshops"))] + [
            SelectChoice(str(s.id), s.title) for s in event.sessions if s.needs_choice
        ]
        return self

    def filters(self) -> dict[str, Any]:
        return {
            "q": (self.q.data or "").strip(),
            "status": self.status.data or None,
            "session_id": self.workshop.data,
            "sector": self.sector.data or None,
        }


class RegistrationSearchForm(ParticipantFilterForm):
    mail_failed = BooleanField(_l("Only where the last mail failed"))

    class Meta:
        csrf = False  # a GET search changes nothing

    def filters(self) -> dict[str, Any]:
        return {**super().filters(), "mail_failed": bool(self.mail_failed.data)}


def known_placeholders_only(_form: FlaskForm, field: Field) -> None:
    """Refuse a placeholder that is not on the list: it would reach people as written."""
    unknown = unknown_placeholders(field.data or "")
    if unknown:
        raise ValidationError(unknown_placeholder_message(unknown))


class BulkMailForm(ParticipantFilterForm):
    status = SelectField(_l("Status"), default=ACTIVE, validators=[Optional()])
    subject = StringField(
        _l("Subject (German)"),
        validators=[DataRequired(), Length(max=200), ONE_LINE, known_placeholders_only],
    )
    body = TextAreaField(
        _l("Message (German)"),
        validators=[DataRequired(), Length(max=20000), MULTILINE, known_placeholders_only],
    )
    subject_en = StringField(
        _l("Subject (English, optional)"),
        validators=[Optional(), Length(max=200), ONE_LINE, known_placeholders_only],
    )
    body_en = TextAreaField(
        _l("Message (English, optional)"),
        validators=[Optional(), Length(max=20000), MULTILINE, known_placeholders_only],
    )
    previewed = HiddenField()  # the preview's fingerprint: no sending without a preview
    # Issued with the form, used by one send only: posting the form again sends nothing.
    send_key = HiddenField(validators=[Optional(), Length(max=64)])
    # The count the organizer confirmed in the second step of a send to many people.
    confirmed_count = IntegerField(validators=[Optional(), NumberRange(0, MAX_ID)])

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        subject_en = (self.subject_en.data or "").strip()
        body_en = (self.body_en.data or "").strip()
        # Half an English text would reach English readers as a German mail: ask for both.
        if bool(subject_en) != bool(body_en):
            missing = self.body_en if subject_en else self.subject_en
            missing.errors = [
                *missing.errors,
                _l("Please give the English subject and text together, or neither."),
            ]
            return False
        return valid

    def text(self) -> BulkText:
        return BulkText(
            subject_de=self.subject.data or "",
            body_de=self.body.data or "",
            subject_en=(self.subject_en.data or "").strip(),
            body_en=(self.body_en.data or "").strip(),
        )


# --- the office's forms for one person: the registration form's own field definitions ----


class _Details(FlaskForm):
    def values(self) -> dict[str, Any]:
        return {name: self[name].data for name in EDITABLE}


# Correct a participant's data: the editable fields (``details.EDITABLE``) exactly as the
# registration form defines them; the address is corrected with ``EmailCorrectionForm``.
DetailsForm = type(
    "DetailsForm", (_Details,), {name: getattr(RegistrationForm, name) for name in EDITABLE}
)


class EmailCorrectionForm(FlaskForm):
    """The office corrects the address at once: it has checked it with the person."""

    email = RegistrationForm.email


class AttentionNoteForm(FlaskForm):
    """The organizers' note for the door (e.g. "reserved wheelchair place, row 1")."""

    attention_note = TextAreaField(
        _l("Note for the door"),
        validators=[Optional(), Length(max=ATTENTION_NOTE_MAX_LENGTH), MULTILINE],
    )


def _language_choices() -> list[SelectChoice]:
    return [SelectChoice("de", _l("German")), SelectChoice("en", _l("English"))]


class OfficeRegistrationForm(RegistrationForm):
    """The registration form as the office fills it in for someone who phoned in."""

    consent_privacy = BooleanField(
        _l("The person was informed of the privacy notice."),
        validators=[
            DataRequired(
                message=_l("Please confirm that the person was informed of the privacy notice.")
            )
        ],
    )
    locale = SelectField(_l("Language of the emails"), choices=_language_choices(), default="de")
    over_capacity = BooleanField(_l("Confirm even though the event is full"))
