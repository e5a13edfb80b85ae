"""The shapes of the declarative demo programme (see ``data.py``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time
from decimal import Decimal

from eventapp.models import EventKind, SessionKind

FICTIONAL = "Fiktive Person des Demo-Programms."


@dataclass(frozen=True)
class TrackData:
    name: str
    colour: str


@dataclass(frozen=True)
class RoomData:
    name: str
    capacity: int | None


@dataclass(frozen=True)
class SpeakerData:
    name: str
    organisation: str
    role_title: str
    bio: str = ""


@dataclass(frozen=True)
class SessionData:
    title: str
    kind: SessionKind
    starts: time
    ends: time
    room: str | None = None
    track: str | None = None
    capacity: int | None = None
    speakers: tuple[str, ...] = ()
    abstract: str = ""


@dataclass(frozen=True)
class EventData:
    slug: str
    kind: EventKind
    title: str
    summary: str
    description: str
    # Days after the congress; the congress itself has 0.
    day_offset: int
    starts: time
    ends: time
    venue: str
    address: str
    municipality: str
    latitude: Decimal
    longitude: Decimal
    capacity: int
    meeting_point: str = ""
    waitlist_enabled: bool = True
    tracks: tuple[TrackData, ...] = ()
    rooms: tuple[RoomData, ...] = ()
    speakers: tuple[SpeakerData, ...] = ()
    sessions: tuple[SessionData, ...] = ()


def t(hhmm: str) -> time:
    """``"09:30"`` as a time of day."""
    hours, minutes = hhmm.split(":")
    return time(int(hours), int(minutes))
