"""Forms of the checkin feature."""

from flask_wtf import FlaskForm
from wtforms import HiddenField, IntegerField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from eventapp.database import MAX_ID


class UndoForm(FlaskForm):
    """Annul one check-in; the buttons on the log page carry these fields."""

    registration_id = IntegerField(validators=[DataRequired(), NumberRange(1, MAX_ID)])
    list = HiddenField(validators=[DataRequired(), Length(max=40)])
    back_to_list = HiddenField(validators=[Optional(), Length(max=40)])
