"""The registration list with search and filters, and one registration with its history."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from wtforms.fields.choices import SelectChoice

from eventapp.admin import bp, describe
from eventapp.admin.common import MAX_PAGE, acting_user, refuse
from eventapp.admin.forms import ConfirmForm
from eventapp.domain import DomainError
from eventapp.extensions import db
from eventapp.models import Event, Registration
from eventapp.numbers import whole_number
from eventapp.registration.availability import waitlist_position, workshop_positions
from eventapp.registration.details import current_details
from eventapp.registration.management import actions, bounces, roster
from eventapp.registration.management.forms import (
    AttentionNoteForm,
    DetailsForm,
    EmailCorrectionForm,
    MoveForm,
    PromoteForm,
    RegistrationSearchForm,
)

PER_PAGE = 50


@bp.get("/events/<int:event_id>/registrations")
def registration_list(event_id: int):
    """Search by name, email or organisation; filter by status, workshop and sector; sort
    by a column; 50 to a page. Every link keeps the search, the filters and the order."""
    event = db.get_or_404(Event, event_id)
    form = RegistrationSearchForm(request.args).for_event(event)
    filters = form.filters() if form.validate() else {}
    sort, descending = list_order()
    query = roster.participants_query(event, **filters, sort=sort, descending=descending)
    page = _page_of(query, whole_number(request.args.get("page")) or 1)
    # Only what the list understands goes into its links: the filters as given, the order
    # as understood (an unknown one is the default, and the links say so).
    args = {k: v for k, v in request.args.items() if k in FILTER_ARGS and v}
    args.update(sort=sort, dir="desc" if descending else "asc")
    return render_template(
        "admin/registrations.html",
        event=event,
        form=form,
        page=page,
        args=args,
        sort=sort,
        descending=descending,
        filter_args={k: v for k, v in args.items() if k not in {"sort", "dir"}},
        failed_mail=bounces.failed_mail(page.items),
    )


FILTER_ARGS = ("q", "status", "workshop", "sector", "mail_failed")


def list_order() -> tuple[str, bool]:
    """``?sort=`` and ``?dir=``; anything else than a known column and asc/desc is the default."""
    sort = request.args.get("sort", "")
    if sort not in roster.SORTS:
        sort = roster.DEFAULT_SORT
    return sort, request.args.get("dir") == "desc"


def _page_of(query, number: int):
    """Page ``number`` of the list; past the last page (or absurdly far) the last page."""
    page = db.paginate(
        query, page=min(number, MAX_PAGE), per_page=PER_PAGE, max_per_page=200, error_out=False
    )
    if page.page > 1 and page.page > page.pages:
        page = db.paginate(
            query, page=max(page.pages, 1), per_page=PER_PAGE, max_per_page=200, error_out=False
        )
    return page


@bp.get("/registrations/<int:registration_id>")
def registration_detail(registration_id: int):
    """Everything about one registration: data, workshops, history and check-ins."""
    return detail_page(db.get_or_404(Registration, registration_id))


def detail_page(
    registration: Registration,
    details_form: DetailsForm | None = None,
    email_form: EmailCorrectionForm | None = None,
    status: int = 200,
):
    """The detail page; the correction forms come filled in, or as sent with their errors."""
    move_form = MoveForm()
    chosen = {choice.session_id for choice in registration.choices}
    move_form.from_session_id.choices = [
        SelectChoice(str(c.session_id), c.session.title) for c in registration.choices
    ]
    move_form.to_session_id.choices = [
        SelectChoice(str(s.id), s.title)
        for s in roster.workshops(registration.event)
        if s.id not in chosen and not s.is_cancelled
    ]
    if details_form is None:
        details_form = DetailsForm(formdata=None, data=current_details(registration))
    if email_form is None:
        email_form = EmailCorrectionForm(formdata=None)
    return render_template(
        "admin/registration_detail.html",
        registration=registration,
        event=registration.event,
        position=waitlist_position(registration),
        workshop_positions=workshop_positions(registration),
        check_ins=roster.registration_check_ins(registration),
        move_form=move_form,
        confirm_form=ConfirmForm(),
        details_form=details_form,
        email_form=email_form,
        attention_form=AttentionNoteForm(
            formdata=None, data={"attention_note": registration.attention_note}
        ),
        failed_mail=bounces.failed_mail([registration]).get(registration.id),
        resend_offer=request.args.get("resend") == "1",
        change_lines=describe.change_lines,
        actor_text=describe.actor_text,
        list_label=describe.list_label,
    ), status


def _back(registration_id: int):
    return redirect(url_for("admin.registration_detail", registration_id=registration_id))


def _run(registration_id: int, form, action, success: str):
    """Validate the form, run the action, commit once; a refusal is shown, nothing changes."""
    registration = db.get_or_404(Registration, registration_id)
    if not form.validate_on_submit():
        flash(_("Please check your input."), "error")
        return _back(registration_id)
    try:
        action(registration)
    except DomainError as exc:
        refuse(None, exc)
    else:
        db.session.commit()
        flash(success, "success")
    return _back(registration_id)


@bp.post("/registrations/<int:registration_id>/attention-note")
def registration_attention_note(registration_id: int):
    """Set the note door staff see when the person's ticket is scanned."""
    registration = db.get_or_404(Registration, registration_id)
    form = AttentionNoteForm()
    if not form.validate_on_submit():
        errors = form.attention_note.errors or [_("Please check your input.")]
        flash(" ".join(str(error) for error in errors), "error")
        return _back(registration_id)
    if actions.set_attention_note(acting_user(), registration, form.attention_note.data or ""):
        db.session.commit()
        flash(_("The note for the door was saved."), "success")
    else:
        flash(_("The note for the door is unchanged."), "info")
    return _back(registration_id)


@bp.post("/registrations/<int:registration_id>/cancel")
def registration_cancel(registration_id: int):
    return _run(
        registration_id,
        ConfirmForm(),
        lambda reg: actions.cancel(acting_user(), reg),
        _("The registration was cancelled."),
    )


@bp.post("/registrations/<int:registration_id>/promote")
def registration_promote(registration_id: int):
    """Promote to the event, or with ``session_id`` to one workshop."""
    form = PromoteForm()
    return _run(
        registration_id,
        form,
        lambda reg: actions.promote(acting_user(), reg, form.session_id.data),
        _("The person was moved up from the waiting list."),
    )


@bp.post("/registrations/<int:registration_id>/move")
def registration_move(registration_id: int):
    form = MoveForm()
    return _run(
        registration_id,
        form,
        lambda reg: actions.move(
            acting_user(), reg, form.from_session_id.data, form.to_session_id.data
        ),
        _("The workshop was changed."),
    )
