"""Public read API: published events and their programme."""

from __future__ import annotations

from sqlalchemy.orm import selectinload

from eventapp.api import bp
from eventapp.api.schemas import SCHEMAS, event_detail_json, event_json, ref
from eventapp.domain import EventNotFound
from eventapp.extensions import db
from eventapp.models import Event, EventStatus, Session

# Cancelled events stay readable so that a shared link explains what happened.
VISIBLE_STATUSES = (EventStatus.PUBLISHED, EventStatus.CANCELLED)


def public_event_or_404(slug: str) -> Event:
    """The published (or cancelled) event with this slug; drafts and unknown slugs get 404."""
    event = db.session.execute(
        db.select(Event)
        .where(Event.slug == slug, Event.status.in_(VISIBLE_STATUSES))
        .options(
            selectinload(Event.sessions).selectinload(Session.speakers),
            selectinload(Event.sessions).selectinload(Session.room),
        )
    ).scalar_one_or_none()
    if event is None:
        raise EventNotFound()
    return event


@bp.get("/events")
def list_events():
    events = (
        db.session.execute(
            db.select(Event)
            .where(Event.status == EventStatus.PUBLISHED)
            .order_by(Event.starts_at, Event.id)
        )
        .scalars()
        .all()
    )
    return [event_json(event) for event in events]


@bp.get("/events/<slug>")
def event_detail(slug: str):
    return event_detail_json(public_event_or_404(slug))


def _json(schema: dict, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


SLUG_PARAMETER = {
    "name": "slug",
    "in": "path",
    "required": True,
    "schema": {"type": "string"},
    "example": "fachkongress-buerstadt",
}

OPENAPI_PATHS = {
    "/events": {
        "get": {
            "operationId": "listEvents",
            "tags": ["events"],
            "summary": "Published events (congress and site visits), soonest first.",
            "responses": {"200": _json(ref("EventList"), "The published events.")},
        }
    },
    "/events/{slug}": {
        "get": {
            "operationId": "getEvent",
            "tags": ["events"],
            "summary": "One event with its sessions, tracks, rooms, speakers and seats left.",
            "parameters": [SLUG_PARAMETER],
            "responses": {
                "200": _json(ref("EventDetail"), "The event with its programme."),
                "404": {"$ref": "#/components/responses/NotFound"},
            },
        }
    },
}

OPENAPI_SCHEMAS = SCHEMAS
