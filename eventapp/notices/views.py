"""The review page of an event's programme changes: look, then send a notice or none."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import ngettext

from eventapp.admin import bp
from eventapp.admin.common import acting_user
from eventapp.extensions import db
from eventapp.models import Event, ProgrammeChange
from eventapp.notices import services
from eventapp.notices.digest import plan
from eventapp.notices.forms import DismissChangeForm, SendNoticeForm
from eventapp.notices.wording import describe


@bp.get("/events/<int:event_id>/changes")
def programme_changes(event_id: int):
    """Pending changes: what changed, who would be told, and the digest as it would read."""
    event = db.get_or_404(Event, event_id)
    planned = plan(event.id)
    form = SendNoticeForm(send_key=services.new_send_key())
    rows = [
        {
            "change": change,
            "words": describe(
                event, {"kind": change.kind, "before": change.before, "after": change.after}
            ),
            "people": services.people(planned.audiences[change.id]),
        }
        for change in planned.changes
    ]
    previews = services.digest_previews(planned, tuple(current_app.config["LANGUAGES"]))
    return render_template(
        "notices/review.html",
        event=event,
        rows=rows,
        recipients=services.people(planned.people),
        previews=previews,
        form=form,
        dismiss_form=DismissChangeForm(),
    )


@bp.post("/events/<int:event_id>/changes/send")
def programme_changes_send(event_id: int):
    event = db.get_or_404(Event, event_id)
    form = SendNoticeForm()
    back = redirect(url_for("admin.programme_changes", event_id=event.id))
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for error in errors:
                flash(error, "error")
        return back
    result = services.send_notice(acting_user(), event, form.send_key.data)
    if result.already_sent:
        flash(_("This notice was already sent. Nothing was sent again."), "warning")
        return back
    db.session.commit()
    if result.batch is None:
        flash(_("No changes are waiting for a notice."), "warning")
    elif not result.recipients:
        flash(_("Nobody has these changes in their programme. They are marked as done."), "success")
    else:
        flash(
            ngettext(
                "The notice was queued for %(num)d person.",
                "The notice was queued for %(num)d people.",
                result.recipients,
            ),
            "success",
        )
    return back


@bp.post("/events/<int:event_id>/changes/dismiss")
def programme_change_dismiss(event_id: int):
    event = db.get_or_404(Event, event_id)
    back = redirect(url_for("admin.programme_changes", event_id=event.id))
    form = DismissChangeForm()
    if not form.validate_on_submit():
        flash(_("Please reload the page and try again."), "error")
        return back
    change = db.session.get(ProgrammeChange, form.change_id.data)
    if change is None or change.event_id != event.id:
        abort(404)
    if services.dismiss_change(acting_user(), change):
        db.session.commit()
        flash(_("Marked as needing no notice. Nobody is told of this change."), "success")
    else:
        flash(_("This change was already decided."), "warning")
    return back
