"""HTTP views of the public feature; thin: parse, call a service, commit once, respond."""

from __future__ import annotations

from flask import abort, jsonify, redirect, render_template, request, url_for

from eventapp import pagecache
from eventapp.extensions import csrf, limiter
from eventapp.models import Event, EventKind
from eventapp.public import bp, services
from eventapp.registration import availability


@bp.app_template_filter("track_colour")
def track_colour(value: str | None) -> str:
    """A track colour safe to put into a style attribute (``#rrggbb``), else the default."""
    return value if value and services.HEX_COLOUR.fullmatch(value) else "#33658a"


@bp.get("/favicon.ico")
def favicon():
    """Browsers ask for /favicon.ico whatever the page links; the icon is an SVG."""
    return redirect(url_for("static", filename="favicon.svg"), code=301)


@bp.get("/")
def index():
    """Published events, upcoming first; stored per list version, seats live."""
    overview = services.list_public_events()
    version = [
        (event.id, event.updated_at, event in overview.upcoming)
        for event in (*overview.upcoming, *overview.past)
    ]
    return pagecache.page(
        "index",
        version,
        lambda: render_template("public/index.html", overview=overview),
        availability.availability_of(overview.upcoming),
    )


def _programme_or_404(slug: str) -> services.PublicProgramme:
    """The public event's programme version and seats; 404 for drafts."""
    found = services.get_public_programme(slug)
    if found is None:
        abort(404)
    return found


@bp.get("/events/<slug>")
def event(slug: str):
    """The event with its programme as a timetable, optionally filtered by track."""
    programme = _programme_or_404(slug)
    raw_track = request.args.get("track")
    track = services.parse_track_filter(programme.event(), raw_track) if raw_track else None

    def render() -> str:
        event = programme.event()
        return render_template(
            "public/event.html",
            event=event,
            track=track,
            timetable=services.build_timetable(event, track),
            map_url=_map_url(event),
        )

    query = {"track": str(track.id)} if track else {}
    seats = {programme.event_id: programme.seats}
    return pagecache.page(f"event:{slug}", programme.version, render, seats, query)


@bp.get("/events/<slug>/sessions/<int:session_id>")
def session(slug: str, session_id: int):
    """One session with its speakers, place, time and seats left."""
    programme = _programme_or_404(slug)

    def render() -> str:
        event = programme.event()
        item = services.get_public_session(event, session_id)
        if item is None:
            abort(404)
        return render_template("public/session.html", event=event, programme_session=item)

    seats = {programme.event_id: programme.seats}
    return pagecache.page(f"session:{slug}:{session_id}", programme.version, render, seats)


@bp.get("/events/<slug>/speakers")
def speakers(slug: str):
    """The event's speakers."""
    programme = _programme_or_404(slug)

    def render() -> str:
        event = programme.event()
        return render_template(
            "public/speakers.html", event=event, speakers=services.list_speakers(event)
        )

    return pagecache.page(f"speakers:{slug}", programme.version, render, {})


@bp.get("/events/<slug>/speakers/<int:speaker_id>")
def speaker(slug: str, speaker_id: int):
    """One speaker with their sessions at this event."""
    programme = _programme_or_404(slug)

    def render() -> str:
        event = programme.event()
        person = services.get_public_speaker(event, speaker_id)
        if person is None:
            abort(404)
        return render_template("public/speaker.html", event=event, speaker=person)

    return pagecache.page(f"speaker:{slug}:{speaker_id}", programme.version, render, {})


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
