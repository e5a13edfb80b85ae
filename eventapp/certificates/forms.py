"""The back office's form for the certificate's signer and signature image."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import StringField
from wtforms.validators import Length, Optional

from eventapp.legal.forms import printable


class CertificateSignerForm(FlaskForm):
    """Name and role printed under the signature; a new image replaces the old one.

    The image is checked by its content in ``signature.checked_image``.
    """

    certificate_signer_name = StringField(
        _l("Name of the person who signs"), validators=[Optional(), Length(max=200), printable]
    )
    certificate_signer_role = StringField(
        _l("Their role or office"), validators=[Optional(), Length(max=200), printable]
    )
    signature = FileField(_l("Signature image (PNG or JPEG, at most 500 KB)"))
