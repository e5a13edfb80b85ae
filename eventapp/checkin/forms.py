"""Forms of the checkin feature."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, HiddenField, IntegerField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from eventapp.database import MAX_ID
from eventapp.models.registration import APPLICANT_MAX_LENGTHS as MAX


class UndoForm(FlaskForm):
    """Annul one check-in; the buttons on the log page carry these fields."""

    registration_id = IntegerField(validators=[DataRequired(), NumberRange(1, MAX_ID)])
    list = HiddenField(validators=[DataRequired(), Length(max=40)])
    back_to_list = HiddenField(validators=[Optional(), Length(max=40)])


class WalkInForm(FlaskForm):
    """Register a walk-in and check them in at the entrance (the scanner page).

    The lengths and rules are the registration's own (the service checks them again).
    """

    first_name = StringField(
        _l("First name"), validators=[DataRequired(), Length(max=MAX["first_name"])]
    )
    last_name = StringField(
        _l("Last name"), validators=[DataRequired(), Length(max=MAX["last_name"])]
    )
    email = EmailField(_l("Email"), validators=[Optional(), Length(max=MAX["email"])])
    organisation = StringField(
        _l("Organisation"), validators=[Optional(), Length(max=MAX["organisation"])]
    )
    privacy_informed = BooleanField(
        _l("The person was informed of the privacy notice."),
        validators=[
            DataRequired(_l("Please confirm that the person was informed of the privacy notice."))
        ],
    )
    # Organizers only: admit the person although no seat is left (logged).
    over_capacity = BooleanField(_l("Admit over capacity (no seat left)"))
    device = HiddenField(validators=[Optional(), Length(max=120)])
