"""Who is inside now: the live board of an event's entrance and rooms.

Inside means checked in and not left since (``CheckIn.left_at`` empty). The entrance
counts its own list; a room counts the people inside any of its sessions, each person
once. The warning level compares the count with the configured maximum occupancy
(``Event.max_occupancy``, ``Room.max_occupancy``), the fire-safety limit.
"""

from __future__ import annotations

import enum
from collections import defaultdict
from typing import Any

from flask_babel import gettext as _

from eventapp.checkin.queries import list_sessions
from eventapp.content import localized
from eventapp.database import MAX_ID
from eventapp.domain import NotFound
from eventapp.extensions import db
from eventapp.i18n import event_iso
from eventapp.models import ENTRANCE, CheckIn, Event, Registration, Room, utcnow
from eventapp.numbers import whole_number

# From this share of the maximum on, the board warns (amber); at the maximum it is red.
NEAR_PERCENT = 90


class Level(enum.StrEnum):
    """How close an area is to its maximum occupancy."""

    UNLIMITED = "unlimited"  # no maximum configured
    OK = "ok"
    NEAR = "near"
    FULL = "full"


def occupancy_level(inside: int, maximum: int | None) -> Level:
    """``full`` at or over the maximum, ``near`` from 90 % of it, else ``ok``."""
    if not maximum:
        return Level.UNLIMITED
    if inside >= maximum:
        return Level.FULL
    if inside * 100 >= maximum * NEAR_PERCENT:
        return Level.NEAR
    return Level.OK


def room_of_event(event: Event, room_ref: str | None) -> Room | None:
    """The room ``room_ref`` (an id) of ``event``; None without one; else ``NotFound``."""
    if room_ref is None or room_ref == "":
        return None
    room_id = whole_number(str(room_ref))
    room = db.session.get(Room, room_id) if room_id and room_id <= MAX_ID else None
    if room is None or room.event_id != event.id:
        raise NotFound(_("This event has no room with that id."))
    return room


def _percent(inside: int, maximum: int | None) -> int | None:
    return None if not maximum else (inside * 100) // maximum


def _open_check_ins(event: Event) -> list[tuple[str, int, Any]]:
    """(list key, registration id, checked in at) of everyone inside now."""
    return list(
        db.session.execute(
            db.select(CheckIn.list_key, CheckIn.registration_id, CheckIn.checked_in_at)
            .join(Registration, Registration.id == CheckIn.registration_id)
            .where(Registration.event_id == event.id, CheckIn.left_at.is_(None))
        ).all()
    )


def _names(registration_ids: set[int]) -> dict[int, tuple[str, str]]:
    if not registration_ids:
        return {}
    rows = db.session.execute(
        db.select(
            Registration.id,
            Registration.first_name,
            Registration.last_name,
            Registration.organisation,
        ).where(Registration.id.in_(registration_ids))
    ).all()
    return {
        rid: (f"{first} {last}".strip(), organisation or "")
        for rid, first, last, organisation in rows
    }


def _area(
    key: str,
    kind: str,
    name: str,
    inside: dict[int, Any],
    maximum: int | None,
    event: Event,
    names: dict[int, tuple[str, str]] | None,
) -> dict[str, Any]:
    count = len(inside)
    area: dict[str, Any] = {
        "key": key,
        "kind": kind,
        "name": name,
        "inside": count,
        "max_occupancy": maximum,
        "percent": _percent(count, maximum),
        "level": occupancy_level(count, maximum).value,
    }
    if names is not None:
        people = [
            {
                "name": names[rid][0],
                "organisation": names[rid][1],
                "checked_in_at": event_iso(since, event),
            }
            for rid, since in inside.items()
            if rid in names
        ]
        area["people"] = sorted(people, key=lambda person: person["name"].casefold())
    return area


def board(event: Event, *, with_people: bool, room: Room | None = None) -> dict[str, Any]:
    """The board's numbers: the entrance, then each room with sessions to check in to.

    With ``room`` only that room. ``with_people`` (organizers) adds the names of those
    inside; door staff get counts only.
    """
    by_list: dict[str, dict[int, Any]] = defaultdict(dict)
    for list_key, registration_id, since in _open_check_ins(event):
        by_list[list_key][registration_id] = since
    sessions_by_room: dict[int, list] = defaultdict(list)
    for session in list_sessions(event):
        if session.room_id is not None:
            sessions_by_room[session.room_id].append(session)
    rooms = [r for r in event.rooms if r.id in sessions_by_room and (room is None or r is room)]
    if room is not None and room not in rooms:
        rooms = [room]
    wanted: set[int] = set() if room is not None else set(by_list[ENTRANCE])
    room_inside: dict[int, dict[int, Any]] = {}
    for each in rooms:
        inside: dict[int, Any] = {}
        for session in sessions_by_room.get(each.id, []):
            for rid, since in by_list.get(f"session:{session.id}", {}).items():
                inside[rid] = min(inside[rid], since) if rid in inside else since
        room_inside[each.id] = inside
        wanted |= set(inside)
    names = _names(wanted) if with_people else None
    areas = []
    if room is None:
        areas.append(
            _area(
                ENTRANCE,
                "entrance",
                "",
                by_list.get(ENTRANCE, {}),
                event.max_occupancy,
                event,
                names,
            )
        )
    for each in rooms:
        area = _area(
            f"room:{each.id}",
            "room",
            localized(each, "name"),
            room_inside[each.id],
            each.max_occupancy,
            event,
            names,
        )
        area["sessions"] = [
            {
                "list": session.id,
                "title": localized(session, "title"),
                "starts_at": event_iso(session.starts_at, event),
                "inside": len(by_list.get(f"session:{session.id}", {})),
            }
            for session in sessions_by_room.get(each.id, [])
        ]
        areas.append(area)
    return {"event": event.slug, "updated_at": event_iso(utcnow(), event), "areas": areas}


def board_messages() -> dict[str, str]:
    """The board's words, for the page and its script (which redraws the areas)."""
    return {
        "entrance": _("Entrance"),
        "inside": _("inside"),
        "of_maximum": _("of %(max)s allowed"),
        "unlimited": _("No maximum occupancy set"),
        "ok": _("Below the maximum"),
        "near": _("Nearly full: 90 percent of the maximum or more"),
        "full": _("Maximum reached: let nobody in until people leave"),
        "people": _("People inside"),
        "nobody": _("Nobody inside."),
        "since": _("since %(time)s"),
        "updated": _("Updated %(time)s"),
        "offline": _("No connection: the numbers may be out of date."),
    }
