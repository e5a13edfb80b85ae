"""Public read API: published events and their programme."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import selectinload

from eventapp import pagecache
from eventapp.api import bp
from eventapp.api.models import Error, EventDetail, EventList
from eventapp.api.serializers import event_detail_json, event_json
from eventapp.api.spec import responses, spec
from eventapp.domain import EventNotFound
from eventapp.extensions import db
from eventapp.models import Event, Session
from eventapp.public.services import get_public_programme
from eventapp.registration.availability import availability_of, publicly_visible


def public_event_or_404(slug: str) -> Event:
    """The published (or cancelled) event with this slug; drafts and unknown slugs get 404."""
    event = db.session.execute(
        db.select(Event)
        .where(Event.slug == slug, publicly_visible())
        .options(
            selectinload(Event.sessions).selectinload(Session.speakers),
            selectinload(Event.sessions).selectinload(Session.room),
        )
    ).scalar_one_or_none()
    if event is None:
        raise EventNotFound()
    return event


@bp.get("/events")
@spec.validate(
    resp=responses(HTTP_200=(EventList, "The visible events.")),
    tags=["events"],
    operation_id="listEvents",
)
def list_events():
    """Published and cancelled events (congress and site visits), soonest first."""
    events = (
        db.session.execute(
            db.select(Event).where(publicly_visible()).order_by(Event.starts_at, Event.id)
        )
        .scalars()
        .all()
    )
    counted = availability_of(events)
    return [event_json(event, counted[event.id]) for event in events]


@bp.get("/events/<slug>")
@spec.validate(
    resp=responses(
        HTTP_200=(EventDetail, "The event with its programme."),
        HTTP_404=(Error, "No such event, or not published."),
    ),
    tags=["events"],
    operation_id="getEvent",
)
def event_detail(slug: str):
    """One event with its sessions, tracks, rooms, speakers and seats left.

    Built once per programme version (``eventapp.pagecache``); seats and the
    registration window are filled in for each request.
    """
    programme = get_public_programme(slug)
    if programme is None:
        raise EventNotFound()
    event_id = programme.event_id

    def build() -> dict[str, Any]:
        document = event_detail_json(public_event_or_404(slug))
        document["seats_left"] = pagecache.seats_marker(event_id)
        document["registration_open"] = pagecache.open_marker(event_id)
        for item in document["sessions"]:
            item["seats_left"] = pagecache.seats_marker(event_id, item["id"])
        return document

    seats = {event_id: programme.seats}
    return pagecache.document(f"api-event:{slug}", programme.version, build, seats)
