"""The programme of an event: its sessions, with their time, room, track and speakers."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from eventapp.admin import bp
from eventapp.admin.common import acting_user, flash_warnings, refuse
from eventapp.admin.forms import ConfirmForm
from eventapp.extensions import db
from eventapp.models import Event, Session, SessionStatus
from eventapp.notices import digest
from eventapp.notices import services as notices
from eventapp.programme import editing as services
from eventapp.programme.forms import SessionForm


@bp.get("/events/<int:event_id>/programme")
def programme(event_id: int):
    """Sessions in time order, with tracks, rooms and speakers alongside."""
    event = db.get_or_404(Event, event_id)
    warnings = {session.id: services.session_warnings(session) for session in event.sessions}
    return render_template(
        "admin/programme.html",
        event=event,
        warnings=warnings,
        confirm_form=ConfirmForm(),
        pending_changes=digest.pending_count(event.id),
    )


@bp.route("/events/<int:event_id>/sessions/new", methods=["GET", "POST"])
def session_create(event_id: int):
    event = db.get_or_404(Event, event_id)
    form = SessionForm().for_event(event)
    if form.validate_on_submit():
        try:
            _session, warnings = services.create_session(
                acting_user(), event, form.service_values()
            )
        except services.AdminError as exc:
            refuse(form, exc)
        else:
            db.session.commit()
            flash(_("The session was created."), "success")
            flash_warnings(warnings)
            return redirect(url_for("admin.programme", event_id=event.id))
    return _form_page(form, event, None)


@bp.route("/sessions/<int:session_id>/edit", methods=["GET", "POST"])
def session_edit(session_id: int):
    session = db.get_or_404(Session, session_id)
    event = session.event
    form = SessionForm(obj=session).for_event(event)
    if not form.is_submitted():
        form.starts_at.data = services.utc_to_local(session.starts_at, event.timezone)
        form.ends_at.data = services.utc_to_local(session.ends_at, event.timezone)
        form.speaker_ids.data = [speaker.id for speaker in session.speakers]
    if form.validate_on_submit():
        try:
            warnings = services.update_session(acting_user(), session, form.service_values())
        except services.AdminError as exc:
            refuse(form, exc)
        else:
            db.session.commit()
            flash(_("The session was saved."), "success")
            flash_warnings(warnings)
            return redirect(url_for("admin.programme", event_id=event.id))
    return _form_page(form, event, session)


def _form_page(form: SessionForm, event: Event, session: Session | None):
    status = 422 if form.is_submitted() else 200
    return render_template(
        "admin/session_form.html", form=form, event=event, programme_session=session
    ), status


def _set_status(session_id: int, status: SessionStatus, message: str):
    session = db.get_or_404(Session, session_id)
    if ConfirmForm().validate_on_submit():
        services.set_session_status(acting_user(), session, status)
        db.session.commit()
        flash(message, "success")
    return redirect(url_for("admin.programme", event_id=session.event_id))


@bp.route("/sessions/<int:session_id>/cancel", methods=["GET", "POST"])
def session_cancel(session_id: int):
    """Ask first, with the number of people who have it; the notice waits for review."""
    if request.method == "POST":
        return _set_status(
            session_id,
            SessionStatus.CANCELLED,
            _("The session was cancelled. Participants are told once you send the notice."),
        )
    session = db.get_or_404(Session, session_id)
    return render_template(
        "notices/confirm_cancel.html",
        event=session.event,
        programme_session=session,
        affected=notices.affected_count(session),
        form=ConfirmForm(),
        cancel_url=url_for("admin.programme", event_id=session.event_id),
    )


@bp.post("/sessions/<int:session_id>/reinstate")
def session_reinstate(session_id: int):
    return _set_status(
        session_id, SessionStatus.SCHEDULED, _("The session is back in the programme.")
    )


@bp.route("/sessions/<int:session_id>/delete", methods=["GET", "POST"])
def session_delete(session_id: int):
    """Ask first; delete only a session nobody chose."""
    session = db.get_or_404(Session, session_id)
    event_id = session.event_id
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            services.delete_session(acting_user(), session)
        except services.AdminError as exc:
            refuse(None, exc)
        else:
            db.session.commit()
            flash(_("The session was deleted."), "success")
        return redirect(url_for("admin.programme", event_id=event_id))
    blocked = services.choice_count(session) > 0
    return render_template(
        "admin/confirm_delete.html",
        form=form,
        event=session.event,
        what=session.title,
        affected=notices.affected_count(session),
        blocked=_(
            "Participants have chosen this session, so it cannot be deleted. Cancel it instead."
        )
        if blocked
        else None,
        cancel_url=url_for("admin.programme", event_id=event_id),
    )
