"""HTTP views of the feeds feature; thin: parse, call a service, respond (GET only, no writes)."""

from __future__ import annotations

from flask import abort, current_app, render_template, request
from flask_babel import gettext as _
from werkzeug.http import is_resource_modified

from eventapp.feeds import bp, links, services
from eventapp.feeds.cache import Feed
from eventapp.numbers import whole_number

for helper in (
    links.event_calendar_links,
    links.all_events_calendar_links,
    links.registration_calendar_links,
    links.session_calendar_links,
):
    bp.add_app_template_global(helper)


def _respond(feed: Feed, *, attachment: bool = False, private: bool = False):
    """The calendar with validators; answers 304 when the client's copy is current."""
    disposition = "attachment" if attachment or request.args.get("download") else "inline"
    headers = {
        **feed.validators,
        # Revalidate every time: cheap thanks to the ETag, and an edit shows up at once.
        "Cache-Control": ("private" if private else "public") + ", no-cache",
        "Content-Disposition": f'{disposition}; filename="{feed.filename}"',
    }
    if private:
        headers["X-Robots-Tag"] = "noindex, nofollow"
    if not is_resource_modified(request.environ, etag=feed.etag, last_modified=feed.last_modified):
        return current_app.response_class(status=304, headers=headers)
    return current_app.response_class(
        feed.body, headers=headers, content_type="text/calendar; charset=utf-8"
    )


def _track_id() -> int | None:
    raw = request.args.get("track", "").strip()
    if not raw:
        return None
    track_id = whole_number(raw)
    if track_id is None:
        abort(400, _("The track must be given by its number, e.g. ?track=3."))
    return track_id


@bp.get("/calendar.ics")
def all_events():
    """All published events, one entry each."""
    return _respond(services.events_feed(request.args.get("lang")))


@bp.get("/events/<slug>/calendar.ics")
def programme(slug: str):
    """The event's programme, one entry per session; ``?track=<id>`` keeps one track."""
    track_id = _track_id()
    try:
        feed = services.programme_feed(slug, track_id, request.args.get("lang"))
    except services.UnknownTrack as error:
        # The generic 404 page has no room for a reason; this one says what was wrong.
        return render_template("errors/error.html", status=404, message=error.message), 404
    if feed is None:
        abort(404)
    return _respond(feed)


@bp.get("/events/<slug>/sessions/<int:session_id>.ics")
def session(slug: str, session_id: int):
    """One session as a file to import."""
    feed = services.session_feed(slug, session_id, request.args.get("lang"))
    if feed is None:
        abort(404)
    return _respond(feed, attachment=True)


@bp.get("/calendar/<token>.ics")
def personal(token: str):
    """The participant's own feed: their event and workshops, following every change."""
    feed = services.personal_feed_for_token(token, request.args.get("lang"))
    if feed is None:
        abort(404)
    return _respond(feed, private=True)


@bp.get("/calendar/help")
def calendar_help():
    """How to subscribe in Outlook, Apple Calendar, Google Calendar and Thunderbird."""
    return render_template("feeds/help.html", feed_links=links.all_events_calendar_links())
