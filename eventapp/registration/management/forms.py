"""Forms for managing registrations: the participant filter, moves, promotions, bulk mail."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from eventapp.database import MAX_ID
from eventapp.labels import SECTOR
from eventapp.models import Event, RegistrationStatus
from eventapp.programme.forms import optional_int
from eventapp.registration.forms import MULTILINE, ONE_LINE

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
    class Meta:
        csrf = False  # a GET search changes nothing


class BulkMailForm(ParticipantFilterForm):
    status = SelectField(_l("Status"), default=ACTIVE, validators=[Optional()])
    subject = StringField(_l("Subject"), validators=[DataRequired(), Length(max=200), ONE_LINE])
    body = TextAreaField(_l("Message"), validators=[DataRequired(), Length(max=20000), MULTILINE])
    previewed = HiddenField()  # the preview's fingerprint: no sending without a preview
