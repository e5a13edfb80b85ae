"""The review page's forms; each carries a CSRF token."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, IntegerField
from wtforms.validators import DataRequired, Length, Regexp


class SendNoticeForm(FlaskForm):
    """ "Send notice": the one-time key makes a second post of the same form queue nothing."""

    send_key = HiddenField(
        validators=[
            DataRequired(message=_l("Please reload the page and send again.")),
            Length(min=16, max=64, message=_l("Please reload the page and send again.")),
            Regexp(r"^[A-Za-z0-9_-]+$", message=_l("Please reload the page and send again.")),
        ]
    )


class DismissChangeForm(FlaskForm):
    """ "No notice needed" for one change of the event."""

    change_id = IntegerField(
        validators=[DataRequired(message=_l("Please reload the page and try again."))]
    )
