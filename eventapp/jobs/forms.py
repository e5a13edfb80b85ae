"""The button that starts a job: its kind and options, with a CSRF token."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField
from wtforms.validators import DataRequired


class StartJobForm(FlaskForm):
    kind = HiddenField(validators=[DataRequired()])
    layout = HiddenField()
    format = HiddenField()
    sep = HiddenField()

    def params(self) -> dict[str, str]:
        """The options sent (empty ones left to the kind's defaults)."""
        return {
            name: field.data
            for name, field in (("layout", self.layout), ("format", self.format), ("sep", self.sep))
            if field.data
        }
