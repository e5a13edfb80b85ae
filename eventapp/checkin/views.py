"""HTTP views of the checkin feature; thin: parse, call a service, commit once, respond."""

from __future__ import annotations

from flask import render_template

from eventapp.accounts.auth import role_required
from eventapp.checkin import bp
from eventapp.extensions import db
from eventapp.models import Event, EventStatus


@bp.get("/checkin/")
@role_required()
def index():
    """Pick the event to check people in for."""
    events = db.session.execute(
        db.select(Event).where(Event.status != EventStatus.DRAFT).order_by(Event.starts_at)
    ).scalars()
    return render_template("checkin/index.html", events=list(events))
