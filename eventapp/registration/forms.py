"""Forms of the registration feature; workshop fields are built per event, one per slot."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    Field,
    FieldList,
    Form,
    FormField,
    HiddenField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from eventapp.content import localized
from eventapp.labels import DIETARY, SALUTATION, SECTOR
from eventapp.models import Question, Registration, Sector, Session
from eventapp.registration.applicant import (
    MAX_LENGTHS,
    RegistrationInput,
    email_problem,
    text_problem,
)
from eventapp.registration.errors import RegistrationError

# The one map of diet names lives with the other label maps.
DIETARY_LABELS = DIETARY


def no_control_characters(*, multiline: bool = False):
    """A validator refusing control characters and direction overrides (and line breaks
    unless ``multiline``): the same rule as the registration service's."""

    def validator(_form: FlaskForm, field: Field) -> None:
        problem = text_problem(field.data or "", multiline=multiline)
        if problem:
            raise ValidationError(problem)

    return validator


# What people type ends up in mail headers, calendar feeds and printed badges: names
# and titles are one line, longer texts may break lines; neither takes control
# characters or text direction overrides.
ONE_LINE = no_control_characters()
MULTILINE = no_control_characters(multiline=True)


def deliverable_email(_form: FlaskForm, field: Field) -> None:
    """The registration service's address rule: valid, and one our mail server can take."""
    problem = email_problem(field.data or "")
    if problem:
        raise ValidationError(problem)


class WorkshopFields:
    """A radio group per parallel slot: ``slot_0``, ``slot_1`` … each with "no workshop"."""

    slots: list[tuple[str, list[Session]]]

    def chosen_session_ids(self) -> list[int]:
        """The workshops picked in all slots."""
        return [int(self[name].data) for name, _slot in self.slots if self[name].data]


def _slot_field(slot: list[Session]) -> RadioField:
    return RadioField(
        _l("Workshop"),
        choices=[SelectChoice("", _l("No workshop"))]
        + [SelectChoice(str(s.id), localized(s, "title")) for s in slot],
        default="",
        validators=[Optional()],
    )


def _with_slots(base: type[FlaskForm], slots: list[list[Session]]) -> type[FlaskForm]:
    """A subclass of ``base`` with one radio group per slot (WTForms binds fields per class)."""
    fields: dict[str, Field] = {f"slot_{i}": _slot_field(slot) for i, slot in enumerate(slots)}
    form_class = type(base.__name__, (base,), fields)
    form_class.slots = [(f"slot_{i}", slot) for i, slot in enumerate(slots)]
    return form_class


class RegistrationForm(FlaskForm, WorkshopFields):
    """The registration form; ``registration_form`` adds the event's workshop slots."""

    salutation = SelectField(
        _l("Salutation"),
        choices=[SelectChoice(value, label) for value, label in SALUTATION.items()],
        default="",
        validators=[Optional()],
    )
    academic_title = StringField(
        _l("Title"),
        validators=[Optional(), Length(max=MAX_LENGTHS["academic_title"]), ONE_LINE],
        render_kw={"autocomplete": "honorific-prefix"},
    )
    first_name = StringField(
        _l("First name"),
        validators=[DataRequired(), Length(max=MAX_LENGTHS["first_name"]), ONE_LINE],
        render_kw={"autocomplete": "given-name"},
    )
    last_name = StringField(
        _l("Last name"),
        validators=[DataRequired(), Length(max=MAX_LENGTHS["last_name"]), ONE_LINE],
        render_kw={"autocomplete": "family-name"},
    )
    email = EmailField(
        _l("Email"),
        validators=[DataRequired(), Length(max=MAX_LENGTHS["email"]), deliverable_email],
        render_kw={"autocomplete": "email"},
    )
    organisation = StringField(
        _l("Organisation"),
        validators=[Optional(), Length(max=MAX_LENGTHS["organisation"]), ONE_LINE],
        render_kw={"autocomplete": "organization"},
    )
    sector = SelectField(
        _l("Sector"),
        choices=[SelectChoice("", _l("Please choose"))]
        + [SelectChoice(s.value, label) for s, label in SECTOR.items()],
        default="",
        validators=[Optional()],
    )
    municipality = StringField(
        _l("Municipality"),
        validators=[Optional(), Length(max=MAX_LENGTHS["municipality"]), ONE_LINE],
    )
    accessibility_needs = TextAreaField(
        _l("Accessibility needs"),
        validators=[
            Optional(),
            Length(max=MAX_LENGTHS["accessibility_needs"]),
            MULTILINE,
        ],
    )
    dietary_preference = SelectField(
        _l("Dietary preference"),
        choices=[SelectChoice(value, label) for value, label in DIETARY_LABELS.items()],
        default="",
        validators=[Optional()],
    )
    photo_consent = BooleanField(_l("Photos of me taken at the event may be published."))
    consent_privacy = BooleanField(
        _l("I have read the privacy notice and agree to my data being processed."),
        validators=[DataRequired(message=_l("Please agree to the privacy notice to register."))],
    )
    submission_key = HiddenField(validators=[Optional(), Length(max=64)])

    def applicant(self) -> RegistrationInput:
        """The entered person, as the service takes it."""
        return RegistrationInput(
            salutation=self.salutation.data or "",
            academic_title=self.academic_title.data or "",
            first_name=self.first_name.data or "",
            last_name=self.last_name.data or "",
            email=self.email.data or "",
            consent_privacy=bool(self.consent_privacy.data),
            organisation=self.organisation.data or "",
            sector=Sector(self.sector.data) if self.sector.data else None,
            municipality=self.municipality.data or "",
            accessibility_needs=self.accessibility_needs.data or "",
            dietary_preference=self.dietary_preference.data or "",
            photo_consent=bool(self.photo_consent.data),
        )

    def show_error(self, error: RegistrationError) -> bool:
        """Put a refusal next to the fields it concerns; False when it concerns no field."""
        shown = False
        for name, message in error.fields.items():
            # The service names an answer ``answers.<question id>``; its field is question_<id>.
            name = name.replace("answers.", "question_", 1)
            if name == "session_ids":
                self.workshop_error = message
                shown = True
            elif name in self._fields:
                self[name].errors = [*self[name].errors, message]
                shown = True
        return shown

    workshop_error: str | None = None


