"""Self-service pages: own data, own address, the manage link again. Thin: parse, call a
service, commit once, respond."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from eventapp.errors import http_status, show_refusal
from eventapp.extensions import db
from eventapp.models import Event, Registration, utcnow
from eventapp.registration import availability, details
from eventapp.registration.errors import RegistrationError
from eventapp.registration.forms import ConfirmForm
from eventapp.registration.views import _private
from eventapp.selfservice import bp, services
from eventapp.selfservice.forms import DetailsForm, EmailChangeForm, ResendForm
from eventapp.selfservice.limits import resend_limits


def _registration(token: str) -> Registration:
    return db.one_or_404(select(Registration).where(Registration.manage_token == token))


def _details_page(
    registration: Registration,
    form: DetailsForm,
    email_form: EmailChangeForm,
    status: int = 200,
):
    return _private(
        render_template(
            "selfservice/details.html",
            registration=registration,
            event=registration.event,
            form=form,
            email_form=email_form,
            pending=services.pending_email_changes(registration, utcnow()),
        ),
        status,
    )


@bp.route("/registrations/<token>/details", methods=["GET", "POST"])
def details_page(token: str):
    """The participant's own data and address, to correct them under the registration rules;
    the history and the audit log record each change.

    Cancelled registrations stay correctable until their data is erased: the office may
    still write to them, and the person may want their stored data right.
    """
    registration = _registration(token)
    email_form = EmailChangeForm(formdata=None)
    form = DetailsForm()
    if not form.is_submitted():
        if registration.anonymized_at is not None:
            return redirect(url_for("registration.manage", token=token))
        form.fill(registration)
        return _details_page(registration, form, email_form)
    if not form.validate_on_submit():
        return _details_page(registration, form, email_form, 422)
    try:
        changed = details.update_details(registration, form.values(), services.PARTICIPANT)
    except RegistrationError as error:
        show_refusal(form, error)
        return _details_page(registration, form, email_form, http_status(error))
    db.session.commit()
    if changed:
        flash(_("Your details have been saved."), "success")
    else:
        flash(_("Nothing was changed."), "info")
    return redirect(url_for("registration.manage", token=token), 303)


@bp.route("/registrations/<token>/email", methods=["GET", "POST"])
def request_email_change(token: str):
    """Send a confirmation link to the new address; the address changes once it is opened.

    The form lives on the details page: a GET (e.g. reloading a refused POST) goes there.
    """
    registration = _registration(token)
    if request.method == "GET":
        return redirect(url_for(".details_page", token=registration.manage_token), 303)
    form = DetailsForm(formdata=None)
    form.fill(registration)
    email_form = EmailChangeForm()
    if not email_form.validate_on_submit():
        return _details_page(registration, form, email_form, 422)
    try:
        change = services.request_email_change(registration, email_form.email.data)
    except RegistrationError as error:
        show_refusal(email_form, error)
        return _details_page(registration, form, email_form, http_status(error))
    db.session.commit()
    flash(
        _(
            "We have sent a link to %(email)s. Your address changes once you open it and confirm.",
            email=change.new_email,
        ),
        "success",
    )
    return redirect(url_for("registration.manage", token=token), 303)


def _link_refused(error: services.LinkInvalid):
    status = 404 if error.code == services.LinkInvalid.code else 410
    return _private(render_template("selfservice/link_invalid.html", error=error), status)


@bp.route("/email-change/<token>", methods=["GET", "POST"])
def confirm_email(token: str):
    """Ask first (GET: a link preview must not change anything), then apply (POST)."""
    try:
        change = services.email_change_for(token)
    except services.LinkInvalid as error:
        return _link_refused(error)
    form = ConfirmForm()
    status = 200
    if form.validate_on_submit():
        try:
            registration = services.confirm_email_change(token)
        except RegistrationError as error:
            db.session.rollback()
            flash(error.message, "error")
            status = http_status(error)
        else:
            db.session.commit()
            flash(_("Your email address has been changed."), "success")
            return redirect(url_for("registration.manage", token=registration.manage_token), 303)
    elif form.is_submitted():
        status = 400
    return _private(
        render_template(
            "selfservice/confirm_email.html",
            change=change,
            event=change.registration.event,
            form=form,
        ),
        status,
    )


def _public_event(slug: str) -> Event:
    return db.one_or_404(select(Event).where(Event.slug == slug, availability.publicly_visible()))


@bp.route("/events/<slug>/resend", methods=["GET", "POST"])
@resend_limits
def resend(slug: str):
    """Mail the manage link again. The answer never says whether the address is registered."""
    event = _public_event(slug)
    form = ResendForm()
    status = 200
    if form.validate_on_submit():
        services.resend_manage_link(event, form.email.data)
        db.session.commit()
        # Same message, same redirect for a registered address and an unknown one.
        flash(
            _(
                "If %(email)s is registered for this event, the link to the registration "
                "is on its way there. It usually arrives within a few minutes.",
                email=form.email.data.strip(),
            ),
            "info",
        )
        return redirect(url_for(".resend", slug=slug, sent=1), 303)
    if form.is_submitted():
        status = 422
    return render_template("selfservice/resend.html", event=event, form=form), status


@bp.app_template_global()
def pending_email_change(registration: Registration):
    """The address change still waiting for confirmation, for the manage page."""
    pending = services.pending_email_changes(registration, utcnow())
    return pending[0] if pending else None
