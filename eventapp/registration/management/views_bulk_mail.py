"""Bulk email: compose, preview with the count, then confirm to queue it in the outbox."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext

from eventapp.admin import bp
from eventapp.admin.common import acting_user, refuse
from eventapp.admin.forms import ConfirmForm
from eventapp.extensions import db
from eventapp.models import Event, Registration
from eventapp.programme.editing import AdminError
from eventapp.registration.management import bulk_mail as mailing
from eventapp.registration.management.forms import ACTIVE, BulkMailForm


def _bulk_form(event: Event) -> BulkMailForm:
    # Coming from the registration list, its filters arrive in the query string.
    prefill = request.method == "GET" and bool(request.args)
    form = (BulkMailForm(formdata=request.args) if prefill else BulkMailForm()).for_event(event)
    if prefill and form.status.data in ("", "cancelled"):
        form.status.data = ACTIVE
    # Cancelled registrations never get bulk mail, so they are not offered.
    form.status.choices = [c for c in form.status.choices if c.value not in ("", "cancelled")]
    return form


@bp.route("/events/<int:event_id>/mail", methods=["GET", "POST"])
def bulk_mail(event_id: int):
    """GET: compose. POST ``preview``: count and text. POST ``send``: queue, after a preview."""
    event = db.get_or_404(Event, event_id)
    form = _bulk_form(event)
    preview = None
    status = 200
    if form.validate_on_submit():
        filters = form.filters()
        if request.form.get("action") == "send":
            try:
                count = mailing.send(
                    acting_user(),
                    event,
                    filters,
                    form.subject.data,
                    form.body.data,
                    form.previewed.data or "",
                )
            except AdminError as exc:
                refuse(None, exc)
            else:
                db.session.commit()
                flash(
                    ngettext(
                        "The message was queued for %(num)d participant.",
                        "The message was queued for %(num)d participants.",
                        count,
                    ),
                    "success",
                )
                return redirect(url_for("admin.event_dashboard", event_id=event.id))
        preview = mailing.preview(event, filters, form.subject.data, form.body.data)
        form.previewed.data = preview.fingerprint
    elif form.is_submitted():
        status = 422
    return render_template("admin/mail.html", event=event, form=form, preview=preview), status


@bp.post("/registrations/<int:registration_id>/resend")
def registration_resend(registration_id: int):
    """Queue the confirmation (or waiting-list notice) again, e.g. after a lost email."""
    registration = db.get_or_404(Registration, registration_id)
    if ConfirmForm().validate_on_submit():
        try:
            mailing.resend_confirmation(acting_user(), registration)
        except AdminError as exc:
            refuse(None, exc)
        else:
            db.session.commit()
            flash(_("The confirmation was queued for sending."), "success")
    return redirect(url_for("admin.registration_detail", registration_id=registration_id))
