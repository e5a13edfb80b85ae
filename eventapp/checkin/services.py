"""Check-in at the door and in workshops: redeem, annul, counts and name search.

Every outcome is decided here, so the API, the scanner page and the log page agree.
The truth about "checked in once" is the unique constraint on
``CheckIn(registration_id, list_key)``: two devices redeeming the same code at the
same moment both try to insert, exactly one succeeds, the other answers
``already_checked_in``. A nonce makes a retried request return its first answer, but
only a retry of the same scan: same code (or registration), event and list.

Draft events are not open to check-in: for the scanner they do not exist.
"""

from __future__ import annotations

import contextlib
import enum
import functools
from datetime import UTC, datetime, timedelta
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import bindparam, exists, insert, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import set_committed_value

from eventapp import reads
from eventapp.checkin import versions
from eventapp.checkin.attention import attention_for
from eventapp.checkin.queries import (  # re-exported: the services are the feature's interface
    SEARCH_MIN_LENGTH,
    SearchTooShort,
    checkin_status,
    current_check_ins,
    list_sessions,
    scan_log,
    search_registrations,
    staff_names,
)
from eventapp.database import ALONE, MAX_ID, begin_writing, runs_alone, unchanged_since_read
from eventapp.domain import DomainError, EventNotFound, InvalidInput
from eventapp.extensions import db
from eventapp.i18n import event_iso
from eventapp.models import (
    ENTRANCE,
    CheckIn,
    ChoiceStatus,
    Event,
    EventStatus,
    Registration,
    RegistrationStatus,
    ScanLog,
    Session,
    SessionChoice,
    SessionKind,
    utcnow,
)
from eventapp.numbers import whole_number
from eventapp.registration.availability import publicly_visible
from eventapp.registration.search import MAX_CODE_LENGTH as MAX_TICKET_CODE_LENGTH
from eventapp.registration.search import registration_by_code

# The scan log keeps at most this much of what a scanner sent (the column's length).
MAX_CODE_LENGTH = 200
MAX_NONCE_LENGTH = 80
# How far a device's clock may run ahead, and how old an offline scan may be when it
# finally reaches the server.
CLOCK_SKEW = timedelta(minutes=5)
MAX_OFFLINE_AGE = timedelta(days=7)


__all__ = [
    "SEARCH_MIN_LENGTH",
    "AnnulStatus",
    "CheckInError",
    "Direction",
    "InvalidDirection",
    "InvalidList",
    "RedeemStatus",
    "SearchTooShort",
    "annul_check_in",
    "checkin_status",
    "current_check_ins",
    "event_by_slug",
    "list_sessions",
    "look_up",
    "offline_scan_time",
    "redeem_ticket",
    "registration_of_event",
    "resolve_list",
    "scan_log",
    "search_registrations",
    "staff_names",
]


class RedeemStatus(enum.StrEnum):
    OK = "ok"
    ALREADY_CHECKED_IN = "already_checked_in"
    CANCELLED = "cancelled"
    WAITLISTED = "waitlisted"
    WRONG_EVENT = "wrong_event"
    NOT_REGISTERED_FOR_SESSION = "not_registered_for_session"
    UNKNOWN = "unknown"
    EVENT_CANCELLED = "event_cancelled"
    # An exit scan of someone who is not inside (never came in, or already left).
    NOT_INSIDE = "not_inside"


class Direction(enum.StrEnum):
    """Which way a scan counts: in through the door, or out."""

    ENTRY = "entry"
    EXIT = "exit"


class AnnulStatus(enum.StrEnum):
    ANNULLED = "annulled"
    NOT_CHECKED_IN = "not_checked_in"
    WRONG_EVENT = "wrong_event"
    UNKNOWN = "unknown"


class CheckInError(DomainError):
    """A check-in request that cannot be answered with a status (an unknown event is
    ``EventNotFound``, shared with the other features)."""


class InvalidList(CheckInError, InvalidInput):
    """The list is neither the entrance nor a session of the event."""

    code = "invalid_list"


class InvalidDirection(CheckInError, InvalidInput):
    """The direction is neither ``entry`` nor ``exit``."""

    code = "invalid_direction"


def parse_direction(value: Any) -> Direction:
    """``"entry"`` (also when absent) or ``"exit"``; anything else ``InvalidDirection``."""
    if value is None:
        return Direction.ENTRY
    if isinstance(value, str) and value in Direction._value2member_map_:
        return Direction(value)
    raise InvalidDirection(_('direction must be "entry" or "exit".'))


# --- lists -----------------------------------------------------------------------


