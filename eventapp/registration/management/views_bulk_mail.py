"""Bulk email: compose, preview with the count, test, then confirm to queue it in the outbox."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext

from eventapp.admin import bp
from eventapp.admin.common import acting_user, refuse
from eventapp.admin.forms import ConfirmForm
from eventapp.extensions import db
from eventapp.mail import optout
from eventapp.mail.placeholders import known_placeholders
from eventapp.models import Event, Registration, new_token
from eventapp.programme.editing import AdminError
from eventapp.registration.management import bulk_mail as mailing
from eventapp.registration.management import bulk_sends
from eventapp.registration.management.forms import ACTIVE, BulkMailForm


def _bulk_form(event: Event) -> BulkMailForm:
    # Coming from the registration list, its filters arrive in the query string.
    prefill = request.method == "GET" and bool(request.args)
    form = (BulkMailForm(formdata=request.args) if prefill else BulkMailForm()).for_event(event)
    if prefill and form.status.data in ("", "cancelled"):
        form.status.data = ACTIVE
    # Cancelled registrations never get bulk mail, so they are not offered.
    form.status.choices = [c for c in form.status.choices if c.value not in ("", "cancelled")]
    # A send must bring the key its page was given; only a new page gets a new one.
    if not form.send_key.data and request.form.get("action") != "send":
        form.send_key.data = new_token()
    return form


def _page(event: Event, form: BulkMailForm, status: int = 200, **extra):
    return render_template(
        "admin/mail.html",
        event=event,
        form=form,
        placeholders=known_placeholders(),
        stopped=optout.stopped_count(event),
        **{"preview": None, "confirm": None, "already_sent": None, **extra},
    ), status


@bp.route("/events/<int:event_id>/mail", methods=["GET", "POST"])
def bulk_mail(event_id: int):
    """GET: compose. POST ``preview``: count and text. POST ``test``: one mail to me.
    POST ``send``: queue, after a preview (and a second confirmation for many people)."""
    event = db.get_or_404(Event, event_id)
    form = _bulk_form(event)
    if not form.validate_on_submit():
        return _page(event, form, 422 if form.is_submitted() else 200)
    filters, text = form.filters(), form.text()
    action = request.form.get("action")
    if action == "send":
        try:
            batch = mailing.send(
                acting_user(),
                event,
                filters,
                text,
                form.previewed.data or "",
                form.send_key.data or "",
                form.confirmed_count.data,
            )
        except mailing.AlreadySent as exc:
            return _page(event, form, 409, already_sent=exc.batch)
        except mailing.ConfirmationNeeded as exc:
            preview = mailing.preview(event, filters, text)
            return _page(event, form, preview=preview, confirm=exc.count)
        except AdminError as exc:
            refuse(None, exc)
        else:
            db.session.commit()
            if batch.id not in bulk_sends.queue_jobs([batch]):
                message = ngettext(
                    "The message was queued for %(num)d participant.",
                    "The message was queued for %(num)d participants.",
                    batch.recipient_count,
                )
            else:
                message = _(
                    "The messages are being queued in the background. This page shows how far"
                    " it has got."
                )
            flash(message, "success")
            return redirect(url_for("admin.bulk_send", event_id=event.id, batch_id=batch.id))
    elif action == "test":
        try:
            mailing.send_test(acting_user(), event, filters, text)
        except AdminError as exc:
            refuse(None, exc)
        else:
            db.session.commit()
            flash(
                _("A test was queued to your own address %(email)s.", email=acting_user().email),
                "success",
            )
    preview = mailing.preview(event, filters, text)
    form.previewed.data = preview.fingerprint
    return _page(event, form, preview=preview)


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
