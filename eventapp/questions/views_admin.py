"""Back office: an event's own questions (list, create, edit, order, off the form, delete)."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from eventapp.admin import bp
from eventapp.admin.common import acting_user, refuse
from eventapp.admin.forms import ConfirmForm
from eventapp.domain import DomainError
from eventapp.extensions import db
from eventapp.models import Event
from eventapp.models.questions import Question
from eventapp.questions import services
from eventapp.questions.forms import QuestionForm


def _list(event_id: int):
    return redirect(url_for("admin.questions", event_id=event_id))


@bp.get("/events/<int:event_id>/questions")
def questions(event_id: int):
    """The event's questions in form order, with their answers counted."""
    event = db.get_or_404(Event, event_id)
    return render_template(
        "questions/admin_list.html",
        event=event,
        questions=services.event_questions(event),
        counts=services.answer_counts(event),
        confirm_form=ConfirmForm(),
    )


def _form_page(form: QuestionForm, event: Event, question: Question | None):
    status = 422 if form.is_submitted() else 200
    return render_template(
        "questions/admin_form.html",
        form=form,
        event=event,
        question=question,
        answered=bool(question and services.answer_count(question)),
    ), status


def _refused(form: QuestionForm, error: DomainError) -> None:
    db.session.rollback()
    if not form.show_problems(error.fields):
        flash(error.message, "error")


@bp.route("/events/<int:event_id>/questions/new", methods=["GET", "POST"])
def question_create(event_id: int):
    event = db.get_or_404(Event, event_id)
    form = QuestionForm()
    if form.validate_on_submit():
        try:
            services.create_question(acting_user(), event, form.values())
        except DomainError as error:
            _refused(form, error)
        else:
            db.session.commit()
            flash(_("The question was added to the form."), "success")
            return _list(event.id)
    return _form_page(form, event, None)


@bp.route("/questions/<int:question_id>/edit", methods=["GET", "POST"])
def question_edit(question_id: int):
    question = db.get_or_404(Question, question_id)
    event = question.event
    form = QuestionForm()
    if not form.is_submitted():
        form.fill_from(question)
    if form.validate_on_submit():
        try:
            services.update_question(acting_user(), question, form.values())
        except DomainError as error:
            _refused(form, error)
            question = db.get_or_404(Question, question_id)
        else:
            db.session.commit()
            flash(_("The question was saved."), "success")
            return _list(event.id)
    return _form_page(form, question.event, question)


@bp.post("/questions/<int:question_id>/move")
def question_move(question_id: int):
    """One place up or down on the form."""
    question = db.get_or_404(Question, question_id)
    event_id = question.event_id
    if not ConfirmForm().validate_on_submit():
        flash(_("Please check your input."), "error")
    elif services.move_question(acting_user(), question, request.form.get("direction", "")):
        db.session.commit()
    return _list(event_id)


def _set_active(question_id: int, active: bool, message: str):
    question = db.get_or_404(Question, question_id)
    if ConfirmForm().validate_on_submit():
        services.set_active(acting_user(), question, active)
        db.session.commit()
        flash(message, "success")
    else:
        flash(_("Please check your input."), "error")
    return _list(question.event_id)


@bp.post("/questions/<int:question_id>/deactivate")
def question_deactivate(question_id: int):
    return _set_active(question_id, False, _("The question is off the form; its answers are kept."))


@bp.post("/questions/<int:question_id>/activate")
def question_activate(question_id: int):
    return _set_active(question_id, True, _("The question is back on the form."))


@bp.route("/questions/<int:question_id>/delete", methods=["GET", "POST"])
def question_delete(question_id: int):
    """Ask first; a question with answers cannot be deleted, only taken off the form."""
    question = db.get_or_404(Question, question_id)
    event_id = question.event_id
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            services.delete_question(acting_user(), question)
        except DomainError as error:
            refuse(None, error)
        else:
            db.session.commit()
            flash(_("The question was deleted."), "success")
        return _list(event_id)
    blocked = None
    if services.answer_count(question):
        blocked = _(
            "People have answered this question, so it cannot be deleted. "
            "Take it off the form instead."
        )
    return render_template(
        "admin/confirm_delete.html",
        form=form,
        event=question.event,
        what=question.label,
        blocked=blocked,
        cancel_url=url_for("admin.questions", event_id=event_id),
    )
