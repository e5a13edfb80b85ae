"""The participant changes their answers to the organizer's questions (manage link)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _

from eventapp.errors import http_status
from eventapp.extensions import db
from eventapp.questions import services
from eventapp.questions.forms import answers_form
from eventapp.registration.errors import RegistrationError
from eventapp.registration.views import _private, _registration

# Its own blueprint, registered where the app is built: the registration package imports
# the question services, so hanging this view on its blueprint would close an import cycle.
bp = Blueprint("questions", __name__)


@bp.post("/registrations/<token>/answers")
def change_answers(token: str):
    """Store the changed answers under the form's rules; the change is in the history."""
    registration = _registration(token)
    form = answers_form(services.form_questions(registration.event))
    status = 422
    if form.validate_on_submit():
        try:
            changed = services.change_answers(registration, form.answers(), "participant")
        except RegistrationError as error:
            db.session.rollback()
            form.show_answer_errors(error.fields)
            if not error.fields:
                flash(error.message, "error")
            status = http_status(error)
        else:
            db.session.commit()
            flash(
                _("Your answers were saved.") if changed else _("Nothing was changed."),
                "success" if changed else "info",
            )
            return redirect(
                url_for("registration.manage", token=registration.manage_token, _anchor="answers"),
                303,
            )
    return _private(
        render_template(
            "questions/answers.html",
            registration=registration,
            event=registration.event,
            form=form,
        ),
        status,
    )
