"""The barrier feedback form and the back office's operator settings form."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, EmailField, SelectField, StringField, TextAreaField, URLField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional, ValidationError

from eventapp.models import ConformanceStatus
from eventapp.registration.applicant import text_problem
from eventapp.text import InvalidEmail, parse_email


class BarrierReportForm(FlaskForm):
    """What someone could not use; the service checks every field (``legal.feedback``)."""

    description = TextAreaField(_l("Which barrier did you find?"))
    page = StringField(_l("On which page? (optional)"))
    name = StringField(_l("Your name (optional)"))
    email = EmailField(_l("Your email address, if you would like an answer (optional)"))


def _email(form: FlaskForm, field) -> None:
    if field.data:
        try:
            parse_email(field.data.strip())
        except InvalidEmail as exc:
            raise ValidationError(_l("Please enter a valid email address.")) from exc


def _web_address(form: FlaskForm, field) -> None:
    if field.data:
        parts = urlsplit(field.data.strip())
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValidationError(_l("Please enter a web address starting with https://."))


def printable(form: FlaskForm, field) -> None:
    if field.data and (
        problem := text_problem(field.data, multiline=isinstance(field, TextAreaField))
    ):
        raise ValidationError(problem)


def _text(label, limit: int, *extra) -> StringField:
    return StringField(label, validators=[Optional(), Length(max=limit), printable, *extra])


def _area(label, limit: int) -> TextAreaField:
    return TextAreaField(label, validators=[Optional(), Length(max=limit), printable])


class OperatorSettingsForm(FlaskForm):
    """Every operator detail; an empty field means the environment's default applies."""

    legal_name = _text(_l("Legal name of the operator"), 200)
    address = _area(_l("Postal address"), 500)
    representative = _text(_l("Represented by"), 300)
    contact_email = _text(_l("Contact email address"), 254, _email)
    contact_phone = _text(_l("Contact phone number"), 40)
    data_protection_officer = _area(_l("Data protection officer"), 500)
    supervisory_authority = _area(_l("Supervisory authority"), 500)
    sender_name = _text(_l("Sender name of mails"), 200)
    sender_email = _text(_l("Sender address of mails"), 254, _email)
    reply_to = _text(_l("Reply-To address of mails"), 254, _email)
    dgs_video_url = URLField(
        _l("Link to the video in German Sign Language"),
        validators=[Optional(), Length(max=500), _web_address],
    )
    conformance_status = SelectField(
        _l("Conformance with WCAG 2.1 AA / EN 301 549"),
        choices=[
            SelectChoice("", _l("Default from the configuration")),
            SelectChoice(ConformanceStatus.FULL.value, _l("Fully conformant")),
            SelectChoice(ConformanceStatus.PARTIAL.value, _l("Partially conformant")),
            SelectChoice(ConformanceStatus.NONE.value, _l("Not conformant")),
        ],
        validators=[Optional()],
    )
    known_limitations = _area(_l("Known limitations (one per line)"), 5000)
    last_review = DateField(_l("Date of the last review"), validators=[Optional()])
    enforcement_contact = _area(_l("Enforcement and arbitration body"), 2000)
