"""Forms of the accounts feature."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
)
from wtforms.validators import DataRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from eventapp.accounts.services import MAX_PASSWORD_LENGTH
from eventapp.models import Role


class LoginForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])


class LogoutForm(FlaskForm):
    """Only the CSRF token: logging out changes state, so it is a POST."""


class PasswordResetRequestForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=254)])


class NewPasswordForm(FlaskForm):
    """A new password, typed twice (the rules are checked by the service)."""

    new_password = PasswordField(
        _l("New password"), validators=[DataRequired(), Length(max=MAX_PASSWORD_LENGTH)]
    )
    new_password_repeat = PasswordField(
        _l("New password again"), validators=[DataRequired(), Length(max=MAX_PASSWORD_LENGTH)]
    )


class ChangePasswordForm(NewPasswordForm):
    current_password = PasswordField(
        _l("Current password"), validators=[DataRequired(), Length(max=MAX_PASSWORD_LENGTH)]
    )


class StaffForm(FlaskForm):
    name = StringField(_l("Name"), validators=[Optional(), Length(max=160)])
    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=254)])
    # The fewest rights unless the admin chooses more.
    role = SelectField(
        _l("Role"), choices=[], default=Role.CHECKIN.value, validators=[DataRequired()]
    )
    password = PasswordField(
        _l("Initial password"), validators=[DataRequired(), Length(max=MAX_PASSWORD_LENGTH)]
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.role.choices = role_choices()


class RoleForm(FlaskForm):
    role = SelectField(_l("Role"), choices=[], validators=[DataRequired()])

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.role.choices = role_choices()


class ScopeForm(FlaskForm):
    all_events = BooleanField(_l("May work at all events"))
    events = SelectMultipleField(
        _l("Events"),
        coerce=int,
        choices=[],
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
        validate_choice=False,
    )


class TokenForm(FlaskForm):
    name = StringField(_l("Name of the token (e.g. the device)"), validators=[Length(max=120)])


class ButtonForm(FlaskForm):
    """Only the CSRF token: for buttons that change one thing (activate, revoke)."""


def role_choices() -> list[tuple[str, str]]:
    from eventapp.labels import role_label

    return [(role.value, role_label(role)) for role in Role]
