"""Language and time-zone selection: German first, English second."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING
from urllib.parse import urlencode, urlsplit

from flask import (
    Blueprint,
    Flask,
    current_app,
    has_request_context,
    redirect,
    request,
    session,
    url_for,
)
from flask_babel import (
    format_date,
    format_datetime,
    format_decimal,
    format_time,
    get_locale,
    refresh,
)

if TYPE_CHECKING:
    from eventapp.models import Event

bp = Blueprint("i18n", __name__)


def select_locale() -> str:
    """An explicit choice (``?lang=`` or the switch) wins, then ``Accept-Language``.

    Outside a request (CLI, mail worker) the default language applies; callers that
    write to a participant wrap their work in ``force_locale``.
    """
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    chosen = request.args.get("lang") or session.get("lang")
    if chosen in languages:
        return chosen
    return (
        request.accept_languages.best_match(languages) or current_app.config["BABEL_DEFAULT_LOCALE"]
    )


def current_locale() -> str:
    """The language of this response, e.g. for ``<html lang>``."""
    return str(get_locale() or current_app.config["BABEL_DEFAULT_LOCALE"])


def select_timezone() -> str:
    return current_app.config["BABEL_DEFAULT_TIMEZONE"]


def _safe_next(target: str | None) -> str:
    """Only same-site paths, so the switch cannot be used as an open redirect."""
    home = url_for("public.index")
    if not target or not target.startswith("/") or target.startswith("//"):
        return home
    # Browsers read "/\\host" like "//host"; control characters can smuggle the same.
    if "\\" in target or any(ord(char) < 0x20 for char in target):
        return home
    parts = urlsplit(target)
    return home if parts.scheme or parts.netloc else target


@bp.before_app_request
def remember_language_from_query() -> None:
    """``?lang=`` is sticky: later pages keep the language without the parameter."""
    # Flask-Babel caches the locale on ``g``; an app context shared by several requests
    # (tests, CLI-driven rendering) would otherwise keep the first request's language.
    refresh()
    lang = request.args.get("lang")
    if lang in current_app.config["LANGUAGES"] and session.get("lang") != lang:
        session["lang"] = lang


@bp.post("/language")
def switch_language():
    """Remember the chosen language in the session and go back where the visitor was."""
    lang = request.form.get("lang", "")
    if lang in current_app.config["LANGUAGES"]:
        session["lang"] = lang
    return redirect(_safe_next(request.form.get("next")))


# --- template filters: times shown in the event's own time zone ----------------


def _in_event_zone(moment: datetime, event: Event | None) -> datetime:
    if event is not None:
        return event.local(moment)
    from flask_babel import to_user_timezone

    return to_user_timezone(moment)


def localdatetime(moment: datetime | None, event: Event | None = None, format: str = "medium"):
    """Date and time in ``event``'s zone (the site default without an event), localised."""
    if moment is None:
        return ""
    return format_datetime(_in_event_zone(moment, event), format, rebase=False)


def localdate(moment: datetime | None, event: Event | None = None, format: str = "long"):
    """The date in ``event``'s zone, localised (``short``, ``medium``, ``long``, ``full``)."""
    if moment is None:
        return ""
    return format_date(_in_event_zone(moment, event), format, rebase=False)


def localtime(moment: datetime | None, event: Event | None = None, format: str = "short"):
    """The time of day in ``event``'s zone, localised (``short`` is 09:30 / 9:30 AM)."""
    if moment is None:
        return ""
    return format_time(_in_event_zone(moment, event), format, rebase=False)


def localdateclock(moment: datetime | None, event: Event | None = None) -> str:
    """Date and time for participants, in their language.

    ``16.05.2027, 08:30`` in German, ``May 16, 2027, 8:30 AM`` in English.
    """
    if moment is None:
        return ""
    return f"{localdate(moment, event, 'medium')}, {localtime(moment, event)}"


def localtimerange(start: datetime, end: datetime, event: Event | None = None) -> str:
    """``09:30–11:00`` in ``event``'s zone; the end carries its date when on another day."""
    first, last = _in_event_zone(start, event), _in_event_zone(end, event)
    if first.date() == last.date():
        return f"{localtime(start, event)}\u2013{localtime(end, event)}"
    return f"{localdatetime(start, event, 'short')}\u2013{localdatetime(end, event, 'short')}"


def event_iso(moment: datetime | None, event: Event | None = None) -> str | None:
    """The one machine-readable time: ISO 8601 to the second, with the offset of ``event``'s
    zone (``2027-05-16T09:30:00+02:00``), so a scanner or client shows the door's time."""
    if moment is None:
        return None
    return _in_event_zone(moment, event).isoformat(timespec="seconds")


def isoformat(moment: datetime | None, event: Event | None = None) -> str:
    """``event_iso`` for ``<time datetime>`` in templates: empty without a time."""
    return event_iso(moment, event) or ""


# Fixed patterns, the same in every language: sortable stamps in lists, logs and exports,
# short day-and-clock forms where space is tight. Add a style here rather than a strftime.
WALLCLOCK_STYLES = {
    "stamp": "%Y-%m-%d %H:%M",
    "stamp_seconds": "%Y-%m-%d %H:%M:%S",
    "clock": "%H:%M",
    "day_clock": "%d.%m. %H:%M",
    "day_clock_seconds": "%d.%m. %H:%M:%S",
    "date_clock_spaced": "%d.%m.%Y %H:%M",
}


def wallclock(moment: datetime | None, event: Event | None = None, style: str = "stamp") -> str:
    """``moment`` in ``event``'s zone in one of ``WALLCLOCK_STYLES``; without an event, as given."""
    if moment is None:
        return ""
    local = event.local(moment) if event is not None else moment
    return local.strftime(WALLCLOCK_STYLES[style])


def month_year(version: str) -> str:
    """A document's state as texts give it ("November 2026" for ``2026-11``); as given if
    it is no year and month."""
    try:
        year, month = (int(part) for part in version.split("-")[:2])
        return format_date(date(year, month, 1), "MMMM yyyy")
    except ValueError:
        return version


def filesize(size: int | None) -> str:
    """A file's size with the reader's decimal sign: "5,2 kB" in German, "5.2 kB" in English."""
    size = size or 0
    for unit, factor in (("GB", 10**9), ("MB", 10**6), ("kB", 10**3)):
        if size >= factor:
            return f"{format_decimal(size / factor, format='#,##0.0')} {unit}"
    return f"{size} B"


def switch_return_path() -> str:
    """This page's path and query without ``lang``, where the language switch returns to."""
    args = [(key, value) for key, value in request.args.items(multi=True) if key != "lang"]
    return request.path + ("?" + urlencode(args) if args else "")


def language_url(code: str) -> str:
    """This page in language ``code``: the language switch's link (``?lang=`` is sticky)."""
    path = switch_return_path()
    return f"{path}{'&' if '?' in path else '?'}{urlencode({'lang': code})}"


def init_app(app: Flask) -> None:
    """Register the date and time filters and the switch helper for every template."""
    app.jinja_env.globals["switch_return_path"] = switch_return_path
    app.jinja_env.globals["language_url"] = language_url
    app.jinja_env.filters.update(
        localdatetime=localdatetime,
        localdate=localdate,
        localdateclock=localdateclock,
        localtime=localtime,
        localtimerange=localtimerange,
        isoformat=isoformat,
        wallclock=wallclock,
        month_year=month_year,
        filesize=filesize,
    )
