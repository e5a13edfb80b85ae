"""Speakers, tracks and rooms of an event: one set of views for the three kinds."""

from __future__ import annotations

from dataclasses import dataclass

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm

from eventapp.admin import bp
from eventapp.admin.common import acting_user, refuse
from eventapp.admin.forms import ConfirmForm
from eventapp.extensions import db
from eventapp.models import Event, Room, Speaker, Track
from eventapp.programme import catalogue as items_service
from eventapp.programme.editing import AdminError
from eventapp.programme.forms import RoomForm, SpeakerForm, TrackForm, catalogue_values


@dataclass(frozen=True)
class Kind:
    model: type
    form: type[FlaskForm]
    singular: str
    plural: str


KINDS = {
    "tracks": Kind(Track, TrackForm, _l("Track"), _l("Tracks")),
    "rooms": Kind(Room, RoomForm, _l("Room"), _l("Rooms")),
    "speakers": Kind(Speaker, SpeakerForm, _l("Speaker"), _l("Speakers")),
}
KIND_PATTERN = "<any(tracks, rooms, speakers):kind>"


def _kind(name: str) -> Kind:
    if name not in KINDS:
        abort(404)
    return KINDS[name]


def _back(event_id: int, kind: str):
    return redirect(url_for("admin.catalogue", event_id=event_id, kind=kind))


@bp.get(f"/events/<int:event_id>/{KIND_PATTERN}")
def catalogue(event_id: int, kind: str):
    """The event's tracks, rooms or speakers."""
    event = db.get_or_404(Event, event_id)
    spec = _kind(kind)
    items = getattr(event, kind)
    usage = {item.id: len(items_service.sessions_using(item)) for item in items}
    return render_template(
        "admin/catalogue.html", event=event, kind=kind, spec=spec, items=items, usage=usage
    )


@bp.route(f"/events/<int:event_id>/{KIND_PATTERN}/new", methods=["GET", "POST"])
def catalogue_create(event_id: int, kind: str):
    event = db.get_or_404(Event, event_id)
    spec = _kind(kind)
    form = spec.form()
    if form.validate_on_submit():
        try:
            items_service.create_item(acting_user(), event, spec.model, catalogue_values(form))
        except AdminError as exc:
            refuse(form, exc)
        else:
            db.session.commit()
            flash(_("Saved."), "success")
            return _back(event.id, kind)
    return _form_page(form, event, kind, spec, None)


@bp.route(f"/{KIND_PATTERN}/<int:item_id>/edit", methods=["GET", "POST"])
def catalogue_edit(kind: str, item_id: int):
    spec = _kind(kind)
    item = db.get_or_404(spec.model, item_id)
    form = spec.form(obj=item)
    if form.validate_on_submit():
        try:
            items_service.update_item(acting_user(), item, catalogue_values(form))
        except AdminError as exc:
            refuse(form, exc)
        else:
            db.session.commit()
            flash(_("Saved."), "success")
            return _back(item.event_id, kind)
    return _form_page(form, item.event, kind, spec, item)


def _form_page(form: FlaskForm, event: Event, kind: str, spec: Kind, item):
    status = 422 if form.is_submitted() else 200
    return render_template(
        "admin/catalogue_form.html", form=form, event=event, kind=kind, spec=spec, item=item
    ), status


@bp.route(f"/{KIND_PATTERN}/<int:item_id>/delete", methods=["GET", "POST"])
def catalogue_delete(kind: str, item_id: int):
    """Ask first; tracks and rooms in use are kept, speakers leave their sessions."""
    spec = _kind(kind)
    item = db.get_or_404(spec.model, item_id)
    event_id = item.event_id
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            items_service.delete_item(acting_user(), item)
        except AdminError as exc:
            refuse(None, exc)
        else:
            db.session.commit()
            flash(_("Deleted."), "success")
        return _back(event_id, kind)
    used_by = items_service.sessions_using(item)
    blocked = None
    if used_by and spec.model is not Speaker:
        blocked = _("Sessions still use this. Assign them another one first, then delete it.")
    return render_template(
        "admin/confirm_delete.html",
        form=form,
        what=item.name,
        blocked=blocked,
        used_by=used_by,
        cancel_url=url_for("admin.catalogue", event_id=event_id, kind=kind),
    )
