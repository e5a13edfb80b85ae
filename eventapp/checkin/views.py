"""HTTP views of the checkin feature; thin: parse, call a service, commit once, respond."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from eventapp.accounts.auth import may_work_at, role_required
from eventapp.checkin import bp, services
from eventapp.checkin.forms import UndoForm
from eventapp.checkin.messages import scanner_messages
from eventapp.domain import DomainError, EventNotFound
from eventapp.extensions import db
from eventapp.i18n import wallclock
from eventapp.models import ENTRANCE, Event
from eventapp.registration.availability import publicly_visible


def _event_or_404(slug: str) -> Event:
    """The event open to check-in at ``slug``; 403 for staff scoped to other events."""
    try:
        event = services.event_by_slug(slug)
    except EventNotFound:
        abort(404)
    if not may_work_at(current_user, event):
        abort(403)
    return event


def _lists(event: Event) -> list[dict]:
    """The lists to choose from: the entrance, then the sessions in programme order."""
    lists = [{"value": ENTRANCE, "label": _("Entrance")}]
    for session in services.list_sessions(event):
        starts = wallclock(session.starts_at, event, "clock")
        lists.append({"value": str(session.id), "label": f"{starts} {session.title}"})
    return lists


@bp.get("/checkin/")
@role_required()
def index():
    """Pick the event to check people in for (only those the account may work at)."""
    events = db.session.execute(
        db.select(Event).where(publicly_visible()).order_by(Event.starts_at)
    ).scalars()
    mine = [event for event in events if may_work_at(current_user, event)]
    return render_template("checkin/index.html", events=mine)


@bp.get("/checkin/<slug>")
@role_required()
def scanner(slug: str):
    """The scanner page: camera, handheld scanner field, name search and live counters."""
    event = _event_or_404(slug)
    return render_template(
        "checkin/scanner.html",
        event=event,
        lists=_lists(event),
        messages=scanner_messages(),
    )


@bp.get("/checkin/<slug>/log")
@role_required()
def log(slug: str):
    """Every scan of the event, newest first, optionally for one list; check-ins can be undone."""
    event = _event_or_404(slug)
    list_ref = request.args.get("list") or None
    list_key = None
    if list_ref:
        try:
            list_key, _session = services.resolve_list(event, list_ref)
        except services.CheckInError:
            abort(404)
    return render_template(
        "checkin/log.html",
        event=event,
        lists=_lists(event),
        selected=list_ref,
        entries=services.scan_log(event, list_key),
        current=services.current_check_ins(event),
        users=services.staff_names(),
        form=UndoForm(),
        list_value=services.list_value,
    )


@bp.post("/checkin/<slug>/undo")
@role_required()
def undo(slug: str):
    """Annul one check-in from the log page."""
    event = _event_or_404(slug)
    form = UndoForm()
    if not form.validate_on_submit():
        abort(400)
    registration = services.registration_of_event(event, form.registration_id.data)
    if registration is None:
        abort(404)
    try:
        answer = services.annul_check_in(
            event_slug=event.slug,
            code=registration.ticket_code,
            list_ref=form.list.data,
            user_id=current_user.id,
            device=_("Check-in log"),
        )
    except DomainError:  # the list or the event vanished since the page was shown
        abort(404)
    db.session.commit()
    if answer["status"] == services.AnnulStatus.ANNULLED:
        flash(_("Check-in of %(name)s undone.", name=registration.name), "success")
    else:
        flash(_("%(name)s was not checked in.", name=registration.name), "info")
    return redirect(url_for("checkin.log", slug=event.slug, list=form.back_to_list.data or None))
