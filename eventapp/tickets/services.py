"""Tickets: validity, the workshops on a ticket, QR images and the texts on it.

The PDF ticket is drawn by ``eventapp.tickets.pdf`` from these; nothing here imports it.
"""

from __future__ import annotations

import hashlib
import io
from enum import Enum
from functools import cache, lru_cache

import qrcode
import qrcode.image.svg
from babel.dates import format_date
from qrcode.constants import ERROR_CORRECT_M
from sqlalchemy import bindparam

from eventapp.extensions import db
from eventapp.models import (
    ChoiceStatus,
    Event,
    EventStatus,
    Registration,
    RegistrationStatus,
    Session,
    SessionChoice,
)
from eventapp.registration.search import MAX_CODE_LENGTH

# Raised when the look of the images changes, so that cached copies are not reused.
IMAGE_VERSION = "1"


def ticket_valid(registration: Registration) -> bool:
    """True when the ticket admits its holder: confirmed, for an event that takes place."""
    return (
        registration.status == RegistrationStatus.CONFIRMED
        and registration.event.status != EventStatus.CANCELLED
    )


class TicketState(Enum):
    """What a ticket code stands for, as far as its images go."""

    VALID = "valid"
    CANCELLED = "cancelled"
    # Unknown, waitlisted, or for a cancelled event: no image either.
    ABSENT = "absent"


@cache
def _state_statement():
    return (
        db.select(Registration.status, Event.status)
        .join(Event, Registration.event_id == Event.id)
        .where(Registration.ticket_code == bindparam("code"))
    )


def ticket_state(code: str) -> TicketState:
    """The state of the ticket with ``code`` in one small query (the QR images need no more)."""
    if not code or len(code) > MAX_CODE_LENGTH:
        return TicketState.ABSENT
    row = db.session.connection().execute(_state_statement(), {"code": code}).one_or_none()
    if row is None:
        return TicketState.ABSENT
    status, event_status = row
    if status == RegistrationStatus.CANCELLED:
        return TicketState.CANCELLED
    if status == RegistrationStatus.CONFIRMED and event_status != EventStatus.CANCELLED:
        return TicketState.VALID
    return TicketState.ABSENT


def ticket_sessions(registration: Registration) -> list[tuple[Session, ChoiceStatus]]:
    """The workshops on the ticket, in programme order, with seat or waiting-list status."""
    choices: list[SessionChoice] = sorted(
        registration.choices, key=lambda c: (c.session.starts_at, c.session.id)
    )
    return [(choice.session, choice.status) for choice in choices]


def _qr(code: str) -> qrcode.QRCode:
    # Medium error correction survives a scratched print-out or a cracked phone screen.
    qr = qrcode.QRCode(error_correction=ERROR_CORRECT_M, box_size=10, border=4)
    qr.add_data(code, optimize=0)
    qr.make(fit=True)
    return qr


# Choosing the best of the eight mask patterns is most of a QR code's cost; every pattern
# gives a valid code that scanners read, so badges (thousands at once) use one.
BADGE_MASK_PATTERN = 2


def qr_matrix(code: str) -> list[list[bool]]:
    """The QR code's modules holding exactly ``code``, quiet zone included (True is dark),
    made with a fixed mask pattern: about eight times faster than ``_qr``."""
    qr = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=4, mask_pattern=BADGE_MASK_PATTERN)
    qr.add_data(code, optimize=0)
    qr.make(fit=True)
    return qr.get_matrix()


@lru_cache(maxsize=1024)
def qr_png(code: str) -> bytes:
    """A PNG of the QR code holding exactly ``code`` (cached: drawing a QR is the slow part)."""
    image = _qr(code).make_image(fill_color="black", back_color="white")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


@lru_cache(maxsize=1024)
def qr_svg(code: str) -> bytes:
    """An SVG of the QR code holding exactly ``code`` (cached like the PNG)."""
    image = _qr(code).make_image(image_factory=qrcode.image.svg.SvgPathFillImage)
    buffer = io.BytesIO()
    image.save(buffer)
    return buffer.getvalue()


def image_etag(code: str, kind: str) -> str:
    """An ETag for a QR image: the image depends only on the code and on how it is drawn."""
    return hashlib.sha256(f"{IMAGE_VERSION}:{kind}:{code}".encode()).hexdigest()[:32]


def event_dates(event: Event, locale: str) -> str:
    """When the event takes place, in its own time zone: "Sonntag, 16. Mai 2027, 09:00–17:00"."""
    start, end = event.local(event.starts_at), event.local(event.ends_at)
    day = format_date(start.date(), format="full", locale=locale)
    if start.date() == end.date():
        return f"{day}, {start:%H:%M}–{end:%H:%M}"
    last_day = format_date(end.date(), format="full", locale=locale)
    return f"{day}, {start:%H:%M} – {last_day}, {end:%H:%M}"


def session_times(session: Session) -> str:
    """A session's time span in the event's time zone, e.g. "11:00–12:30"."""
    event = session.event
    return f"{event.local(session.starts_at):%H:%M}–{event.local(session.ends_at):%H:%M}"
