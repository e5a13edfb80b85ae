"""The outbox page's forms: the state filter and sending failed messages again."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import NumberRange, Optional

from eventapp.database import MAX_ID
from eventapp.labels import OUTBOX_STATUS
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


class StopAnnouncementsForm(FlaskForm):
    """The button on the stop page (its CSRF token); ``action`` is ``stop`` or ``resume``."""
