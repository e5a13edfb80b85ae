"""The back office's pages for the legal part: operator settings and barrier reports."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _

from eventapp.admin import bp
from eventapp.admin.common import acting_user, page_number
from eventapp.admin.forms import ConfirmForm, without_csrf
from eventapp.certificates import signature
from eventapp.certificates.forms import CertificateSignerForm
from eventapp.config import OPERATOR_FIELDS
from eventapp.extensions import db
from eventapp.legal import feedback, settings
from eventapp.legal.forms import OperatorSettingsForm

PER_PAGE = 50


def _with_defaults_shown(form: OperatorSettingsForm) -> None:
    """Each empty field shows, greyed out, the value that applies while it stays empty."""
    settings.forget_cached()
    stored = settings.stored_settings()
    effective = settings.operator_settings()
    for field in OPERATOR_FIELDS:
        value = getattr(effective, field)
        if value and not (stored is not None and getattr(stored, field)):
            getattr(form, field).render_kw = {"placeholder": str(value)}


@bp.route("/settings", methods=["GET", "POST"])
def operator_settings_page():
    """The operator's details (Impressum, mails, accessibility statement) in one form."""
    stored = settings.stored_settings()
    form = OperatorSettingsForm(obj=stored)
    status = 200
    if form.validate_on_submit():
        settings.save_settings(without_csrf(form), acting_user())
        db.session.commit()
        flash(_("The settings have been saved."), "success")
        return redirect(url_for("admin.operator_settings_page"))
    if form.is_submitted():
        status = 400
    return settings_page(form, CertificateSignerForm(obj=stored), status)


def settings_page(
    form: OperatorSettingsForm, certificate_form: CertificateSignerForm, status: int = 200
):
    """The settings page with both its forms: the operator's details and the certificate's
    signer (``certificates.management`` shows it again with that form's errors)."""
    _with_defaults_shown(form)
    return render_template(
        "admin/operator_settings.html",
        form=form,
        certificate_form=certificate_form,
        remove_form=ConfirmForm(),
        signature_src=signature.preview_src(),
    ), status


@bp.get("/barrier-reports")
def barrier_reports():
    """Barrier reports from the accessibility statement, newest first."""
    page = db.paginate(feedback.reports_query(), page=page_number(), per_page=PER_PAGE)
    return render_template("admin/barrier_reports.html", page=page, args={})
