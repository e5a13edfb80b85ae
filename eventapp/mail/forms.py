"""The outbox page's form."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import IntegerField
from wtforms.validators import NumberRange, Optional

from eventapp.database import MAX_ID


class RetryForm(FlaskForm):
    """Without a message id: every failed message."""

    message_id = IntegerField(validators=[Optional(), NumberRange(1, MAX_ID)])
