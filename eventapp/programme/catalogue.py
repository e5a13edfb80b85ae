"""Speakers, tracks and rooms of an event, edited by organizers."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _

from eventapp.admin import audit
from eventapp.extensions import db
from eventapp.models import Event, Room, Session, Speaker, Track, User
from eventapp.programme.editing import AdminError, flush_or_refuse

CATALOGUE_FIELDS: dict[type, tuple[str, ...]] = {
    Track: ("name", "name_en", "colour", "position"),
    Room: ("name", "name_en", "capacity", "max_occupancy", "position"),
    Speaker: ("name", "organisation", "role_title", "role_title_en", "bio", "bio_en"),
}


def _name_taken(model: type, event: Event, name: str, exclude_id: int | None) -> bool:
    if model is Speaker:  # two speakers may share a name
        return False
    query = db.select(model.id).where(model.event_id == event.id, model.name == name)
    if exclude_id is not None:
        query = query.where(model.id != exclude_id)
    return db.session.execute(query).first() is not None


def _name_taken_message() -> str:
    return _("This event already has one with that name.")


def create_item(actor: User, event: Event, model: type, values: dict[str, Any]):
    """A new track, room or speaker of ``event``."""
    if _name_taken(model, event, values["name"], None):
        raise AdminError(_name_taken_message(), "name")
    item = model(event=event, **{k: values[k] for k in CATALOGUE_FIELDS[model] if k in values})
    db.session.add(item)
    flush_or_refuse(_name_taken_message(), "name")
    audit.record(actor, f"{model.__tablename__}.create", item, None, audit.snapshot(item))
    return item


def update_item(actor: User, item, values: dict[str, Any]) -> None:
    """Change a track, room or speaker."""
    model = type(item)
    if _name_taken(model, item.event, values["name"], item.id):
        raise AdminError(_name_taken_message(), "name")
    before = audit.snapshot(item)
    for key in CATALOGUE_FIELDS[model]:
        if key in values:
            setattr(item, key, values[key])
    flush_or_refuse(_name_taken_message(), "name")
    audit.record(actor, f"{model.__tablename__}.update", item, before, audit.snapshot(item))


def sessions_using(item) -> list[Session]:
    """The sessions that use this track, room or speaker."""
    if isinstance(item, Speaker):
        return list(item.sessions)
    column = Session.track_id if isinstance(item, Track) else Session.room_id
    return list(db.session.execute(db.select(Session).where(column == item.id)).scalars())


def delete_item(actor: User, item) -> None:
    """Delete a track or room no session uses, or a speaker (who leaves their sessions)."""
    if not isinstance(item, Speaker) and sessions_using(item):
        raise AdminError(
            _("Sessions still use this. Assign them another one first, then delete it.")
        )
    audit.record(actor, f"{item.__tablename__}.delete", item, audit.snapshot(item), None)
    db.session.delete(item)
    db.session.flush()