def event_by_slug(slug: str) -> Event:
    """The event with this slug if open to check-in (publicly visible), else ``EventNotFound``.

    A draft is the organizers' work in progress: nobody is admitted to it, and door
    staff learn nothing about it, not even that it exists.
    """
    event = db.session.execute(_event_statement(False), {"slug": slug}).scalar_one_or_none()
    if event is None:
        raise EventNotFound()
    return event


def look_up(slug: str, code: str) -> tuple[Event, Registration | None]:
    """The event as ``event_by_slug`` finds it, and the registration whose ticket carries
    ``code`` as ``registration_by_code`` finds it (of any event), in one statement: every
    scan of a code reads both, and each statement is a round trip while the door waits."""
    along = look_up_along(slug, code)
    if along is None:
        return event_by_slug(slug), None
    found = reads.objects(along.statement, along.parameters, *along.parts)
    return found_by_look_up(found[0] if found else (None, None))


def look_up_along(slug: str, code: str) -> reads.Along | None:
    """``look_up`` as a read to send with another (the API token's, ``api_auth``); None
    for a code that cannot be a ticket's."""
    if not code or len(code) > MAX_TICKET_CODE_LENGTH:
        return None
    return reads.Along(
        _event_and_ticket_statement(), (_SCAN_EVENT, _SCAN_TICKET), {"slug": slug, "code": code}
    )


def found_by_look_up(found: tuple[Any, ...]) -> tuple[Event, Registration | None]:
    """What ``look_up`` answers for the objects its read found; ``EventNotFound`` if the
    event is not open to check-in."""
    event, registration = found
    if event is None:
        raise EventNotFound()
    return event, registration


# The columns a scan reads: the rest of the two wide rows cost more to take in than the
# statement cost to run. Any other column is loaded when first used.
_SCAN_EVENT = reads.columns(Event, "slug", "status", "timezone", "updated_at")
_SCAN_TICKET = reads.columns(
    Registration,
    "event_id",
    "status",
    "first_name",
    "last_name",
    "organisation",
    "attention_note",
    "accessibility_needs",
    "checked_in_at",
    "updated_at",
)


@functools.cache
def _event_and_ticket_statement() -> Any:
    return (
        select(*_SCAN_EVENT.selected, *_SCAN_TICKET.selected)
        .outerjoin(Registration, Registration.ticket_code == bindparam("code"))
        .where(Event.slug == bindparam("slug"), publicly_visible())
    )


@functools.cache
def _event_statement(hold: bool) -> Any:
    # Built once: every scan at the door runs it.
    query = db.select(Event).where(Event.slug == bindparam("slug"), publicly_visible())
    return _held(query) if hold else query


def resolve_list(event: Event, list_ref: Any) -> tuple[str, Session | None]:
    """``"entrance"`` or a session id (number, digits, ``session:<id>``) → list key, session."""
    if list_ref is None or list_ref == "" or list_ref == ENTRANCE:
        return ENTRANCE, None
    text = str(list_ref).removeprefix("session:")
    session_id = None if isinstance(list_ref, bool) or len(text) > 12 else whole_number(text)
    if session_id is None:
        raise InvalidList(_('The list must be "entrance" or a session id.'))
    if session_id > MAX_ID:
        raise InvalidList(_("This event has no session with that id."))
    session = db.session.get(Session, session_id)
    if session is None or session.event_id != event.id:
        raise InvalidList(_("This event has no session with that id."))
    return f"session:{session.id}", session


def list_value(list_key: str) -> str | int:
    """The list as the API shows it: ``"entrance"`` or the session id."""
    if list_key.startswith("session:"):
        return int(list_key.removeprefix("session:"))
    return list_key


# --- redeem ----------------------------------------------------------------------


def _person(registration: Registration) -> dict[str, Any]:
    return {
        "id": registration.id,
        "name": registration.name,
        "organisation": registration.organisation,
    }


def _attention(event: Event, registration: Registration | None) -> str | None:
    """The attention flag for the door, only for a registration of this event."""
    if registration is None or registration.event_id != event.id:
        return None
    return attention_for(registration)


def registration_of_event(event: Event, registration_id: int) -> Registration | None:
    """A registration, if it belongs to the event."""
    registration = db.session.get(Registration, registration_id)
    return registration if registration and registration.event_id == event.id else None


def _existing_check_in(registration: Registration, list_key: str) -> CheckIn | None:
    return db.session.execute(
        db.select(CheckIn).where(
            CheckIn.registration_id == registration.id, CheckIn.list_key == list_key
        )
    ).scalar_one_or_none()


def _admitted_to(registration: Registration, session: Session) -> bool:
    """Workshops admit only those with a confirmed seat; other sessions are open to all."""
    if session.kind != SessionKind.WORKSHOP:
        return True
    return (
        db.session.execute(
            db.select(SessionChoice.id).where(
                SessionChoice.registration_id == registration.id,
                SessionChoice.session_id == session.id,
                SessionChoice.status == ChoiceStatus.CONFIRMED,
            )
        ).first()
        is not None
    )


