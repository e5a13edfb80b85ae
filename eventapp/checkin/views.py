"""HTTP views of the checkin feature; thin: parse, call a service, commit once, respond."""

from __future__ import annotations

from pathlib import Path

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from eventapp.accounts.auth import may_work_at, role_required
from eventapp.checkin import bp, occupancy, services, walk_in
from eventapp.checkin.forms import UndoForm, WalkInForm
from eventapp.checkin.messages import scanner_messages
from eventapp.domain import DomainError, EventNotFound, NotFound
from eventapp.errors import show_refusal
from eventapp.extensions import db
from eventapp.i18n import current_locale, wallclock
from eventapp.models import ENTRANCE, Event, Role, SessionKind
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
    lists = [{"value": ENTRANCE, "label": _("Entrance"), "workshop": False}]
    for session in services.list_sessions(event):
        starts = wallclock(session.starts_at, event, "clock")
        lists.append(
            {
                "value": str(session.id),
                "label": f"{starts} {session.title}",
                "workshop": session.kind == SessionKind.WORKSHOP,
            }
        )
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


@bp.get("/checkin/sw.js")
def service_worker():
    """The scanner's service worker, served under /checkin/ so that this is its scope."""
    path = Path(current_app.static_folder, "checkin", "sw.js")
    response = current_app.response_class(
        path.read_bytes(), mimetype="text/javascript", content_type="text/javascript; charset=utf-8"
    )
    response.headers["Service-Worker-Allowed"] = url_for("checkin.index")
    return response


@bp.get("/checkin/manifest.webmanifest")
def manifest():
    """The web app manifest: the scanner can be installed on a phone's home screen."""
    response = current_app.json.response(
        {
            "name": _("Check-in scanner"),
            "short_name": _("Check-in"),
            "start_url": url_for("checkin.index"),
            "scope": url_for("checkin.index"),
            "display": "standalone",
            "background_color": "#ffffff",
            "theme_color": "#1d2a35",
            "icons": [
                {
                    "src": url_for("static", filename="favicon.svg"),
                    "sizes": "any",
                    "type": "image/svg+xml",
                }
            ],
        }
    )
    response.mimetype = "application/manifest+json"
    return response


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
        walk_in_form=WalkInForm(),
    )


@bp.get("/checkin/<slug>/board")
@role_required()
def board(slug: str):
    """The live board: who is inside the entrance and each room (``?room=<id>``: one room).

    Organizers see the names of the people inside, door staff the counts. The page
    polls the board's JSON (``api.checkin_board``) and redraws without a reload.
    """
    event = _event_or_404(slug)
    try:
        room = occupancy.room_of_event(event, request.args.get("room"))
    except NotFound:
        abort(404)
    with_people = current_user.has_role(Role.ADMIN)
    return render_template(
        "checkin/board.html",
        event=event,
        room=room,
        board=occupancy.board(event, with_people=with_people, room=room),
        with_people=with_people,
        messages=occupancy.board_messages(),
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


@bp.post("/checkin/<slug>/walk-in")
@role_required()
def walk_in_register(slug: str):
    """Register a walk-in and check them in at the entrance in one step."""
    event = _event_or_404(slug)
    form = WalkInForm()
    if form.validate_on_submit():
        person = walk_in.WalkIn(
            first_name=form.first_name.data or "",
            last_name=form.last_name.data or "",
            email=(form.email.data or "").strip(),
            organisation=form.organisation.data or "",
            privacy_informed=bool(form.privacy_informed.data),
        )
        try:
            registration, _answer = walk_in.register_walk_in(
                event_slug=event.slug,
                person=person,
                user=current_user._get_current_object(),
                locale=current_locale(),
                over_capacity=bool(form.over_capacity.data),
                device=(form.device.data or "").strip() or _("Walk-in form"),
            )
        except DomainError as exc:
            show_refusal(form, exc)
        else:
            db.session.commit()
            flash(_("%(name)s is registered and checked in.", name=registration.name), "success")
            return redirect(url_for("checkin.scanner", slug=event.slug))
    elif form.errors:
        flash(_("Please correct the marked fields."), "error")
    return render_template(
        "checkin/scanner.html",
        event=event,
        lists=_lists(event),
        messages=scanner_messages(),
        walk_in_form=form,
        walk_in_open=True,
    ), 422
