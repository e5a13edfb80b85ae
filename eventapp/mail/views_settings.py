"""An event's mail settings page: reminder, thank-you mail, slides link and the mails' texts."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _

from eventapp.admin import bp
from eventapp.admin.common import acting_user, refuse
from eventapp.domain import DomainError, InvalidInput
from eventapp.errors import http_status
from eventapp.extensions import db
from eventapp.mail import management
from eventapp.mail.forms import MailTextForm, ResetTextForm, ScheduledMailForm
from eventapp.mail.placeholders import known_placeholders
from eventapp.models import Event


def _page(
    event: Event,
    settings_form: ScheduledMailForm | None = None,
    posted: MailTextForm | None = None,
    previews: dict | None = None,
    status: int = 200,
):
    """The page; ``posted`` (a kind's form as sent) replaces that kind's stored texts."""
    overview = management.text_overview(event)
    text_forms = {}
    for entry in overview:
        if posted is not None and posted.kind.data == entry.kind:
            text_forms[entry.kind] = posted.for_kind(entry.kind)
            continue
        form = MailTextForm(formdata=None, data={f"text_{t.locale}": t.text for t in entry.texts})
        text_forms[entry.kind] = form.for_kind(entry.kind)
    return render_template(
        "admin/mail_settings.html",
        event=event,
        form=settings_form or ScheduledMailForm(formdata=None, obj=event),
        overview=overview,
        text_forms=text_forms,
        placeholders=known_placeholders(),
        opened=posted.kind.data if posted is not None else None,
        previews=previews or {},
    ), status


@bp.get("/events/<int:event_id>/mail-settings")
def mail_settings(event_id: int):
    """The reminder, thank-you and slides settings and every mail kind's introduction."""
    return _page(db.get_or_404(Event, event_id))


@bp.post("/events/<int:event_id>/mail-settings")
def mail_settings_save(event_id: int):
    event = db.get_or_404(Event, event_id)
    form = ScheduledMailForm()
    if form.validate_on_submit():
        try:
            management.save_scheduled_mail(acting_user(), event, form.values())
        except InvalidInput as exc:
            refuse(form, exc)
        else:
            db.session.commit()
            flash(_("The mail settings have been saved."), "success")
            return redirect(url_for("admin.mail_settings", event_id=event.id))
    return _page(event, settings_form=form, status=422)


@bp.post("/events/<int:event_id>/mail-settings/texts")
def mail_texts_save(event_id: int):
    """Save one mail kind's introductions, or (button "preview") only show the mails."""
    event = db.get_or_404(Event, event_id)
    form = MailTextForm()
    if not form.validate_on_submit():
        if form.kind.errors:
            flash(_("This mail has no text of its own."), "error")
            return redirect(url_for("admin.mail_settings", event_id=event.id))
        return _page(event, posted=form, status=422)
    try:
        if form.preview.data:
            previews = management.preview_drafts(event, form.kind.data, form.drafts())
            return _page(event, posted=form, previews=previews)
        changed = management.save_texts(acting_user(), event, form.kind.data, form.drafts())
    except DomainError as exc:
        refuse(form, exc)
        return _page(event, posted=form, status=http_status(exc))
    db.session.commit()
    flash(_("The texts have been saved.") if changed else _("Nothing was changed."), "success")
    anchor = f"text-{form.kind.data}".replace("_", "-")
    return redirect(url_for("admin.mail_settings", event_id=event.id, _anchor=anchor))


@bp.post("/events/<int:event_id>/mail-settings/reset")
def mail_text_reset(event_id: int):
    """Back to the built-in introduction of one mail kind in one language."""
    event = db.get_or_404(Event, event_id)
    form = ResetTextForm()
    if not form.validate_on_submit():
        flash(_("This mail has no text of its own."), "error")
        return redirect(url_for("admin.mail_settings", event_id=event.id))
    management.reset_text(acting_user(), event, form.kind.data, form.locale.data)
    db.session.commit()
    flash(_("The built-in text applies again."), "success")
    anchor = f"text-{form.kind.data}".replace("_", "-")
    return redirect(url_for("admin.mail_settings", event_id=event.id, _anchor=anchor))
