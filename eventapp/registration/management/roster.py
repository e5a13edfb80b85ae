"""Finding participants for the lists, exports and bulk email of the back office."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, case, exists, func
from sqlalchemy.orm import selectinload
from sqlalchemy.sql import Select

from eventapp.extensions import db
from eventapp.models import (
    ENTRANCE,
    CheckIn,
    ChoiceStatus,
    Event,
    Registration,
    RegistrationStatus,
    Sector,
    Session,
    SessionChoice,
)
from eventapp.registration.management.bounces import last_mail_failed
from eventapp.registration.search import matches, search_terms

ACTIVE = "active"

# How the registration list can be sorted (``?sort=``); each ends with name and id, so
# equal values keep one stable order across pages.
SORTS = ("name", "organisation", "status", "registered", "checked_in")
DEFAULT_SORT = "name"

# German dictionary order (DIN 5007-1): "Ä" files as "A", "ß" as "ss". Spelled out as SQL,
# so SQLite (whose lower() folds only ASCII) and PostgreSQL (whatever its collation)
# sort "Öztürk" among the O names alike, not after "Z".
FOLDED = (
    ("Ä", "a"), ("ä", "a"), ("Ö", "o"), ("ö", "o"), ("Ü", "u"), ("ü", "u"), ("ß", "ss"),
    ("É", "e"), ("é", "e"), ("È", "e"), ("è", "e"), ("Ç", "c"), ("ç", "c"),
)  # fmt: skip
# Registrations in the order they matter at the door: confirmed, waiting, cancelled.
STATUS_ORDER = {
    RegistrationStatus.CONFIRMED: 0,
    RegistrationStatus.WAITLISTED: 1,
    RegistrationStatus.CANCELLED: 2,
}


def dictionary_order(column: Any) -> ColumnElement:
    """``column`` as a sort key: umlauts folded to their base letter, then lower case."""
    folded = column
    for letter, base in FOLDED:
        folded = func.replace(folded, letter, base)
    return func.lower(folded)


def sort_order(sort: str = DEFAULT_SORT, descending: bool = False) -> list[ColumnElement]:
    """The ORDER BY of the registration list for ``sort`` (one of ``SORTS``).

    Registrations not checked in come last in both directions.
    """
    name = [dictionary_order(Registration.last_name), dictionary_order(Registration.first_name)]
    keys: list[Any]
    if sort == "organisation":
        keys = [dictionary_order(Registration.organisation)]
    elif sort == "status":
        keys = [case(STATUS_ORDER, value=Registration.status, else_=len(STATUS_ORDER))]
    elif sort == "registered":
        keys = [Registration.created_at]
    elif sort == "checked_in":
        keys = [Registration.checked_in_at]
    else:
        keys = name
    ordered = [key.desc() if descending else key.asc() for key in keys]
    if sort == "checked_in":
        ordered.insert(0, Registration.checked_in_at.is_(None).asc())
    tie = [] if sort == "name" else [key.asc() for key in name]
    return [*ordered, *tie, Registration.id.desc() if descending else Registration.id.asc()]


def participants_query(
    event: Event,
    q: str = "",
    status: str | None = None,
    session_id: int | None = None,
    sector: str | None = None,
    sort: str = DEFAULT_SORT,
    descending: bool = False,
    mail_failed: bool = False,
) -> Select:
    """The event's registrations matching a search and filters, sorted (by name unless
    ``sort`` says otherwise, see ``sort_order``).

    ``q`` is the participant search (``registration.search``: every word in name,
    organisation or email); ``status`` is a registration status or ``active`` (confirmed
    or waitlisted); ``session_id`` keeps those who chose that workshop; ``mail_failed`` those
    whose last mail failed (``bounces``).
    """
    query = (
        db.select(Registration)
        .where(Registration.event_id == event.id)
        # Lists and exports show each person's workshops: load them in one go, not per row.
        .options(selectinload(Registration.choices).selectinload(SessionChoice.session))
    )
    if status == ACTIVE:
        query = query.where(Registration.status != RegistrationStatus.CANCELLED)
    elif status in {s.value for s in RegistrationStatus}:
        query = query.where(Registration.status == RegistrationStatus(status))
    if sector in {s.value for s in Sector}:
        query = query.where(Registration.sector == Sector(sector))
    if session_id:
        query = query.where(
            exists().where(
                SessionChoice.registration_id == Registration.id,
                SessionChoice.session_id == session_id,
            )
        )
    if mail_failed:
        query = query.where(last_mail_failed())
    if q:
        query = query.where(matches(search_terms(q)))
    return query.order_by(*sort_order(sort, descending))


def participants(event: Event, **filters: Any) -> list[Registration]:
    """All registrations matching the filters (see ``participants_query``)."""
    return list(db.session.execute(participants_query(event, **filters)).scalars())


def participant_rows(event: Event, *columns: Any, **filters: Any) -> list[Any]:
    """``columns`` of the registrations matching the filters, in the list's order, as
    plain rows: an export of 10 000 people reads no objects it does not need. These rows
    are read on the session's connection, as are the workshops and check-in times below:
    the ORM's row handling cost a fifth of a CSV export."""
    query = participants_query(event, **filters).with_only_columns(*columns)
    return list(db.session.connection().execute(query))