def _keep_earliest(existing: CheckIn, registration: Registration, at: datetime | None) -> None:
    """An offline scan that happened before the recorded check-in moves it back to its time."""
    if at is None or existing.checked_in_at <= at:
        return
    existing.checked_in_at = at
    if existing.list_key == ENTRANCE:
        registration.checked_in_at = at


def _note_other_device(existing: CheckIn, user_id: int | None, device: str) -> None:
    """Remember for the log whether another device (or person) made the check-in found.

    An offline scan finding its own device's check-in is a re-scan the device knew of;
    finding another's means two devices admitted the ticket: a duplicate.
    """
    db.session.info["checkin_other_device"] = (existing.device, existing.user_id) != (
        device,
        user_id,
    )


def _check_in(
    registration: Registration,
    list_key: str,
    user_id: int | None,
    device: str,
    at: datetime | None = None,
) -> tuple[RedeemStatus, datetime]:
    now = at or utcnow()
    if _insert_check_in(registration, list_key, user_id, device, now):
        return RedeemStatus.OK, now
    # The unique constraint found the check-in: made earlier, or by another device at
    # this moment (then its insert committed first, and this one waited for it).
    existing = _existing_check_in(registration, list_key)
    if existing is None:  # pragma: no cover - a conflicting row is visible once it won
        raise RuntimeError("check-in conflict without a check-in")
    if existing.left_at is not None and _reenter(existing):
        return RedeemStatus.OK, existing.checked_in_at
    _keep_earliest(existing, registration, at)
    _note_other_device(existing, user_id, device)
    return RedeemStatus.ALREADY_CHECKED_IN, existing.checked_in_at


def _insert_check_in(
    registration: Registration,
    list_key: str,
    user_id: int | None,
    device: str,
    at: datetime,
    unchanged: Event | None = None,
) -> bool:
    """Insert the check-in unless the list has one for the registration; True if inserted.

    ``ON CONFLICT DO NOTHING``, and no savepoint: the unique constraint decides between
    devices scanning the same ticket at once. A Core insert: no flush sees it, so the
    offline scanners' version is raised here, and the entrance time set, by an UPDATE
    (the ORM's flush cost as much as the rest of the scan). On PostgreSQL both go in one
    statement, one round trip; on the connection, because the session's execution
    machinery cost more than the statements.

    SQLite, with the event as ``unchanged``: only if the event and the registration are
    as read before the write lock, checked in the insert itself (``lock_late``).
    """
    connection = db.session.connection()
    entrance = list_key == ENTRANCE
    stamp = {
        "registration": registration.id,
        "door_version": versions.next_stamp(),
        "updated_at": utcnow(),
    }
    if entrance:
        stamp["checked_in_at"] = at
    check_in = _check_in_row(registration, list_key, user_id, device, at)
    if connection.dialect.name == "postgresql":
        statement = _check_in_and_stamp_statement(entrance)
        new = {f"new_{name}": value for name, value in check_in.items()}
        inserted = connection.execute(statement, {**new, **stamp}).first()
    elif unchanged is not None:
        seen = _seen(unchanged, registration)
        new = {f"new_{name}": value for name, value in check_in.items()}
        inserted = connection.execute(_sqlite_check_in_unless_changed(), {**new, **seen}).first()
        if inserted is not None:
            connection.execute(_checked_in_statement(entrance), stamp)
    else:
        inserted = connection.execute(_sqlite_check_in_statement(), check_in).first()
        if inserted is not None:
            connection.execute(_checked_in_statement(entrance), stamp)
    if inserted is None:
        return False
    for name, value in stamp.items():
        if name != "registration":
            set_committed_value(registration, name, value)
    return True


_CHECK_IN_COLUMNS = ("registration_id", "list_key", "checked_in_at", "user_id", "device")


def _check_in_row(
    registration: Registration, list_key: str, user_id: int | None, device: str, at: datetime
) -> dict[str, Any]:
    """The values of a new check-in (``_CHECK_IN_COLUMNS``)."""
    return {
        "registration_id": registration.id,
        "list_key": list_key,
        "checked_in_at": at,
        "user_id": user_id,
        "device": device,
    }


def _seen(event: Event, registration: Registration) -> dict[str, Any]:
    """The parameters of ``_unchanged``: the rows and their stamps as read."""
    return {
        "event": event.id,
        "event_seen": event.updated_at,
        "registration": registration.id,
        "registration_seen": registration.updated_at,
    }


