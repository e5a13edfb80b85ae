"""Reading the check-in state: live counts, name search and the scan log."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func

from eventapp.checkin.attention import attention_for
from eventapp.domain import InvalidInput
from eventapp.extensions import db
from eventapp.i18n import event_iso
from eventapp.models import (
    ENTRANCE,
    CheckIn,
    Event,
    Registration,
    ScanLog,
    Session,
    SessionKind,
    User,
)
from eventapp.registration.availability import event_availability
from eventapp.registration.search import matches, search_terms

SEARCH_MIN_LENGTH = 2
SEARCH_LIMIT = 20


class SearchTooShort(InvalidInput):
    """A name search without a word of ``SEARCH_MIN_LENGTH`` characters: it would list everyone."""

    code = "query_too_short"

    def __init__(self) -> None:
        super().__init__(
            _(
                "Type at least %(num)d characters of a name or organisation.",
                num=SEARCH_MIN_LENGTH,
            )
        )


def list_sessions(event: Event) -> list[Session]:
    """The sessions one can check people in to (all but breaks), in programme order."""
    return [s for s in event.sessions if s.kind != SessionKind.BREAK]


def checkin_status(event: Event) -> dict[str, Any]:
    """Counts for the event: registered, checked in, and per list.

    "registered" here means holding a seat (confirmed): who may come through the door.
    """
    numbers = event_availability(event)
    registered = numbers.confirmed
    checked_in = dict(
        db.session.execute(
            db.select(CheckIn.list_key, func.count(CheckIn.id))
            .join(Registration, Registration.id == CheckIn.registration_id)
            .where(Registration.event_id == event.id)
            .group_by(CheckIn.list_key)
        ).all()
    )
    inside = inside_counts(event)
    lists = [
        {
            "list": ENTRANCE,
            "title": "entrance",
            "expected": registered,
            "checked_in": checked_in.get(ENTRANCE, 0),
            "inside": inside.get(ENTRANCE, 0),
        }
    ]
    for session in list_sessions(event):
        seats = numbers.sessions[session.id].confirmed
        expected = seats if session.kind == SessionKind.WORKSHOP else None
        lists.append(
            {
                "list": session.id,
                "title": session.title,
                "kind": session.kind.value,
                "starts_at": event_iso(session.starts_at, event),
                "expected": expected,
                "checked_in": checked_in.get(f"session:{session.id}", 0),
                "inside": inside.get(f"session:{session.id}", 0),
            }
        )
    return {
        "event": event.slug,
        "registered": registered,
        "waitlisted": numbers.waitlisted,
        "cancelled": numbers.cancelled,
        "checked_in": checked_in.get(ENTRANCE, 0),
        "inside": inside.get(ENTRANCE, 0),
        "lists": lists,
    }


def inside_counts(event: Event) -> dict[str, int]:
    """List key → how many people are inside now: checked in and not left since."""
    return dict(
        db.session.execute(
            db.select(CheckIn.list_key, func.count(CheckIn.id))
            .join(Registration, Registration.id == CheckIn.registration_id)
            .where(Registration.event_id == event.id, CheckIn.left_at.is_(None))
            .group_by(CheckIn.list_key)
        ).all()
    )


def search_registrations(
    event: Event, query: str, *, contact_details: bool, limit: int = SEARCH_LIMIT
) -> list[dict]:
    """The event's registrations with every word of ``query`` in name, organisation or email.

    Door staff (``contact_details=False``) need a name, not the data to copy a ticket or
    to write to people: they get no email address and no ticket code, and an address
    finds someone only when typed in full, so that letter-by-letter searches cannot
    spell out anyone's address. Raises ``SearchTooShort`` without a word of two characters.
    """
    terms = search_terms(query)
    if not any(len(t) >= SEARCH_MIN_LENGTH for t in terms):
        raise SearchTooShort()
    statement = (
        db.select(Registration)
        .where(
            Registration.event_id == event.id,
            matches(terms, match_email=contact_details),
        )
        .order_by(Registration.last_name, Registration.first_name, Registration.id)
        .limit(limit)
    )
    results = []
    for r in db.session.execute(statement).scalars():
        result = {
            "id": r.id,
            "name": r.name,
            "first_name": r.first_name,
            "last_name": r.last_name,
            "organisation": r.organisation,
            "status": r.status.value,
            "checked_in_at": event_iso(r.checked_in_at, event),
            "attention": attention_for(r),
        }
        if contact_details:
            result["email"] = r.email
            result["ticket_code"] = r.ticket_code
        results.append(result)
    return results


# --- the log page ------------------------------------------------------------------


def scan_log(event: Event, list_key: str | None = None, limit: int = 300) -> list[ScanLog]:
    """The newest scans of the event (optionally of one list), newest first."""
    statement = (
        db.select(ScanLog)
        .where(ScanLog.event_id == event.id)
        .order_by(ScanLog.created_at.desc(), ScanLog.id.desc())
        .limit(limit)
    )
    if list_key is not None:
        statement = statement.where(ScanLog.list_key == list_key)
    return list(db.session.execute(statement).scalars())


def current_check_ins(event: Event) -> set[tuple[int, str]]:
    """(registration id, list key) of everyone checked in now: these can be undone."""
    rows = db.session.execute(
        db.select(CheckIn.registration_id, CheckIn.list_key)
        .join(Registration, Registration.id == CheckIn.registration_id)
        .where(Registration.event_id == event.id)
    ).all()
    return {(registration_id, list_key) for registration_id, list_key in rows}


def staff_names() -> dict[int, str]:
    """Organizer ids → how the log shows them (name, else email)."""
    rows = db.session.execute(db.select(User.id, User.name, User.email)).all()
    return {user_id: name or email for user_id, name, email in rows}
