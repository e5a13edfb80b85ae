"""Forms for editing the programme: events, sessions, tracks, rooms and speakers."""

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

from eventapp.admin.forms import without_csrf
from eventapp.labels import EVENT_KIND, FIELD, SESSION_KIND
from eventapp.models import Event, EventKind, EventStatus, SessionKind
from eventapp.numbers import whole_number
from eventapp.registration.forms import MULTILINE, ONE_LINE

LOCAL_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"]
SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"


def optional_int(value: Any) -> int | None:
    """Coerce a select's value; the empty choice means none."""
    if value in (None, "", "None", "0", 0):
        return None
    number = whole_number(str(value))
    if number is None:
        raise ValueError(value)  # WTForms shows it as a choice that is not offered
    return number


def _text_or_empty(value: str | None) -> str:
    # The columns hold "" for "not translated"; a field left out of a post gives None.
    return value or ""


def english_line(name: str, max_length: int) -> StringField:
    """An optional one-line English text beside its German field (``title_en``)."""
    return StringField(
        FIELD[name],
        validators=[Optional(), Length(max=max_length), ONE_LINE],
        filters=[_text_or_empty],
    )


def english_text(name: str, max_length: int) -> TextAreaField:
    """An optional multi-line English text beside its German field (``abstract_en``)."""
    return TextAreaField(
        FIELD[name],
        validators=[Optional(), Length(max=max_length), MULTILINE],
        filters=[_text_or_empty],
    )


def strip_texts(values: dict[str, Any]) -> dict[str, Any]:
    """Surrounding blanks off every text, so a space alone counts as no English text."""
    return {key: v.strip() if isinstance(v, str) else v for key, v in values.items()}


def valid_timezone(_form: FlaskForm, field: StringField) -> None:
    try:
        ZoneInfo(field.data or "")
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValidationError(_l("Unknown time zone, e.g. Europe/Berlin.")) from exc


class EventForm(FlaskForm):
    kind = SelectField(
        _l("Kind"),
        choices=[SelectChoice(kind.value, label) for kind, label in EVENT_KIND.items()],
        validators=[InputRequired()],
    )
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200), ONE_LINE])
    title_en = english_line("title_en", 200)
    slug = StringField(
        _l("Address (slug)"),
        validators=[
            DataRequired(),
            Length(max=80),
            Regexp(SLUG_PATTERN, message=_l("Lower-case letters, digits and hyphens only.")),
        ],
    )
    summary = TextAreaField(_l("Summary"), validators=[Optional(), Length(max=2000), MULTILINE])
    summary_en = english_text("summary_en", 2000)
    description = TextAreaField(
        _l("Description"), validators=[Optional(), Length(max=20000), MULTILINE]
    )
    description_en = english_text("description_en", 20000)
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
    max_occupancy = IntegerField(
        _l("Maximum occupancy"),
        validators=[
            Optional(),
            NumberRange(
                min=1,
                max=1_000_000,
                message=_l("Please give a whole number of at least 1, or leave it empty."),
            ),
        ],
    )
    registration_opens_at = DateTimeLocalField(
        _l("Registration opens"), format=LOCAL_FORMATS, validators=[Optional()]
    )
    registration_closes_at = DateTimeLocalField(
        _l("Registration closes"), format=LOCAL_FORMATS, validators=[Optional()]
    )
    waitlist_enabled = BooleanField(_l("Waiting list when full"), default=True)
    retention_days = IntegerField(
        _l("Erase personal data after (days)"),
        default=90,
        # Left out (an older client, a script): the period stays as it is.
        validators=[
            Optional(),
            NumberRange(
                min=1, max=3650, message=_l("Please give a number of days between 1 and 3650.")
            ),
        ],
    )

    def service_values(self) -> dict[str, Any]:
        values = without_csrf(self)
        values["kind"] = EventKind(values["kind"])
        if values.get("retention_days") is None:
            del values["retention_days"]
        for key in ("summary", "description", "venue", "address", "municipality", "meeting_point"):
            values[key] = values[key] or ""
        return strip_texts(values)


class EventStatusForm(FlaskForm):
    status = HiddenField(validators=[AnyOf([status.value for status in EventStatus])])


class SessionForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200), ONE_LINE])
    title_en = english_line("title_en", 200)
    kind = SelectField(
        _l("Kind"),
        choices=[SelectChoice(kind.value, label) for kind, label in SESSION_KIND.items()],
        validators=[InputRequired()],
    )
    abstract = TextAreaField(_l("Abstract"), validators=[Optional(), Length(max=20000), MULTILINE])
    abstract_en = english_text("abstract_en", 20000)
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
        values["abstract"] = values["abstract"] or ""
        values["speaker_ids"] = values["speaker_ids"] or []
        return strip_texts(values)


class TrackForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120), ONE_LINE])
    name_en = english_line("name_en", 120)
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
    name_en = english_line("name_en", 120)
    capacity = IntegerField(
        _l("Capacity"), validators=[Optional(), NumberRange(min=1, max=100_000)]
    )
    max_occupancy = IntegerField(
        _l("Maximum occupancy"),
        description=_l(
            "How many people may be in the room at once (fire safety); the live board "
            "warns near it. Empty: no maximum."
        ),
        validators=[
            Optional(),
            NumberRange(
                min=1,
                max=100_000,
                message=_l("Please give a whole number of at least 1, or leave it empty."),
            ),
        ],
    )
    position = IntegerField(_l("Position"), default=0, validators=[Optional(), NumberRange(0, 999)])


class SpeakerForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=160), ONE_LINE])
    organisation = StringField(
        _l("Organisation"), validators=[Optional(), Length(max=200), ONE_LINE]
    )
    role_title = StringField(_l("Role"), validators=[Optional(), Length(max=200), ONE_LINE])
    role_title_en = english_line("role_title_en", 200)
    bio = TextAreaField(_l("Biography"), validators=[Optional(), Length(max=5000), MULTILINE])
    bio_en = english_text("bio_en", 5000)


def catalogue_values(form: FlaskForm) -> dict[str, Any]:
    values = strip_texts(without_csrf(form))
    if values.get("position") is None and "position" in values:
        values["position"] = 0
    return values
