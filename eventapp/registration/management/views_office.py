"""The office's work on people's data: correcting it, registering someone, erasing one person."""

from __future__ import annotations

import secrets

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from markupsafe import Markup, escape

from eventapp.admin import bp
from eventapp.admin.common import acting_user, refuse
from eventapp.admin.forms import ConfirmForm
from eventapp.domain import DomainError
from eventapp.errors import http_status
from eventapp.extensions import db
from eventapp.models import Event, Registration
from eventapp.programme.editing import actor_name
from eventapp.questions import services as questions
from eventapp.registration import availability, details
from eventapp.registration import services as registration_services
from eventapp.registration.errors import DuplicateRegistration
from eventapp.registration.forms import registration_form
from eventapp.registration.management import actions
from eventapp.registration.management.forms import (
    DetailsForm,
    EmailCorrectionForm,
    OfficeRegistrationForm,
)
from eventapp.registration.management.views_registrations import detail_page


def _detail(registration_id: int, **args):
    return redirect(url_for("admin.registration_detail", registration_id=registration_id, **args))


@bp.post("/registrations/<int:registration_id>/details")
def registration_details(registration_id: int):
    """Correct the person's data (not the address) under the registration rules."""
    registration = db.get_or_404(Registration, registration_id)
    form = DetailsForm()
    if not form.validate_on_submit():
        return detail_page(registration, details_form=form, status=422)
    user = acting_user()
    try:
        changed = details.update_details(registration, form.values(), actor_name(user), user=user)
    except DomainError as error:
        refuse(form, error)
        return detail_page(registration, details_form=form, status=http_status(error))
    db.session.commit()
    flash(_("The data was saved.") if changed else _("Nothing was changed."), "success")
    return _detail(registration_id)


@bp.post("/registrations/<int:registration_id>/email")
def registration_email(registration_id: int):
    """Correct the address at once (the office checked it), then offer to resend the
    confirmation to it."""
    registration = db.get_or_404(Registration, registration_id)
    form = EmailCorrectionForm()
    if not form.validate_on_submit():
        return detail_page(registration, email_form=form, status=422)
    user = acting_user()
    try:
        details.change_email(registration, form.email.data or "", actor_name(user), user=user)
    except DomainError as error:
        refuse(form, error)
        return detail_page(registration, email_form=form, status=http_status(error))
    db.session.commit()
    flash(_("The email address was corrected."), "success")
    if registration.is_active:
        return redirect(
            url_for(
                "admin.registration_detail",
                registration_id=registration_id,
                resend="1",
                _anchor="resend-offer",
            )
        )
    return _detail(registration_id)


@bp.route("/registrations/<int:registration_id>/erase", methods=["GET", "POST"])
def registration_erase(registration_id: int):
    """Erase one person's data on request, after a confirmation step."""
    registration = db.get_or_404(Registration, registration_id)
    if registration.anonymized_at is not None:
        flash(_("The data of this registration has been erased."), "info")
        return _detail(registration_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            actions.erase(acting_user(), registration)
        except DomainError as error:
            refuse(None, error)
        else:
            db.session.commit()
            flash(_("The person's data was erased. Counts and statuses remain."), "success")
        return _detail(registration_id)
    return render_template(
        "admin/registration_erase.html",
        registration=registration,
        event=registration.event,
        form=form,
        will_cancel=registration.is_active
        and registration_services.cancellation_problem(registration) is None,
    )


@bp.route("/events/<int:event_id>/registrations/new", methods=["GET", "POST"])
def registration_new(event_id: int):
    """Register someone who asked the office, e.g. by phone; they get the usual mail."""
    event = db.get_or_404(Event, event_id)
    form = registration_form(
        availability.workshop_slots(event),
        questions.form_questions(event),
        base=OfficeRegistrationForm,
    )
    status = 200
    if form.validate_on_submit():
        try:
            registration = actions.register_for_person(
                acting_user(),
                event,
                form.applicant(),
                form.chosen_session_ids(),
                form.locale.data,
                over_capacity=bool(form.over_capacity.data),
                submission_key=form.submission_key.data or None,
            )
            # The organizer's questions, answered on the phone: the same rules as the form.
            questions.store_answers(registration, form.answers(), actions.actor_name(acting_user()))
        except DuplicateRegistration as error:
            _show_duplicate(form, event, error)
            status = http_status(error)
        except DomainError as error:
            refuse(form, error)
            status = http_status(error)
        else:
            db.session.commit()
            flash(_("%(name)s is registered.", name=registration.name), "success")
            return _detail(registration.id)
    elif form.is_submitted():
        status = 422
    if not form.submission_key.data:
        form.submission_key.data = secrets.token_urlsafe(24)
    numbers = availability.event_availability(event)
    return render_template(
        "admin/registration_new.html",
        event=event,
        form=form,
        seats_left=numbers.left,
        workshop_seats=numbers.session_seats_left,
        problem=availability.registration_problem(event),
    ), status


def _show_duplicate(form: OfficeRegistrationForm, event: Event, error: DomainError) -> None:
    """The address is taken: say so at the field, with a link to the registration holding it."""
    db.session.rollback()
    existing = actions.existing_registration(event, form.email.data or "")
    if existing is None:
        form.email.errors = [*form.email.errors, error.message]
        return
    link = url_for("admin.registration_detail", registration_id=existing.id)
    message = escape(_("This email address is already registered for this event:")) + Markup(
        ' <a href="{}" id="existing-registration">{}</a>'
    ).format(link, existing.name)
    form.email.errors = [*form.email.errors, message]
