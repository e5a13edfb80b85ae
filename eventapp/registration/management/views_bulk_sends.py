"""Past bulk mails of an event: the list, one send with its recipients, and its progress."""

from __future__ import annotations

from flask import abort, jsonify, render_template

from eventapp.admin import bp
from eventapp.admin.common import page_number
from eventapp.extensions import db
from eventapp.models import Event, MailBatch
from eventapp.registration.management import bulk_sends

PER_PAGE = 100


def _send_or_404(event: Event, batch_id: int) -> MailBatch:
    batch = bulk_sends.send_of(event, batch_id)
    if batch is None:
        abort(404)
    return batch


@bp.get("/events/<int:event_id>/mail/sends")
def bulk_sends_list(event_id: int):
    """Every bulk mail of the event: subject, when, by whom, how many, how far."""
    event = db.get_or_404(Event, event_id)
    batches = bulk_sends.sends(event)
    return render_template(
        "admin/mail_sends.html",
        event=event,
        batches=batches,
        progress=bulk_sends.progress_of(batches),
    )


@bp.get("/events/<int:event_id>/mail/sends/<int:batch_id>")
def bulk_send(event_id: int, batch_id: int):
    """One send: its counts (kept current by a script) and each recipient's message."""
    event = db.get_or_404(Event, event_id)
    batch = _send_or_404(event, batch_id)
    page = db.paginate(bulk_sends.messages(batch), page=page_number(), per_page=PER_PAGE)
    return render_template(
        "admin/mail_send.html",
        event=event,
        batch=batch,
        progress=bulk_sends.progress(batch),
        page=page,
    )


@bp.get("/events/<int:event_id>/mail/sends/<int:batch_id>/progress")
def bulk_send_progress(event_id: int, batch_id: int):
    """The send's counts as JSON, for the page's script."""
    event = db.get_or_404(Event, event_id)
    batch = _send_or_404(event, batch_id)
    return jsonify(bulk_sends.progress(batch).as_json())
