"""The back office's start page and the dashboard of one event."""

from __future__ import annotations

from flask import render_template

from eventapp.admin import bp, stats
from eventapp.admin.forms import ConfirmForm
from eventapp.extensions import db
from eventapp.mail import optout
from eventapp.models import Event
from eventapp.notices.digest import pending_count
from eventapp.programme.forms import EventStatusForm
from eventapp.registration import retention
from eventapp.registration.availability import is_publicly_visible
from eventapp.registration.management import bounces


@bp.get("/")
def index():
    """Every event with its headline numbers."""
    events = db.session.execute(db.select(Event).order_by(Event.starts_at.desc())).scalars().all()
    counts = stats.counts_by_event(events)
    return render_template("admin/index.html", events=events, counts=counts)


@bp.get("/events/<int:event_id>/")
def event_dashboard(event_id: int):
    """Counts, workshop fill levels and registrations over time for one event."""
    event = db.get_or_404(Event, event_id)
    return render_template(
        "admin/event_dashboard.html",
        event=event,
        publicly_visible=is_publicly_visible(event),
        counts=stats.event_counts(event),
        fill=stats.workshop_fill(event),
        chart=stats.registrations_chart(event),
        announcements_stopped=optout.stopped_count(event),
        status_form=EventStatusForm(),
        confirm_form=ConfirmForm(),
        pending_changes=pending_count(event.id),
        mail_failed=bounces.failed_count(event),
        erase_on=retention.erase_on(event),
    )
