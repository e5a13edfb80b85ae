"""HTTP views of the registration feature; thin: parse, call a service, commit once, respond."""

from __future__ import annotations

import json
import secrets

from flask import (
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from sqlalchemy import select

from eventapp.errors import http_status, show_refusal
from eventapp.extensions import db
from eventapp.i18n import current_locale
from eventapp.labels import SECTOR as SECTOR_LABELS
from eventapp.legal.settings import operator_settings
from eventapp.mail.sender import mail_identity
from eventapp.models import Event, Registration
from eventapp.questions import services as questions
from eventapp.registration import availability, bp, privacy, retention, services
from eventapp.registration.errors import DuplicateRegistration, RegistrationError
from eventapp.registration.forms import (
    DIETARY_LABELS,
    ConfirmForm,
    registration_form,
    workshop_form,
)
from eventapp.registration.limits import registration_limit
from eventapp.urls import calendar_url, manage_url, ticket_url


def _public_event(slug: str) -> Event:
    """A published or cancelled event; drafts are not public."""
    return db.one_or_404(select(Event).where(Event.slug == slug, availability.publicly_visible()))


def _registration(token: str) -> Registration:
    return db.one_or_404(select(Registration).where(Registration.manage_token == token))


def _private(response: Response | str, status: int = 200) -> Response:
    """Pages behind the manage token: not cached, and the token not sent on in a Referer."""
    response = current_app.make_response((response, status))
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


def _links(registration: Registration) -> dict[str, str | None]:
    """Ticket link for a confirmed person, calendar link while the registration is active."""
    confirmed = registration.status == "confirmed"
    return {
        "manage": manage_url(registration),
        "ticket": ticket_url(registration) if confirmed else None,
        "calendar": calendar_url(registration) if registration.is_active else None,
    }


@bp.route("/events/<slug>/register", methods=["GET", "POST"])
@registration_limit
def register(slug: str):
    """The registration form; on success, on to the confirmation page."""
    event = _public_event(slug)
    slots = services.workshop_slots(event)
    form = registration_form(slots, questions.form_questions(event))
    problem = services.registration_problem(event)
    status = 200
    duplicate = False
    if problem is None and form.validate_on_submit():
        try:
            registration = services.register(
                event,
                form.applicant(),
                form.chosen_session_ids(),
                current_locale(),
                submission_key=form.submission_key.data or None,
            )
            # In the same transaction: a refused answer stores no registration either.
            questions.store_answers(registration, form.answers(), "participant")
        except RegistrationError as error:
            show_refusal(form, error)
            status = http_status(error)
            # The address is taken: point to where the lost link can be had again.
            duplicate = isinstance(error, DuplicateRegistration)
        else:
            db.session.commit()
            return redirect(url_for(".confirmation", token=registration.manage_token), 303)
    elif form.is_submitted():
        status = 409 if problem else 422
    if not form.submission_key.data:
        form.submission_key.data = secrets.token_urlsafe(24)
    numbers = availability.event_availability(event)
    return render_template(
        "registration/register.html",
        event=event,
        form=form,
        problem=problem,
        seats_left=numbers.left,
        workshop_seats=numbers.session_seats_left,
        sector_labels=SECTOR_LABELS,
        duplicate=duplicate,
    ), status


@bp.get("/registrations/<token>/confirmation")
def confirmation(token: str):
    """What just happened: confirmed or waitlisted (with position), and the manage link."""
    registration = _registration(token)
    return _private(
        render_template(
            "registration/confirmation.html",
            registration=registration,
            event=registration.event,
            position=services.waitlist_position(registration),
            links=_links(registration),
            office_email=mail_identity().contact_email,
        )
    )


@bp.get("/registrations/<token>")
def manage(token: str):
    """The participant's own page: status, workshops, links, change, data, cancel."""
    registration = _registration(token)
    return _manage_page(registration, workshop_form(services.workshop_slots(registration.event)))


def _manage_page(registration: Registration, form, status: int = 200) -> Response:
    event = registration.event
    if not form.is_submitted():
        form.preselect(registration)
    numbers = availability.event_availability(event)
    return _private(
        render_template(
            "registration/manage.html",
            registration=registration,
            event=event,
            form=form,
            position=services.waitlist_position(registration),
            workshop_positions=services.workshop_positions(registration),
            workshop_seats=numbers.session_seats_left,
            current_choices={c.session_id: c.status.value for c in registration.choices},
            changes_open=numbers.registration_open,
            cancel_problem=services.cancellation_problem(registration),
            links=_links(registration),
            sector_labels=SECTOR_LABELS,
            dietary_labels=DIETARY_LABELS,
        ),
        status,
    )


@bp.post("/registrations/<token>/workshops")
def change_workshops(token: str):
    """Replace the workshop choice, under the same rules as at registration."""
    registration = _registration(token)
    form = workshop_form(services.workshop_slots(registration.event))
    if not form.validate_on_submit():
        return _manage_page(registration, form, 422)
    try:
        result = services.change_workshops(registration, form.chosen_session_ids())
    except RegistrationError as error:
        db.session.rollback()
        form.workshop_error = error.message
        return _manage_page(registration, form, http_status(error))
    db.session.commit()
    if result["waitlisted"]:
        flash(_("Your workshops were changed; for some you are on the waiting list."), "info")
    elif result["added"] or result["removed"]:
        flash(_("Your workshops were changed."), "success")
    else:
        flash(_("Nothing was changed."), "info")
    return redirect(url_for(".manage", token=registration.manage_token), 303)


@bp.get("/registrations/<token>/data.json")
def personal_data(token: str):
    """Everything stored about the participant, as a JSON download."""
    registration = _registration(token)
    body = json.dumps(privacy.export_personal_data(registration), ensure_ascii=False, indent=2)
    response = _private(Response(body, mimetype="application/json"))
    filename = f"registration-{registration.event.slug}.json"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@bp.route("/registrations/<token>/cancel", methods=["GET", "POST"])
def cancel(token: str):
    """Ask first (GET), then cancel (POST) and free the seat for the next person waiting."""
    registration = _registration(token)
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            services.cancel_registration(registration)
        except RegistrationError as error:
            show_refusal(None, error)
        else:
            db.session.commit()
            flash(_("Your registration has been cancelled."), "success")
        return redirect(url_for(".manage", token=registration.manage_token), 303)
    if not registration.is_active:
        return redirect(url_for(".manage", token=registration.manage_token))
    if (problem := services.cancellation_problem(registration)) is not None:
        flash(problem.message, "info")
        return redirect(url_for(".manage", token=registration.manage_token))
    return _private(
        render_template(
            "registration/cancel.html",
            registration=registration,
            event=registration.event,
            form=form,
        ),
        400 if form.is_submitted() else 200,
    )


@bp.get("/privacy", endpoint="privacy")
def privacy_notice():
    """The privacy notice, as full text in German or English; ``?event=<slug>`` states that
    event's retention period, else the default and the events that differ from it."""
    language = "en" if current_locale() == "en" else "de"
    slug = request.args.get("event", "")
    event = (
        db.session.execute(
            select(Event).where(Event.slug == slug[:200], availability.publicly_visible())
        ).scalar_one_or_none()
        if slug
        else None
    )
    retention_days, other_periods = retention.notice_periods(event)
    return render_template(
        f"registration/privacy_{language}.html",
        version=current_app.config["PRIVACY_NOTICE_VERSION"],
        operator=operator_settings(),
        event=event,
        retention_days=retention_days,
        other_periods=other_periods,
    )