def _unchanged(locking: bool) -> tuple[Any, Any]:
    """Conditions: the event and the registration still carry the stamps read (``_seen``).

    ``locking`` (PostgreSQL): the event row is share-locked in its condition; the
    caller locks the registration's row in its own FROM.
    """
    registrations, events = Registration.__table__, Event.__table__
    event_read = select(events.c.id).where(
        events.c.id == bindparam("event"),
        events.c.updated_at == bindparam("event_seen", type_=events.c.updated_at.type),
    )
    if locking:
        event_read = event_read.with_for_update(read=True, key_share=True)
    registration_read = (
        registrations.c.id == bindparam("registration"),
        registrations.c.updated_at
        == bindparam("registration_seen", type_=registrations.c.updated_at.type),
    )
    return exists(event_read), registration_read


@functools.cache
def _sqlite_check_in_unless_changed() -> Any:
    check_ins, registrations = CheckIn.__table__, Registration.__table__
    event_unchanged, registration_unchanged = _unchanged(locking=False)
    values = select(*(_typed("new", check_ins.c[name]) for name in _CHECK_IN_COLUMNS)).where(
        event_unchanged, exists(select(registrations.c.id).where(*registration_unchanged))
    )
    return (
        sqlite_insert(check_ins)
        .from_select(_CHECK_IN_COLUMNS, values)
        .on_conflict_do_nothing(index_elements=["registration_id", "list_key"])
        .returning(check_ins.c.id)
    )


@functools.cache
def _check_in_alone_statement(entrance: bool) -> Any:
    """PostgreSQL: ``_check_in_and_stamp_statement`` that also logs the scan, and writes
    only while the event and the registration are as read before (``_check_in_alone``).

    The event row is share-locked first, then the registration's row is locked; a row
    changed meanwhile is read in its new version under its lock, where its stamp no
    longer matches, so nothing is written. Returns the new check-in's id, if any.
    """
    registrations, check_ins, logs = Registration.__table__, CheckIn.__table__, ScanLog.__table__
    event_unchanged, registration_unchanged = _unchanged(locking=True)
    holder = (
        select(*(_typed("new", check_ins.c[name]) for name in _CHECK_IN_COLUMNS))
        .select_from(registrations)
        .where(*registration_unchanged, event_unchanged)
        .with_for_update(of=registrations, key_share=True)
    )
    new_check_in = (
        postgresql_insert(check_ins)
        .from_select(_CHECK_IN_COLUMNS, holder)
        .on_conflict_do_nothing(index_elements=["registration_id", "list_key"])
        .returning(check_ins.c.id)
        .cte("new_check_in")
    )
    stamped = (
        _checked_in_statement(entrance)
        .where(exists(select(new_check_in.c.id)))
        .returning(registrations.c.id)
        .cte("stamped")
    )
    logged = (
        insert(logs)
        .from_select(
            _LOG_COLUMNS,
            select(*(_typed("log", logs.c[name]) for name in _LOG_COLUMNS)).select_from(
                new_check_in
            ),
        )
        .returning(logs.c.id)
        .cte("logged")
    )
    return select(new_check_in.c.id).add_cte(stamped, logged).execution_options(**{ALONE: True})


def _typed(prefix: str, column: Any) -> Any:
    """A parameter ``<prefix>_<column>`` of the column's type."""
    return bindparam(f"{prefix}_{column.name}", type_=column.type)


@functools.cache
def _check_in_and_stamp_statement(entrance: bool) -> Any:
    """PostgreSQL: the check-in's insert, and the registration's update only if it inserted."""
    table = CheckIn.__table__
    new_check_in = (
        postgresql_insert(table)
        .values({name: bindparam(f"new_{name}") for name in _CHECK_IN_COLUMNS})
        .on_conflict_do_nothing(index_elements=["registration_id", "list_key"])
        .returning(table.c.id)
        .cte("new_check_in")
    )
    return (
        _checked_in_statement(entrance)
        .where(exists(select(new_check_in.c.id)))
        .returning(Registration.__table__.c.id)
    )


@functools.cache
def _sqlite_check_in_statement() -> Any:
    return (
        sqlite_insert(CheckIn.__table__)
        .on_conflict_do_nothing(index_elements=["registration_id", "list_key"])
        .returning(CheckIn.id)
    )


@functools.cache
def _checked_in_statement(entrance: bool) -> Any:
    # ``updated_at`` given, not left to its ``onupdate``: SQLAlchemy fills that in for an
    # UPDATE, but not for one carrying the check-in's INSERT along (PostgreSQL).
    values = {"door_version": bindparam("door_version"), "updated_at": bindparam("updated_at")}
    if entrance:
        values["checked_in_at"] = bindparam("checked_in_at")
    table = Registration.__table__
    return update(table).where(table.c.id == bindparam("registration")).values(values)


