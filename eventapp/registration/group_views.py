"""HTTP views of group registration: the group form, and the registrant's group list.

A member's registration is reached here only through the registrant's manage token and
only if the member belongs to that registrant's group; a member's own token sees only
their own registration (the ordinary manage page).
"""

from __future__ import annotations

import secrets
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from eventapp.errors import http_status, show_refusal
from eventapp.extensions import db
from eventapp.i18n import current_locale
from eventapp.labels import SECTOR as SECTOR_LABELS
from eventapp.models import Registration, RegistrationStatus
from eventapp.questions import services as questions
from eventapp.registration import availability, bp, groups, services
from eventapp.registration.errors import RegistrationError
from eventapp.registration.forms import FIRST_ROWS, ConfirmForm, group_form, workshop_form
from eventapp.registration.limits import registration_limit
from eventapp.registration.views import _private, _public_event, _registration
from eventapp.urls import ticket_url


@bp.route("/events/<slug>/register/group", methods=["GET", "POST"])
@registration_limit
def register_group(slug: str):
    """The group form: the registrant, their workshops, and one row per colleague.

    Without JavaScript, "Add a row" sends the form and gets it back with one more row.
    """
    event = _public_event(slug)
    if not groups.group_possible(event):
        abort(404)
    limit = event.max_group_size
    slots = services.workshop_slots(event)
    form = group_form(slots, min(FIRST_ROWS, limit), questions.form_questions(event))
    problem = services.registration_problem(event)
    status = 200
    if form.is_submitted() and request.form.get("add_row"):
        # Only more room: nothing is checked or stored, no error shown yet.
        if len(form.members) < limit:
            form.members.append_entry()
    elif problem is None and form.validate_on_submit():
        members = form.members_entered()
        try:
            registrations = groups.register_group(
                event,
                form.applicant(),
                members,
                form.chosen_session_ids(),
                current_locale(),
                submission_key=form.submission_key.data or None,
            )
            # The registrant's answers, in the same transaction as in the single form.
            questions.store_answers(registrations[0], form.answers(), "participant")
        except RegistrationError as error:
            show_refusal(form, error)
            status = http_status(error)
        else:
            db.session.commit()
            token = registrations[0].manage_token
            return redirect(url_for(".manage", token=token, _anchor="group"), 303)
    elif form.is_submitted():
        status = 409 if problem else 422
    if not form.submission_key.data:
        form.submission_key.data = secrets.token_urlsafe(24)
    numbers = availability.event_availability(event)
    return render_template(
        "registration/group.html",
        event=event,
        form=form,
        problem=problem,
        limit=limit,
        seats_left=numbers.left,
        workshop_seats=numbers.session_seats_left,
        sector_labels=SECTOR_LABELS,
    ), status


@bp.app_template_global()
def registration_group(registration: Registration) -> list[dict[str, Any]]:
    """The members a registrant registered, for their manage page (empty for others)."""
    people = groups.group_of(registration)[1:]
    return [
        {
            "registration": member,
            "position": services.waitlist_position(member),
            "ticket_url": ticket_url(member)
            if member.status == RegistrationStatus.CONFIRMED
            else None,
            "cancel_problem": services.cancellation_problem(member),
        }
        for member in people
    ]


@bp.app_template_global()
def registered_by(registration: Registration) -> Registration | None:
    """For a group's member, the registrant who registered them (shown by name only)."""
    return groups.leader_of(registration)


def _member(token: str, member_id: int) -> tuple[Registration, Registration]:
    """The registrant (by their token) and one of their group's members, else 404."""
    registrant = _registration(token)
    member = groups.member_of(registrant, member_id)
    if member is None:
        abort(404)
    return registrant, member


def _back(registrant: Registration):
    return redirect(url_for(".manage", token=registrant.manage_token, _anchor="group"), 303)


@bp.route("/registrations/<token>/group/<int:member_id>/cancel", methods=["GET", "POST"])
def cancel_member(token: str, member_id: int):
    """Ask first (GET), then cancel the member (POST); the next person waiting moves up."""
    registrant, member = _member(token, member_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            services.cancel_registration(member)
        except RegistrationError as error:
            show_refusal(None, error)
        else:
            db.session.commit()
            message = _("The registration of %(name)s has been cancelled.", name=member.name)
            flash(message, "success")
        return _back(registrant)
    if (problem := services.cancellation_problem(member)) is not None:
        flash(problem.message, "info")
        return _back(registrant)
    return _private(
        render_template(
            "registration/group_cancel.html",
            registration=registrant,
            member=member,
            event=registrant.event,
            form=form,
        ),
        400 if form.is_submitted() else 200,
    )


@bp.route("/registrations/<token>/group/<int:member_id>/workshops", methods=["GET", "POST"])
def member_workshops(token: str, member_id: int):
    """Change a member's workshops, under the same rules as on their own page."""
    registrant, member = _member(token, member_id)
    event = registrant.event
    form = workshop_form(services.workshop_slots(event))
    status = 200
    if form.validate_on_submit():
        try:
            result = services.change_workshops(member, form.chosen_session_ids())
        except RegistrationError as error:
            db.session.rollback()
            form.workshop_error = error.message
            status = http_status(error)
        else:
            db.session.commit()
            if result["waitlisted"]:
                flash(
                    _(
                        "The workshops of %(name)s were changed; for some they are on the "
                        "waiting list.",
                        name=member.name,
                    ),
                    "info",
                )
            elif result["added"] or result["removed"]:
                flash(_("The workshops of %(name)s were changed.", name=member.name), "success")
            else:
                flash(_("Nothing was changed."), "info")
            return _back(registrant)
    elif form.is_submitted():
        status = 422
    else:
        form.preselect(member)
    numbers = availability.event_availability(event)
    return _private(
        render_template(
            "registration/group_workshops.html",
            registration=registrant,
            member=member,
            event=event,
            form=form,
            workshop_seats=numbers.session_seats_left,
            current_choices={c.session_id: c.status.value for c in member.choices},
            changes_open=numbers.registration_open,
        ),
        status,
    )
