"""The back office's certificate pages: the signer on the settings page, all certificates."""

from __future__ import annotations

from flask import abort, flash, redirect, url_for
from flask_babel import gettext as _

from eventapp.admin import bp
from eventapp.admin.common import acting_user
from eventapp.admin.forms import ConfirmForm
from eventapp.certificates import signature
from eventapp.certificates.forms import CertificateSignerForm
from eventapp.domain import InvalidInput
from eventapp.extensions import db
from eventapp.legal import settings
from eventapp.legal.forms import OperatorSettingsForm
from eventapp.legal.management import settings_page
from eventapp.models import Event


def _refused(form: CertificateSignerForm):
    db.session.rollback()
    return settings_page(OperatorSettingsForm(obj=settings.stored_settings()), form, 400)


@bp.post("/settings/certificate")
def certificate_signer():
    """Save who signs certificates and, if one was chosen, a new signature image."""
    form = CertificateSignerForm()
    if not form.validate_on_submit():
        return _refused(form)
    upload = form.signature.data
    image = None
    if upload and upload.filename:
        try:
            image = upload.read(signature.MAX_BYTES + 1)
        finally:
            upload.close()  # a large upload is spooled to a temporary file: close it now
    try:
        signature.save_signer(
            form.certificate_signer_name.data or "",
            form.certificate_signer_role.data or "",
            image,
            acting_user(),
        )
    except InvalidInput as error:
        form.signature.errors = [*form.signature.errors, error.message]
        return _refused(form)
    db.session.commit()
    flash(_("The certificate's signer has been saved."), "success")
    return redirect(url_for("admin.operator_settings_page") + "#certificate-settings")


@bp.post("/settings/certificate/signature/remove")
def remove_certificate_signature():
    """Take the signature image off the certificates."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    signature.remove_image(acting_user())
    db.session.commit()
    flash(_("The signature image has been removed."), "success")
    return redirect(url_for("admin.operator_settings_page") + "#certificate-settings")


@bp.get("/events/<int:event_id>/certificates.pdf")
def export_certificates(event_id: int):
    """Every certificate of the event in one PDF, a page per person checked in, by name: made
    by a background job, which the jobs page starts and offers for download."""
    event = db.get_or_404(Event, event_id)
    return redirect(url_for("admin.jobs_page", event_id=event.id, start="certificates"))