def _reenter(check_in: CheckIn) -> bool:
    """Clear ``left_at`` of someone who had left; False if another scan was faster.

    A conditional update, so two devices scanning the same returning guest at once
    admit them once: the other one answers ``already_checked_in``.
    """
    result = db.session.execute(
        update(CheckIn)
        .where(CheckIn.id == check_in.id, CheckIn.left_at.is_not(None))
        .values(left_at=None)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(check_in)
    if result.rowcount == 1:
        versions.stamp(db.session(), {check_in.registration})
    return result.rowcount == 1


def _leave(
    registration: Registration, list_key: str, at: datetime | None = None
) -> tuple[RedeemStatus, CheckIn | None]:
    """Record that the person left the list's room: ``ok``, or ``not_inside``.

    Like re-entry a conditional update: of two exit scans at once, one counts.
    """
    existing = _existing_check_in(registration, list_key)
    if existing is None or existing.left_at is not None:
        return RedeemStatus.NOT_INSIDE, existing
    result = db.session.execute(
        update(CheckIn)
        .where(CheckIn.id == existing.id, CheckIn.left_at.is_(None))
        .values(left_at=at or utcnow())
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(existing)
    if result.rowcount != 1:
        return RedeemStatus.NOT_INSIDE, existing
    # A bulk UPDATE: no flush sees it, so the offline scanners' version is raised here.
    versions.stamp(db.session(), {registration})
    return RedeemStatus.OK, existing


def _decide_exit(
    event: Event, registration: Registration, list_key: str, at: datetime | None = None
) -> dict[str, Any]:
    """An exit scan counts whoever is inside, whatever has happened to the registration
    since: a person in the room must be able to leave it on the board too."""
    status, check_in = _leave(registration, list_key, at)
    answer: dict[str, Any] = {"status": status.value, "registration": _person(registration)}
    if check_in is not None:
        answer["checked_in_at"] = event_iso(check_in.checked_in_at, event)
        answer["left_at"] = event_iso(check_in.left_at, event)
    return answer


def _decide(
    event: Event,
    registration: Registration | None,
    list_key: str,
    session: Session | None,
    user_id: int | None,
    device: str,
    direction: Direction = Direction.ENTRY,
    scanned_at: datetime | None = None,
) -> dict[str, Any]:
    if event.status == EventStatus.CANCELLED:
        # Nobody is admitted to a cancelled event, whatever the ticket says.
        answer = {"status": RedeemStatus.EVENT_CANCELLED.value}
        if registration is not None and registration.event_id == event.id:
            answer["registration"] = _person(registration)
        return answer
    if registration is None:
        return {"status": RedeemStatus.UNKNOWN.value}
    if direction == Direction.EXIT and registration.event_id == event.id:
        return _decide_exit(event, registration, list_key, scanned_at)
    answer: dict[str, Any] = {"registration": _person(registration)}
    if registration.event_id != event.id:
        status = RedeemStatus.WRONG_EVENT
        answer["registration_event"] = registration.event.title
    elif registration.status == RegistrationStatus.CANCELLED:
        status = RedeemStatus.CANCELLED
    elif registration.status == RegistrationStatus.WAITLISTED:
        status = RedeemStatus.WAITLISTED
    elif session is not None and not _admitted_to(registration, session):
        status = RedeemStatus.NOT_REGISTERED_FOR_SESSION
    else:
        status, checked_in_at = _check_in(registration, list_key, user_id, device, scanned_at)
        answer["checked_in_at"] = event_iso(checked_in_at, event)
    return {"status": status.value, **answer}


def _log_scan(
    action: str,
    event: Event,
    registration: Registration | None,
    code: str,
    list_key: str,
    answer: dict[str, Any],
    user_id: int | None,
    device: str,
    nonce: str | None = None,
    direction: Direction = Direction.ENTRY,
    scanned_at: datetime | None = None,
) -> None:
    """Add the scan and the answer it got to the log; the caller commits.

    A scan with ``scanned_at`` was decided offline and sent later; if it found the ticket
    already checked in, another device admitted the same person: a duplicate. Written at
    once, not at the flush: a nonce taken meanwhile fails here, inside the savepoint.
    """
    row = _log_row(
        action,
        event,
        registration,
        list_key,
        answer,
        user_id,
        device,
        code=code,
        nonce=nonce,
        direction=direction,
        scanned_at=scanned_at,
    )
    db.session.connection().execute(_SCAN_LOG_INSERT, row)


def _log_row(
    action: str,
    event: Event,
    registration: Registration | None,
    list_key: str,
    answer: dict[str, Any],
    user_id: int | None,
    device: str,
    *,
    code: str,
    nonce: str | None,
    direction: Direction,
    scanned_at: datetime | None,
) -> dict[str, Any]:
    """The values of a scan's log entry (``_LOG_COLUMNS``)."""
    offline = scanned_at is not None
    other_device = db.session.info.pop("checkin_other_device", False)
    return {
        "event_id": event.id,
        "registration_id": registration.id if registration else None,
        "user_id": user_id,
        "action": action,
        "code": code[:MAX_CODE_LENGTH],
        "list_key": list_key,
        "result": answer["status"],
        "device": device,
        "nonce": nonce,
        "response": answer,
        "direction": direction.value,
        "scanned_at": scanned_at,
        "offline": offline,
        "duplicate": offline
        and other_device
        and answer["status"] == RedeemStatus.ALREADY_CHECKED_IN,
        "created_at": utcnow(),
    }


# The table's, not the mapped class's: a plain insert, without the ORM's bulk machinery.
_SCAN_LOG_INSERT = insert(ScanLog.__table__)
# What ``_log_row`` gives: every column but the id.
_LOG_COLUMNS = tuple(column.name for column in ScanLog.__table__.columns if not column.primary_key)


def _stored_answer(
    user_id: int | None,
    nonce: str | None,
    *,
    event: Event,
    list_key: str,
    code: str,
    registration_id: int | None,
    direction: Direction = Direction.ENTRY,
) -> tuple[bool, dict[str, Any] | None]:
    """Whether ``nonce`` is taken, and the first answer if this request repeats that scan.

    A nonce replays only the scan it was first used with (same code or registration,
    event and list). Otherwise replaying would hand out another ticket's answer, e.g.
    ``ok`` for a cancelled ticket, and leave the real scan out of the log.
    """
    if not nonce or user_id is None:
        return False, None
    log = db.session.execute(
        db.select(ScanLog).where(ScanLog.user_id == user_id, ScanLog.nonce == nonce)
    ).scalar_one_or_none()
    if log is None:
        return False, None
    same_scan = (
        log.action == "redeem"
        and log.event_id == event.id
        and log.list_key == list_key
        and log.direction == direction.value
        and log.code == code[:MAX_CODE_LENGTH]
        and (registration_id is None or log.registration_id == registration_id)
    )
    return True, dict(log.response) if same_scan else None


def _held(query: Any) -> Any:
    """``query`` share-locking the event row until commit; the registration is read after.

    Cancelling locks the event row exclusively and then refuses anyone checked in. With
    this lock a scan and a cancellation of the same person happen one after the other,
    never both (a seat given away and used at the door). Scans do not block each other:
    the lock is the one the scan log's foreign key takes anyway, and the lock order
    (event, then registration) is the registration rules' own. A no-op on SQLite,
    whose write transactions already run one at a time.
    """
    return query.with_for_update(read=True, key_share=True).execution_options(
        populate_existing=True
    )


def redeem_ticket(
    *,
    event_slug: str = "",
    event: Event | None = None,
    code: str = "",
    registration_id: int | None = None,
    found: tuple[Event, Registration | None] | None = None,
    list_ref: Any = ENTRANCE,
    user_id: int | None,
    device: str = "",
    nonce: str | None = None,
    direction: Any = Direction.ENTRY,
    scanned_at: datetime | None = None,
) -> dict[str, Any]:
    """Check the holder of ``code`` in to a list of the event; the answer of the contract.

    Instead of a code, ``registration_id`` names a registration of this event (a name
    search hit on the scanner page; door staff never see ticket codes). With
    ``direction="exit"`` the scan records that the person left (``ok``, or
    ``not_inside``); the next entry admits them again. A registration of this event
    carries its ``attention`` flag for the door. Logs the scan whatever its outcome.
    The caller commits.

    ``scanned_at`` (aware, checked by ``offline_scan_time``) is the time of a scan made
    offline and sent later: the check-in gets that time (the earliest one wins when two
    devices admitted the same ticket), the log row is marked offline, and a scan that
    finds the ticket already checked in is flagged as a duplicate.

    A caller that has looked the event up already (to check who may scan there) passes
    ``event`` instead of ``event_slug``, or with the code what ``look_up`` found for it
    as ``found``. The event row is share-locked (``_held``) before
    the scan is decided, and what was read before is read again
    (``_decide_under_the_lock``); the common scan of a valid ticket checks the lock's
    conditions in its one statement instead (``_check_in_alone``).
    """
    direction = parse_direction(direction)
    nonce = (nonce or "")[:MAX_NONCE_LENGTH] or None
    if found is not None:
        event, registration = found
    else:
        if event is None:
            event = event_by_slug(event_slug)
        if registration_id is not None:
            code = ""
            registration = registration_of_event(event, registration_id)
        else:
            registration = registration_by_code(code)
    list_key, session = resolve_list(event, list_ref)
    scan = {
        "event": event,
        "list_key": list_key,
        "code": code,
        "registration_id": registration_id,
        "direction": direction,
    }
    taken, stored = _stored_answer(user_id, nonce, **scan)
    if stored is not None:
        return stored
    if taken:
        # The nonce belongs to another scan: this is a new scan, logged without it.
        nonce = None
    expected = _expected_check_in(event, registration, list_key, session, direction, scanned_at)
    if expected is not None and runs_alone(db.session.connection()):
        details = {"code": code, "nonce": nonce, "direction": direction, "scanned_at": scanned_at}
        answer = _check_in_alone(expected, event, registration, list_key, user_id, device, details)
        if answer is not None:
            return answer
    if not _decide_under_the_lock(event, registration, session, expected=expected is not None):
        expected = None
    while True:
        try:
            # Only a nonce can collide (the check-in's insert cannot): then a savepoint.
            with db.session.begin_nested() if nonce else contextlib.nullcontext():
                answer = _check_in_as_expected(
                    expected, event, registration, list_key, user_id, device
                )
                if answer is None:
                    if expected is not None:
                        _read_again(event, registration, session)
                    answer = _decide(
                        event,
                        registration,
                        list_key,
                        session,
                        user_id,
                        device,
                        direction,
                        scanned_at,
                    )
                    answer.update(_scan_details(event, registration, list_key, direction))
                _log_scan(
                    "redeem",
                    event,
                    registration,
                    code,
                    list_key,
                    answer,
                    user_id,
                    device,
                    nonce,
                    direction,
                    scanned_at,
                )
            return answer
        except IntegrityError:
            # The same nonce arrived twice at once: the other request's answer is the
            # answer if it was the same scan; else this one is counted on its own.
            taken, stored = _stored_answer(user_id, nonce, **scan)
            if stored is not None:
                return stored
            if not taken:
                raise
            nonce = None


def _decide_under_the_lock(
    event: Event,
    registration: Registration | None,
    session: Session | None,
    *,
    expected: bool = False,
) -> bool:
    """Take the lock the decision needs and read again what changed meanwhile (a ticket
    cancelled, an event called off); returns whether what was read before still holds.

    SQLite: the write lock, if the scan looked things up before it (``lock_late``); only
    what changed is read again. An ``expected`` check-in compares the stamps in its
    insert instead (``_check_in_as_expected``). PostgreSQL: the event's share lock
    (``_held``), and then the registration and the session again, in the lock order of
    the registration rules.
    """
    if db.session.get_bind().dialect.name == "postgresql":
        if db.session.execute(_event_statement(True), {"slug": event.slug}).first() is None:
            raise EventNotFound()
        _read_again(registration, session)
        return False
    if begin_writing() and not expected and not unchanged_since_read(event, registration, session):
        _read_again(event, registration, session)
        return False
    return True


def _read_again(*read: Event | Registration | Session | None) -> None:
    for obj in read:
        if obj is not None:
            db.session.refresh(obj)


def _expected_check_in(
    event: Event,
    registration: Registration | None,
    list_key: str,
    session: Session | None,
    direction: Direction,
    scanned_at: datetime | None,
) -> tuple[datetime, dict[str, Any]] | None:
    """The time and answer of a scan that checks its holder in, worked out before the
    write lock.

    For the common scan: a confirmed ticket of this event entering the entrance or a
    session open to all. Only the check-in's insert then runs under the lock, and every
    other writer waits for that alone. The answer holds if nothing read has changed
    when the lock is taken (``_decide_under_the_lock``) and the insert finds no earlier
    check-in; else the scan is decided under the lock as any other. None for any other
    scan (a workshop's seats are read under the lock).
    """
    if (
        registration is None
        or direction != Direction.ENTRY
        or event.status == EventStatus.CANCELLED
        or registration.event_id != event.id
        or registration.status != RegistrationStatus.CONFIRMED
        or (session is not None and session.kind == SessionKind.WORKSHOP)
    ):
        return None
    at = scanned_at or utcnow()
    return at, {
        "registration": _person(registration),
        "status": RedeemStatus.OK.value,
        "checked_in_at": event_iso(at, event),
        **_scan_details(event, registration, list_key, direction),
    }


def _scan_details(
    event: Event, registration: Registration | None, list_key: str, direction: Direction
) -> dict[str, Any]:
    """What every redeem answer ends with: the list, the direction and the door's flag."""
    return {
        "list": list_value(list_key),
        "direction": direction.value,
        "attention": _attention(event, registration),
    }


def _check_in_as_expected(
    expected: tuple[datetime, dict[str, Any]] | None,
    event: Event,
    registration: Registration | None,
    list_key: str,
    user_id: int | None,
    device: str,
) -> dict[str, Any] | None:
    """Insert the check-in worked out before the lock; its answer, or None if there is
    none, the list already has a check-in for the registration, or (SQLite) the event
    or the registration changed since they were read."""
    if expected is None or registration is None:
        return None
    at, answer = expected
    inserted = _insert_check_in(registration, list_key, user_id, device, at, unchanged=event)
    return answer if inserted else None


def _check_in_alone(
    expected: tuple[datetime, dict[str, Any]],
    event: Event,
    registration: Registration,
    list_key: str,
    user_id: int | None,
    device: str,
    details: dict[str, Any],
) -> dict[str, Any] | None:
    """PostgreSQL: the expected check-in, the registration's stamp and the scan's log
    entry in one statement that is a transaction of its own (``runs_alone``).

    No ``BEGIN``, no ``COMMIT`` and no savepoint go to the server: a scan makes one round
    trip for its writes. The statement share-locks the event row, as ``_held`` does, and
    writes only if neither the event nor the registration changed since they were read
    and the list has no check-in for the registration yet. The answer, or None when it
    wrote nothing (the scan is then decided under the lock as any other); a nonce taken
    at the same moment fails the statement, which leaves nothing behind.
    """
    at, answer = expected
    connection = db.session.connection()
    entrance = list_key == ENTRANCE
    stamp = {"door_version": versions.next_stamp(), "updated_at": utcnow()}
    if entrance:
        stamp["checked_in_at"] = at
    params = {
        **_seen(event, registration),
        **{
            f"new_{name}": value
            for name, value in _check_in_row(registration, list_key, user_id, device, at).items()
        },
        **stamp,
        **{
            f"log_{name}": value
            for name, value in _log_row(
                "redeem", event, registration, list_key, answer, user_id, device, **details
            ).items()
        },
    }
    try:
        written = connection.execute(_check_in_alone_statement(entrance), params).first()
    except IntegrityError:
        return None
    if written is None:
        return None
    for name, value in stamp.items():
        set_committed_value(registration, name, value)
    return answer


def offline_scan_time(value: Any, now: datetime | None = None) -> datetime:
    """The time of an offline scan from an ISO string; ``InvalidInput`` unless plausible.

    A time without a zone is taken as UTC (what a device's ``toISOString`` sends has
    one). A device clock a little ahead is forgiven (the time becomes now); far in the
    future or older than ``MAX_OFFLINE_AGE`` is refused: nothing is recorded.
    """
    now = now or utcnow()
    parsed = None
    if isinstance(value, str) and 0 < len(value) <= 40:
        try:
            parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            parsed = None
    if parsed is None:
        raise InvalidInput(
            _("scanned_at must be an ISO 8601 time, e.g. 2026-05-04T09:30:00+02:00."),
            code="invalid_scanned_at",
        )
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    parsed = parsed.astimezone(UTC)
    if parsed > now + CLOCK_SKEW:
        raise InvalidInput(
            _("scanned_at lies in the future; check the clock of the device."),
            code="invalid_scanned_at",
        )
    if parsed < now - MAX_OFFLINE_AGE:
        raise InvalidInput(
            _("scanned_at is too old to be an offline scan of this event."),
            code="invalid_scanned_at",
        )
    return min(parsed, now)


# --- annul -----------------------------------------------------------------------


def annul_check_in(
    *, event_slug: str, code: str, list_ref: Any = ENTRANCE, user_id: int | None, device: str = ""
) -> dict[str, Any]:
    """Undo a check-in (a mistaken scan); logged like a scan. The caller commits."""
    event = event_by_slug(event_slug)
    list_key, _session = resolve_list(event, list_ref)
    registration = registration_by_code(code)
    answer: dict[str, Any]
    if registration is None:
        answer = {"status": AnnulStatus.UNKNOWN.value}
    elif registration.event_id != event.id:
        answer = {"status": AnnulStatus.WRONG_EVENT.value, "registration": _person(registration)}
    else:
        existing = _existing_check_in(registration, list_key)
        status = AnnulStatus.NOT_CHECKED_IN
        if existing is not None:
            db.session.delete(existing)
            if list_key == ENTRANCE:
                registration.checked_in_at = None
            status = AnnulStatus.ANNULLED
        answer = {"status": status.value, "registration": _person(registration)}
    answer["list"] = list_value(list_key)
    _log_scan("annul", event, registration, code, list_key, answer, user_id, device)
    return answer
