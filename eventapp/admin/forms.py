"""Forms shared by the whole back office, and the audit log's filter; every form that changes
something carries a CSRF token.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField
from wtforms.validators import Optional


def without_csrf(form: FlaskForm) -> dict[str, Any]:
    """The form's values for a service, without the token and buttons."""
    return {k: v for k, v in form.data.items() if k not in ("csrf_token", "submit")}


class ConfirmForm(FlaskForm):
    """Only the CSRF token: for buttons that change something (cancel, delete, resend)."""


class AuditFilterForm(FlaskForm):
    class Meta:
        csrf = False

    object_type = SelectField(_l("Object"), validators=[Optional()])
