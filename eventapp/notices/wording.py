"""A programme change in words: what it was before and what it is now, in the reader's language.

One wording for the review page and the digest mail alike. Times are shown in the
event's time zone through the i18n helpers, so they read as the reader's language writes
them ("16.05.2027, 11:00–12:30").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import gettext as _

from eventapp.i18n import localdate, localtimerange
from eventapp.models import Event
from eventapp.notices.snapshots import ADDED, CANCELLED, EVENT, REINSTATED, REMOVED


@dataclass(frozen=True)
class Line:
    """One thing that changed: its name, what it was and what it is now."""

    label: str
    before: str
    after: str


@dataclass(frozen=True)
class ChangeInWords:
    """A change as a reader sees it: what it concerns, what happened, and the changed lines."""

    title: str
    headline: str
    when: str
    room: str
    lines: list[Line]
    cancelled: bool


def when(event: Event, snapshot: dict[str, Any]) -> str:
    """``16.05.2027, 11:00–12:30`` in the event's zone; empty without times."""
    starts, ends = snapshot.get("starts_at"), snapshot.get("ends_at")
    if not starts or not ends:
        return ""
    start, end = datetime.fromisoformat(starts), datetime.fromisoformat(ends)
    return f"{localdate(start, event, 'medium')}, {localtimerange(start, end, event)}"


def _headline(kind: str) -> str:
    return {
        ADDED: _("New in the programme"),
        CANCELLED: _("Cancelled"),
        REMOVED: _("Removed from the programme"),
        REINSTATED: _("Takes place after all"),
        EVENT: _("Time or place of the event"),
    }.get(kind, _("Changed"))


def describe(event: Event, item: dict[str, Any]) -> ChangeInWords:
    """``item`` (kind, before, after: as recorded or merged) in words."""
    kind = item.get("kind", "")
    before, after = item.get("before") or {}, item.get("after") or {}
    shown = after if kind not in (CANCELLED, REMOVED) else before
    lines: list[Line] = []

    def compare(label: str, old: str, new: str) -> None:
        if old != new:
            lines.append(Line(label, old or "–", new or "–"))

    if kind == EVENT:
        compare(_("Time"), when(event, before), when(event, after))
        compare(_("Venue"), before.get("venue", ""), after.get("venue", ""))
        compare(_("Address"), before.get("address", ""), after.get("address", ""))
        title = after.get("title") or before.get("title") or event.title
    else:
        if kind != ADDED:
            compare(_("Time"), when(event, before), when(event, after))
            compare(_("Room"), before.get("room", ""), after.get("room", ""))
            compare(
                _("Speakers"),
                ", ".join(before.get("speakers") or []),
                ", ".join(after.get("speakers") or []),
            )
        title = after.get("title") or before.get("title") or ""
    return ChangeInWords(
        title=title,
        headline=_headline(kind),
        when=when(event, shown),
        room=shown.get("room", ""),
        lines=lines,
        cancelled=kind in (CANCELLED, REMOVED),
    )