class MemberForm(Form):
    """One colleague's row in the group form; a row left empty is no colleague.

    Names are required only for a row that has anything in it: the group service says so.
    """

    first_name = StringField(
        _l("First name"),
        validators=[Optional(), Length(max=MAX_LENGTHS["first_name"]), ONE_LINE],
    )
    last_name = StringField(
        _l("Last name"),
        validators=[Optional(), Length(max=MAX_LENGTHS["last_name"]), ONE_LINE],
    )
    email = EmailField(
        _l("Email"),
        validators=[Optional(), Length(max=MAX_LENGTHS["email"]), deliverable_email],
    )
    organisation = StringField(
        _l("Organisation"),
        validators=[Optional(), Length(max=MAX_LENGTHS["organisation"]), ONE_LINE],
    )

    def is_empty(self) -> bool:
        return not any((self[name].data or "").strip() for name in MEMBER_FIELDS)

    def applicant(self) -> RegistrationInput:
        return RegistrationInput(
            first_name=self.first_name.data or "",
            last_name=self.last_name.data or "",
            email=self.email.data or "",
            consent_privacy=True,
            organisation=self.organisation.data or "",
        )


MEMBER_FIELDS = ("first_name", "last_name", "email", "organisation")
# Rows the group form shows at first, and the most it takes from a request at all.
FIRST_ROWS = 3
MAX_ROWS = 100


class GroupRegistrationForm(RegistrationForm):
    """The registrant's fields (as in the single form) plus one row per colleague."""

    members = FieldList(FormField(MemberForm), min_entries=1, max_entries=MAX_ROWS)
    members_error: str | None = None
    # Index of each filled row, in the order the colleagues are handed to the service.
    filled_rows: list[int]

    def members_entered(self) -> list[RegistrationInput]:
        """The colleagues of the filled rows, in order (empty rows are skipped)."""
        self.filled_rows = [i for i, row in enumerate(self.members) if not row.form.is_empty()]
        return [self.members[i].form.applicant() for i in self.filled_rows]

    def show_error(self, error: RegistrationError) -> bool:
        """Registrant's fields as in the single form; ``members.<n>.<field>`` on its row."""
        registrant = {k: v for k, v in error.fields.items() if not k.startswith("members")}
        shown = super().show_error(RegistrationError(error.message, fields=registrant))
        for name, message in error.fields.items():
            if name == "members":
                self.members_error = message
                shown = True
                continue
            parts = name.split(".")
            if len(parts) != 3 or parts[0] != "members" or not parts[1].isdigit():
                continue
            index = int(parts[1])
            rows = getattr(self, "filled_rows", [])
            if index < len(rows) and parts[2] in MEMBER_FIELDS:
                field = self.members[rows[index]].form[parts[2]]
                field.errors = [*field.errors, message]
                shown = True
        return shown


class WorkshopChoiceForm(FlaskForm, WorkshopFields):
    """Change the workshops of an existing registration."""

    workshop_error: str | None = None

    def preselect(self, registration: Registration) -> None:
        """Mark the current choices (on GET, not over what was just sent)."""
        chosen = {c.session_id for c in registration.choices}
        for name, slot in self.slots:
            picked = [s for s in slot if s.id in chosen]
            self[name].data = str(picked[0].id) if picked else ""


class ConfirmForm(FlaskForm):
    """An empty form: just the CSRF token, for buttons that change something."""


def registration_form(
    slots: list[list[Session]],
    questions: list[Question] = (),
    base: type[RegistrationForm] = RegistrationForm,
    **kwargs,
) -> RegistrationForm:
    """The registration form (or ``base``, a variant of it) with the event's workshop slots
    and its own questions (``question_<id>``)."""
    # Imported here: the questions package builds on this one (errors, text rules), so a
    # module-level import would leave one of the two half-loaded, whichever comes first.
    from eventapp.questions.forms import with_questions

    return with_questions(_with_slots(base, slots), list(questions))(**kwargs)


def group_form(
    slots: list[list[Session]], rows: int, questions: list[Question] = (), **kwargs
) -> GroupRegistrationForm:
    """The group form with the event's workshop slots, the questions for the registrant
    and at least ``rows`` colleague rows."""
    form = registration_form(slots, questions, base=GroupRegistrationForm, **kwargs)
    while len(form.members) < min(rows, MAX_ROWS):
        form.members.append_entry()
    return form


def workshop_form(slots: list[list[Session]], **kwargs) -> WorkshopChoiceForm:
    return _with_slots(WorkshopChoiceForm, slots)(**kwargs)
