"""The back office's mail forms: the outbox filter, sending failed messages again, an
event's scheduled mails and its own introductory texts."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    HiddenField,
    IntegerField,
    SelectField,
    SubmitField,
    TextAreaField,
    TimeField,
    URLField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import AnyOf, InputRequired, Length, NumberRange, Optional

from eventapp.database import MAX_ID
from eventapp.labels import OUTBOX_STATUS
from eventapp.mail.management import MAX_DAYS_BEFORE, ScheduledMail
from eventapp.mail.texts import EDITABLE_KINDS, LOCALES, MAX_LENGTH
from eventapp.models import OutboxStatus


class RetryForm(FlaskForm):
    """Without a message id: every failed message."""

    message_id = IntegerField(validators=[Optional(), NumberRange(1, MAX_ID)])


class OutboxFilterForm(FlaskForm):
    """Which messages the outbox page lists: all, or those in one state."""

    class Meta:
        csrf = False  # a GET filter changes nothing

    status = SelectField(_l("Status"), validators=[Optional()])

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.status.choices = [
            SelectChoice("", _l("All")),
            *(SelectChoice(status.value, label) for status, label in OUTBOX_STATUS.items()),
        ]

    def chosen_status(self) -> OutboxStatus | None:
        """The state asked for; None for all (or for a value that is none)."""
        return OutboxStatus(self.status.data) if self.validate() and self.status.data else None


DAYS_MESSAGE = _l("Please enter a number of days from 0 to %(max)d.", max=MAX_DAYS_BEFORE)


class ScheduledMailForm(FlaskForm):
    """An event's reminder, thank-you mail and slides link; the service checks them again."""

    reminder_enabled = BooleanField(_l("Send a reminder before the event"))
    reminder_days_before = IntegerField(
        _l("Days before the event"),
        validators=[
            InputRequired(DAYS_MESSAGE),
            NumberRange(0, MAX_DAYS_BEFORE, DAYS_MESSAGE),
        ],
    )
    reminder_time = TimeField(
        _l("Time of day"), validators=[InputRequired(_l("Please enter a time such as 09:00."))]
    )
    thank_you_enabled = BooleanField(_l("Send a thank-you mail after the event"))
    slides_url = URLField(_l("Link to the slides (optional)"), validators=[Optional()])

    def values(self) -> ScheduledMail:
        return ScheduledMail(
            reminder_enabled=bool(self.reminder_enabled.data),
            reminder_days_before=self.reminder_days_before.data,
            reminder_time=self.reminder_time.data,
            thank_you_enabled=bool(self.thank_you_enabled.data),
            slides_url=(self.slides_url.data or "").strip(),
        )


class MailTextForm(FlaskForm):
    """One mail kind's introduction in both languages; "preview" shows it without saving."""

    kind = HiddenField(validators=[InputRequired(), AnyOf(EDITABLE_KINDS)])
    text_de = TextAreaField(_l("German"), validators=[Length(max=MAX_LENGTH)])
    text_en = TextAreaField(_l("English"), validators=[Length(max=MAX_LENGTH)])
    preview = SubmitField(_l("Preview"))
    save = SubmitField(_l("Save texts"))

    def for_kind(self, kind: str) -> MailTextForm:
        """Give the fields ids of their own: the page holds one such form per mail kind."""
        self.kind.data = kind
        for field in (self.text_de, self.text_en):
            field.id = field.label.field_id = f"{kind}-{field.name}".replace("_", "-")
        return self

    def drafts(self) -> dict[str, str]:
        return {"de": self.text_de.data or "", "en": self.text_en.data or ""}


class ResetTextForm(FlaskForm):
    """Delete the organizer's text of one mail kind in one language."""

    kind = HiddenField(validators=[InputRequired(), AnyOf(EDITABLE_KINDS)])
    locale = HiddenField(validators=[InputRequired(), AnyOf(LOCALES)])


class StopAnnouncementsForm(FlaskForm):
    """The button on the stop page (its CSRF token); ``action`` is ``stop`` or ``resume``."""