def workshop_titles(event: Event) -> dict[int, dict[str, list[str]]]:
    """Registration id → choice status ("confirmed", "waitlisted") → workshop titles, in
    the order chosen, for every registration of the event in one query."""
    rows = db.session.connection().execute(
        db.select(SessionChoice.registration_id, SessionChoice.status, Session.title)
        .join(Session, Session.id == SessionChoice.session_id)
        .join(Registration, Registration.id == SessionChoice.registration_id)
        .where(Registration.event_id == event.id)
        .order_by(SessionChoice.id)
    )
    titles: dict[int, dict[str, list[str]]] = {}
    for registration_id, status, title in rows:
        titles.setdefault(registration_id, {}).setdefault(str(status), []).append(title)
    return titles


def entrance_times(event: Event) -> dict[int, Any]:
    """Registration id → when it was checked in at the entrance."""
    rows = db.session.connection().execute(
        db.select(CheckIn.registration_id, CheckIn.checked_in_at)
        .join(Registration, Registration.id == CheckIn.registration_id)
        .where(Registration.event_id == event.id, CheckIn.list_key == ENTRANCE)
    )
    return dict(rows.all())


def entrance_check_ins(event: Event) -> dict[int, CheckIn]:
    """Registration id → its entrance check-in, for the event."""
    rows = db.session.execute(
        db.select(CheckIn)
        .join(Registration, Registration.id == CheckIn.registration_id)
        .where(Registration.event_id == event.id, CheckIn.list_key == ENTRANCE)
    ).scalars()
    return {row.registration_id: row for row in rows}


def session_list_key(session: Session) -> str:
    """The check-in list of a workshop, as the scanner names it."""
    return f"session:{session.id}"


def workshop_attendees(session: Session) -> list[tuple[Registration, CheckIn | None]]:
    """Confirmed participants with a confirmed seat in ``session``, and their check-in there."""
    registrations = db.session.execute(
        db.select(Registration)
        .join(SessionChoice, SessionChoice.registration_id == Registration.id)
        .where(
            SessionChoice.session_id == session.id,
            SessionChoice.status == ChoiceStatus.CONFIRMED,
            Registration.status == RegistrationStatus.CONFIRMED,
        )
        .order_by(func.lower(Registration.last_name), func.lower(Registration.first_name))
    ).scalars()
    check_ins = {
        row.registration_id: row
        for row in db.session.execute(
            db.select(CheckIn).where(CheckIn.list_key == session_list_key(session))
        ).scalars()
    }
    return [(reg, check_ins.get(reg.id)) for reg in registrations]


def registration_check_ins(registration: Registration) -> list[CheckIn]:
    """Every list the person was admitted to, in order."""
    return list(
        db.session.execute(
            db.select(CheckIn)
            .where(CheckIn.registration_id == registration.id)
            .order_by(CheckIn.checked_in_at)
        ).scalars()
    )


def workshops(event: Event) -> list[Session]:
    """The event's sessions that are chosen at registration."""
    return [s for s in event.sessions if s.needs_choice]
