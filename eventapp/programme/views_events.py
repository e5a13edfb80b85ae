"""Creating, editing, publishing, cancelling and deleting events."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _

from eventapp.admin import bp
from eventapp.admin.common import acting_user, flash_warnings, refuse
from eventapp.admin.forms import ConfirmForm
from eventapp.extensions import db
from eventapp.models import Event, EventStatus
from eventapp.programme import editing as services
from eventapp.programme.forms import EventForm, EventStatusForm


@bp.route("/events/new", methods=["GET", "POST"])
def event_create():
    """A new event, saved as a draft."""
    form = EventForm()
    if form.validate_on_submit():
        try:
            event = services.create_event(acting_user(), form.service_values())
        except services.AdminError as exc:
            refuse(form, exc)
        else:
            db.session.commit()
            flash(_("The event was created as a draft."), "success")
            return redirect(url_for("admin.event_dashboard", event_id=event.id))
    return _form_page(form, None)


@bp.route("/events/<int:event_id>/edit", methods=["GET", "POST"])
def event_edit(event_id: int):
    event = db.get_or_404(Event, event_id)
    form = EventForm(obj=event)
    if not form.is_submitted():
        for key in services.EVENT_LOCAL_TIMES:
            getattr(form, key).data = services.utc_to_local(getattr(event, key), event.timezone)
    if form.validate_on_submit():
        try:
            warnings = services.update_event(acting_user(), event, form.service_values())
        except services.AdminError as exc:
            refuse(form, exc)
        else:
            db.session.commit()
            flash(_("The event was saved."), "success")
            flash_warnings(warnings)
            return redirect(url_for("admin.event_dashboard", event_id=event.id))
    return _form_page(form, event)


def _form_page(form: EventForm, event: Event | None):
    status = 422 if form.is_submitted() else 200
    return render_template("admin/event_form.html", form=form, event=event), status


@bp.post("/events/<int:event_id>/status")
def event_set_status(event_id: int):
    """Publish, unpublish (back to draft) or cancel."""
    event = db.get_or_404(Event, event_id)
    form = EventStatusForm()
    if not form.validate_on_submit():
        flash(_("Unknown status."), "error")
        return redirect(url_for("admin.event_dashboard", event_id=event.id))
    status = EventStatus(form.status.data)
    services.set_event_status(acting_user(), event, status)
    db.session.commit()
    flash(_("The event's status was changed."), "success")
    if status == EventStatus.CANCELLED and services.registration_count(event):
        flash(_("Please tell the participants: use “Email” to write to them."), "warning")
    return redirect(url_for("admin.event_dashboard", event_id=event.id))


@bp.route("/events/<int:event_id>/delete", methods=["GET", "POST"])
def event_delete(event_id: int):
    """Ask first; delete only an event without registrations."""
    event = db.get_or_404(Event, event_id)
    form = ConfirmForm()
    blocked = services.registration_count(event) > 0
    if form.validate_on_submit():
        try:
            services.delete_event(acting_user(), event)
        except services.AdminError as exc:
            db.session.rollback()
            flash(str(exc), "error")
            return redirect(url_for("admin.event_dashboard", event_id=event_id))
        db.session.commit()
        flash(_("The event was deleted."), "success")
        return redirect(url_for("admin.index"))
    return render_template(
        "admin/confirm_delete.html",
        form=form,
        what=event.title,
        blocked=_("This event has registrations and cannot be deleted. Cancel it instead.")
        if blocked
        else None,
        cancel_url=url_for("admin.event_dashboard", event_id=event.id),
    )
