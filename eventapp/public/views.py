"""HTTP views of the public feature; thin: parse, call a service, commit once, respond."""

from __future__ import annotations

from flask import abort, jsonify, redirect, render_template, request, url_for

from eventapp.extensions import csrf, limiter
from eventapp.models import Event, EventKind
from eventapp.public import bp, services
from eventapp.registration import availability


@bp.app_template_filter("track_colour")
def track_colour(value: str | None) -> str:
    """A track colour safe to put into a style attribute (``#rrggbb``), else the default."""
    return value if value and services.HEX_COLOUR.fullmatch(value) else "#33658a"


def _event_or_404(slug: str) -> Event:
    event = services.get_public_event(slug)
    if event is None:
        abort(404)
    return event


@bp.get("/favicon.ico")
def favicon():
    """Browsers ask for /favicon.ico whatever the page links; the icon is an SVG."""
    return redirect(url_for("static", filename="favicon.svg"), code=301)


@bp.get("/")
def index():
    """Published events, upcoming first."""
    overview = services.list_public_events()
    counted = availability.availability_of(overview.upcoming)
    seats = {event_id: numbers.left for event_id, numbers in counted.items()}
    return render_template("public/index.html", overview=overview, seats_left=seats)


@bp.get("/events/<slug>")
def event(slug: str):
    """The event with its programme as a timetable, optionally filtered by track."""
    event = _event_or_404(slug)
    track = services.parse_track_filter(event, request.args.get("track"))
    timetable = services.build_timetable(event, track)
    numbers = availability.event_availability(event)
    return render_template(
        "public/event.html",
        event=event,
        track=track,
        timetable=timetable,
        session_seats=numbers.session_seats_left,
        seats_left=numbers.left,
        registration_open=numbers.registration_open,
        map_url=_map_url(event),
    )


@bp.get("/events/<slug>/sessions/<int:session_id>")
def session(slug: str, session_id: int):
    """One session with its speakers, place, time and seats left."""
    event = _event_or_404(slug)
    item = services.get_public_session(event, session_id)
    if item is None:
        abort(404)
    numbers = availability.event_availability(event)
    return render_template(
        "public/session.html",
        event=event,
        programme_session=item,
        seats_left=numbers.sessions[item.id].left,
        registration_open=numbers.registration_open,
    )


@bp.get("/events/<slug>/speakers")
def speakers(slug: str):
    """The event's speakers."""
    event = _event_or_404(slug)
    return render_template(
        "public/speakers.html", event=event, speakers=services.list_speakers(event)
    )


@bp.get("/events/<slug>/speakers/<int:speaker_id>")
def speaker(slug: str, speaker_id: int):
    """One speaker with their sessions at this event."""
    event = _event_or_404(slug)
    person = services.get_public_speaker(event, speaker_id)
    if person is None:
        abort(404)
    return render_template("public/speaker.html", event=event, speaker=person)


@bp.get("/healthz")
@limiter.exempt
@csrf.exempt
def healthz():
    """Liveness and database check for load balancers and the test server."""
    if services.database_is_up():
        return jsonify(status="ok", database="ok")
    return jsonify(status="error", database="error"), 503


def _map_url(event: Event) -> str | None:
    if event.kind != EventKind.SITE_VISIT:
        return None
    return services.map_url(event.latitude, event.longitude, event.address, event.municipality)
