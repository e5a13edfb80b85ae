"""What an offline scanner needs to decide at the door without the server.

Per event and list: every registration of the event with a keyed hash of its ticket
code (never the code), the name, the status, confirmed workshop seats, the attention
flag and whether it is checked in (and inside) on that list. ``since`` gives only the
registrations changed since then (see ``checkin.versions``: a little before, so that no
change is missed, and a row may come twice).

The hash key is derived from ``SECRET_KEY`` and the event, so a downloaded list is no
use at another event and reveals no codes; the device hashes what it scans with the
same key (HMAC-SHA256, base64url, first 16 bytes) and looks the result up.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from types import SimpleNamespace
from typing import Any

from flask import current_app

from eventapp.checkin import versions
from eventapp.checkin.attention import attention_for
from eventapp.checkin.services import list_value
from eventapp.extensions import db
from eventapp.i18n import event_iso
from eventapp.models import (
    ENTRANCE,
    CheckIn,
    ChoiceStatus,
    Event,
    Registration,
    SessionChoice,
    utcnow,
)

HASH_BYTES = 16


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def hash_key(event: Event) -> bytes:
    """The event's key for ticket hashes (stable while SECRET_KEY is)."""
    secret = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(secret, f"door-hash:{event.id}:{event.slug}".encode(), hashlib.sha256).digest()


def ticket_hash(key: bytes, code: str) -> str:
    """What the device computes from a scanned code (the scanner's ``ticketHash``)."""
    return _b64(hmac.new(key, code.encode(), hashlib.sha256).digest()[:HASH_BYTES])


def door_data(event: Event, list_key: str, since: int = 0) -> dict[str, Any]:
    """The download for ``list_key``: all registrations, or those changed after ``since``.

    Three queries whatever the size (registrations, check-ins, workshop seats). The
    version is a stamp taken before the rows are read; the next download asks for
    the rows changed since then, less the overlap that covers changes stamped
    earlier but committed later.
    """
    version = versions.next_stamp()
    changed = [Registration.event_id == event.id]
    if since:
        changed.append(Registration.door_version > versions.changed_after(since))
    rows = db.session.execute(
        db.select(
            Registration.id,
            Registration.ticket_code,
            Registration.first_name,
            Registration.last_name,
            Registration.status,
            Registration.attention_note,
            Registration.accessibility_needs,
        ).where(*changed)
    ).all()
    check_ins = dict(
        db.session.execute(
            db.select(CheckIn.registration_id, CheckIn.left_at)
            .join(Registration, Registration.id == CheckIn.registration_id)
            .where(*changed, CheckIn.list_key == list_key)
        ).all()
    )
    workshops: dict[int, list[int]] = {}
    for registration_id, session_id in db.session.execute(
        db.select(SessionChoice.registration_id, SessionChoice.session_id)
        .join(Registration, Registration.id == SessionChoice.registration_id)
        .where(*changed, SessionChoice.status == ChoiceStatus.CONFIRMED)
        .order_by(SessionChoice.session_id)
    ):
        workshops.setdefault(registration_id, []).append(session_id)
    key = hash_key(event)
    tickets = []
    for row in rows:
        flag = attention_for(
            SimpleNamespace(
                attention_note=row.attention_note, accessibility_needs=row.accessibility_needs
            )
        )
        checked_in = row.id in check_ins
        tickets.append(
            {
                "id": row.id,
                "hash": ticket_hash(key, row.ticket_code),
                "name": f"{row.first_name} {row.last_name}".strip(),
                "status": row.status.value,
                "workshops": workshops.get(row.id, []),
                "attention": flag,
                "checked_in": checked_in,
                "inside": checked_in and check_ins[row.id] is None,
            }
        )
    return {
        "event": event.slug,
        "list": list_value(list_key),
        "version": version,
        "full": not since,
        "hash_key": _b64(key),
        "tickets": tickets,
        "generated_at": event_iso(utcnow(), event),
    }


__all__ = ["ENTRANCE", "door_data", "hash_key", "ticket_hash"]
