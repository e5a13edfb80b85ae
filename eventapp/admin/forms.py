"""Forms of the back office; every one that changes something carries a CSRF token."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    DecimalField,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields import ColorField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    AnyOf,
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)

from eventapp.database import MAX_ID
from eventapp.labels import EVENT_KIND, SECTOR, SESSION_KIND
from eventapp.models import (
    Event,
    EventKind,
    EventStatus,
    RegistrationStatus,
    SessionKind,
)
from eventapp.numbers import whole_number
from eventapp.registration.forms import MULTILINE, ONE_LINE

LOCAL_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"]
SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
ACTIVE = "active"  # the status filter for confirmed and waitlisted together


def optional_int(value: Any) -> int | None:
    """Coerce a select's value; the empty choice means none."""
    if value in (None, "", "None", "0", 0):
        return None
    number = whole_number(str(value))
    if number is None:
        raise ValueError(value)  # WTForms shows it as a choice that is not offered
    return number


def valid_timezone(_form: FlaskForm, field: StringField) -> None:
    try:
        ZoneInfo(field.data or "")
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValidationError(_l("Unknown time zone, e.g. Europe/Berlin.")) from exc


def without_csrf(form: FlaskForm) -> dict[str, Any]:
    """The form's values for a service, without the token and buttons."""
    return {k: v for k, v in form.data.items() if k not in ("csrf_token", "submit")}


class EventForm(FlaskForm):
    kind = SelectField(
        _l("Kind"),
        choices=[SelectChoice(kind.value, label) for kind, label in EVENT_KIND.items()],
        validators=[InputRequired()],
    )
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200), ONE_LINE])
    slug = StringField(
        _l("Address (slug)"),
        validators=[
            DataRequired(),
            Length(max=80),
            Regexp(SLUG_PATTERN, message=_l("Lower-case letters, digits and hyphens only.")),
        ],
    )
    summary = TextAreaField(_l("Summary"), validators=[Optional(), Length(max=2000), MULTILINE])
    description = TextAreaField(
        _l("Description"), validators=[Optional(), Length(max=20000), MULTILINE]
    )
    timezone = StringField(
        _l("Time zone"), default="Europe/Berlin", validators=[DataRequired(), valid_timezone]
    )
    starts_at = DateTimeLocalField(_l("Starts"), format=LOCAL_FORMATS, validators=[DataRequired()])
    ends_at = DateTimeLocalField(_l("Ends"), format=LOCAL_FORMATS, validators=[DataRequired()])
    venue = StringField(_l("Venue"), validators=[Optional(), Length(max=200), ONE_LINE])
    address = StringField(_l("Address"), validators=[Optional(), Length(max=300), ONE_LINE])
    municipality = StringField(
        _l("Municipality"), validators=[Optional(), Length(max=120), ONE_LINE]
    )
    meeting_point = StringField(
        _l("Meeting point"), validators=[Optional(), Length(max=300), ONE_LINE]
    )
    latitude = DecimalField(_l("Latitude"), places=6, validators=[Optional(), NumberRange(-90, 90)])
    longitude = DecimalField(
        _l("Longitude"), places=6, validators=[Optional(), NumberRange(-180, 180)]
    )
    capacity = IntegerField(
        _l("Capacity"), validators=[Optional(), NumberRange(min=1, max=1_000_000)]
    )
    registration_opens_at = DateTimeLocalField(
        _l("Registration opens"), format=LOCAL_FORMATS, validators=[Optional()]
    )
    registration_closes_at = DateTimeLocalField(
        _l("Registration closes"), format=LOCAL_FORMATS, validators=[Optional()]
    )
    waitlist_enabled = BooleanField(_l("Waiting list when full"), default=True)

    def service_values(self) -> dict[str, Any]:
        values = without_csrf(self)
        values["kind"] = EventKind(values["kind"])
        for key in ("summary", "description", "venue", "address", "municipality", "meeting_point"):
            values[key] = (values[key] or "").strip()
        values["title"] = values["title"].strip()
        return values


class EventStatusForm(FlaskForm):
    status = HiddenField(validators=[AnyOf([status.value for status in EventStatus])])


class SessionForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200), ONE_LINE])
    kind = SelectField(
        _l("Kind"),
        choices=[SelectChoice(kind.value, label) for kind, label in SESSION_KIND.items()],
        validators=[InputRequired()],
    )
    abstract = TextAreaField(_l("Abstract"), validators=[Optional(), Length(max=20000), MULTILINE])
    starts_at = DateTimeLocalField(_l("Starts"), format=LOCAL_FORMATS, validators=[DataRequired()])
    ends_at = DateTimeLocalField(_l("Ends"), format=LOCAL_FORMATS, validators=[DataRequired()])
    track_id = SelectField(_l("Track"), coerce=optional_int, validators=[Optional()])
    room_id = SelectField(_l("Room"), coerce=optional_int, validators=[Optional()])
    speaker_ids = SelectMultipleField(_l("Speakers"), coerce=int, validators=[Optional()])
    capacity = IntegerField(
        _l("Seats (empty: no limit)"), validators=[Optional(), NumberRange(min=1, max=100_000)]
    )

    def for_event(self, event: Event) -> SessionForm:
        """Offer only this event's tracks, rooms and speakers."""
        none = [SelectChoice("0", "—")]
        self.track_id.choices = none + [SelectChoice(str(t.id), t.name) for t in event.tracks]
        self.room_id.choices = none + [SelectChoice(str(r.id), r.name) for r in event.rooms]
        self.speaker_ids.choices = [SelectChoice(str(s.id), s.name) for s in event.speakers]
        return self

    def service_values(self) -> dict[str, Any]:
        values = without_csrf(self)
        values["kind"] = SessionKind(values["kind"])
        values["title"] = values["title"].strip()
        values["abstract"] = (values["abstract"] or "").strip()
        values["speaker_ids"] = values["speaker_ids"] or []
        return values


class TrackForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120), ONE_LINE])
    colour = ColorField(
        _l("Colour"),
        default="#33658a",
        validators=[
            DataRequired(),
            Regexp(r"^#[0-9a-fA-F]{6}$", message=_l("A colour like #33658a.")),
        ],
    )
    position = IntegerField(_l("Position"), default=0, validators=[Optional(), NumberRange(0, 999)])


class RoomForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120), ONE_LINE])
    capacity = IntegerField(
        _l("Capacity"), validators=[Optional(), NumberRange(min=1, max=100_000)]
    )
    position = IntegerField(_l("Position"), default=0, validators=[Optional(), NumberRange(0, 999)])


class SpeakerForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=160), ONE_LINE])
    organisation = StringField(
        _l("Organisation"), validators=[Optional(), Length(max=200), ONE_LINE]
    )
    role_title = StringField(_l("Role"), validators=[Optional(), Length(max=200), ONE_LINE])
    bio = TextAreaField(_l("Biography"), validators=[Optional(), Length(max=5000), MULTILINE])


def catalogue_values(form: FlaskForm) -> dict[str, Any]:
    values = without_csrf(form)
    for key, value in values.items():
        if isinstance(value, str):
            values[key] = value.strip()
    if values.get("position") is None and "position" in values:
        values["position"] = 0
    return values


class ConfirmForm(FlaskForm):
    """Only the CSRF token: for buttons that change something (cancel, delete, resend)."""


class RetryForm(FlaskForm):
    """Without a message id: every failed message."""

    message_id = IntegerField(validators=[Optional(), NumberRange(1, MAX_ID)])


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
    class Meta:
        csrf = False  # a GET search changes nothing


class BulkMailForm(ParticipantFilterForm):
    status = SelectField(_l("Status"), default=ACTIVE, validators=[Optional()])
    subject = StringField(_l("Subject"), validators=[DataRequired(), Length(max=200), ONE_LINE])
    body = TextAreaField(_l("Message"), validators=[DataRequired(), Length(max=20000), MULTILINE])
    previewed = HiddenField()  # the preview's fingerprint: no sending without a preview


class AuditFilterForm(FlaskForm):
    class Meta:
        csrf = False

    object_type = SelectField(_l("Object"), validators=[Optional()])
