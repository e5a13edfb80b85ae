"""The read model of availability and visibility: one answer to "how many seats, may I see it,
may I register", for one event or many at once.

Everything here only reads and needs no request: pages, the API, the back office, the
door, feeds, the CLI and mail workers ask the same questions the same way. The bulk
answer, ``availability_of`` (like pretix's quota availability), counts a list of events
in three queries whatever its length; the small counting functions below it serve the
writing path in ``services``, which locks the event row first and counts afterwards,
inside the same transaction. The decision (``RegistrationWindow``) is kept apart from
its message (``registration_problem``), which is the only part that needs a locale.
"""

from __future__ import annotations

import enum
import functools
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask_babel import format_datetime
from flask_babel import gettext as _
from sqlalchemy import (
    ColumnElement,
    Integer,
    String,
    and_,
    any_,
    bindparam,
    cast,
    func,
    literal_column,
    or_,
    select,
)
from sqlalchemy.dialects.postgresql import ARRAY

from eventapp.extensions import db
from eventapp.models import (
    ChoiceStatus,
    Event,
    EventStatus,
    Registration,
    RegistrationStatus,
    Session,
    SessionChoice,
    SessionKind,
    utcnow,
)
from eventapp.registration.errors import EventCancelled, RegistrationClosed, RegistrationError

# --- visibility ------------------------------------------------------------------------

# Drafts are the organizers' work in progress and never shown. Cancelled events stay
# visible everywhere (pages, API, feeds), marked cancelled, so a shared link explains what
# happened. Door staff see the same events: nobody is admitted to a draft, and a cancelled
# event's door can still tell people why they are turned away.
PUBLIC_STATUSES = (EventStatus.PUBLISHED, EventStatus.CANCELLED)


def publicly_visible() -> ColumnElement[bool]:
    """The SQL condition for events anyone may see (``select(Event).where(...)``).

    The statuses are written into the statement (``written``): a statement compiled once
    for the driver (``database.bound_for_postgresql``) takes no list of values.
    """
    return Event.status.in_([written(status) for status in PUBLIC_STATUSES])


def is_publicly_visible(event: Event) -> bool:
    """Whether anyone may see ``event``: published or cancelled, never a draft."""
    return event.status in PUBLIC_STATUSES


# --- the registration window -----------------------------------------------------------


class RegistrationWindow(enum.StrEnum):
    """Where an event stands for new registrations; only ``OPEN`` takes them."""

    DRAFT = "draft"
    NOT_YET_OPEN = "not_yet_open"
    OPEN = "open"
    CLOSED = "closed"
    CANCELLED = "cancelled"


def registration_window(event: Event, now: datetime | None = None) -> RegistrationWindow:
    """The window's state at ``now`` (default: now).

    A missing opening time means "open once published"; a missing closing time means
    "open until the event starts".
    """
    now = now or utcnow()
    if event.status == EventStatus.CANCELLED:
        return RegistrationWindow.CANCELLED
    if event.status != EventStatus.PUBLISHED:
        return RegistrationWindow.DRAFT
    if event.registration_opens_at and now < event.registration_opens_at:
        return RegistrationWindow.NOT_YET_OPEN
    if now >= (event.registration_closes_at or event.starts_at):
        return RegistrationWindow.CLOSED
    return RegistrationWindow.OPEN


def registration_open(event: Event, now: datetime | None = None) -> bool:
    """Whether people can register for ``event`` at ``now``."""
    return registration_window(event, now) is RegistrationWindow.OPEN


def registration_problem(event: Event, now: datetime | None = None) -> RegistrationError | None:
    """Why nobody can register right now, as the error to raise; None when it is open.

    The message is translated, so this needs a locale (a request or ``force_locale``).
    """
    window = registration_window(event, now)
    if window is RegistrationWindow.OPEN:
        return None
    if window is RegistrationWindow.CANCELLED:
        return EventCancelled(_("This event has been cancelled."))
    if window is RegistrationWindow.NOT_YET_OPEN:
        return RegistrationClosed(
            _(
                "Registration opens on %(date)s.",
                date=format_datetime(event.registration_opens_at, "medium"),
            )
        )
    if window is RegistrationWindow.CLOSED:
        return RegistrationClosed(_("Registration for this event has closed."))
    return RegistrationClosed(_("Registration for this event is not open."))


# --- seats -----------------------------------------------------------------------------


def seats_left_of(capacity: int | None, taken: int) -> int | None:
    """Free seats of a ``capacity`` with ``taken`` seats, never below zero; None: no limit."""
    return None if capacity is None else max(capacity - taken, 0)


def capacity_raised(old: int | None, new: int | None) -> bool:
    """Whether a capacity change frees seats (so waiting people can move up)."""
    return old is not None and (new is None or new > old)


@dataclass(frozen=True)
class SessionSeats:
    """A session's seats: ``confirmed`` hold one, ``waitlisted`` wait for one.

    Only registrations holding an event seat get a workshop seat, so ``confirmed`` is
    also who is expected at the session's door.
    """

    capacity: int | None
    confirmed: int = 0
    waitlisted: int = 0

    @property
    def left(self) -> int | None:
        return seats_left_of(self.capacity, self.confirmed)


@dataclass(frozen=True)
class EventAvailability:
    """Seats, waiting lists, window and visibility of one event, as read at one moment.

    ``confirmed`` people hold a seat (the door's "registered"); ``waitlisted`` wait for
    one; ``active`` is both (the back office's "registered").
    """

    event_id: int
    capacity: int | None
    window: RegistrationWindow
    visible: bool
    confirmed: int = 0
    waitlisted: int = 0
    cancelled: int = 0
    sessions: dict[int, SessionSeats] = field(default_factory=dict)

    @property
    def left(self) -> int | None:
        """Free event seats; None when the event has no limit."""
        return seats_left_of(self.capacity, self.confirmed)

    @property
    def active(self) -> int:
        return self.confirmed + self.waitlisted

    @property
    def registration_open(self) -> bool:
        return self.window is RegistrationWindow.OPEN

    @property
    def session_seats_left(self) -> dict[int, int | None]:
        """Free seats per session id; None for sessions without a limit."""
        return {session_id: seats.left for session_id, seats in self.sessions.items()}


def availability_of(
    events: Iterable[Event], now: datetime | None = None
) -> dict[int, EventAvailability]:
    """Event id → its availability, for any number of events in three queries."""
    events = list(events)
    if not events:
        return {}
    now = now or utcnow()
    ids = [event.id for event in events]
    registrations = _registration_counts(Registration.event_id.in_(ids))
    capacities = db.session.execute(
        select(Session.id, Session.event_id, Session.capacity)
        .where(Session.event_id.in_(ids))
        .order_by(Session.starts_at, Session.id)
    ).all()
    choices = _choice_counts(Registration.event_id.in_(ids))
    sessions: dict[int, dict[int, SessionSeats]] = {event_id: {} for event_id in ids}
    for session_id, event_id, capacity in capacities:
        sessions[event_id][session_id] = SessionSeats(
            capacity=capacity,
            confirmed=choices[(session_id, ChoiceStatus.CONFIRMED)],
            waitlisted=choices[(session_id, ChoiceStatus.WAITLISTED)],
        )
    return {
        event.id: EventAvailability(
            event_id=event.id,
            capacity=event.capacity,
            window=registration_window(event, now),
            visible=is_publicly_visible(event),
            confirmed=registrations[(event.id, RegistrationStatus.CONFIRMED)],
            waitlisted=registrations[(event.id, RegistrationStatus.WAITLISTED)],
            cancelled=registrations[(event.id, RegistrationStatus.CANCELLED)],
            sessions=sessions[event.id],
        )
        for event in events
    }


def event_availability(event: Event, now: datetime | None = None) -> EventAvailability:
    """The availability of one event (see ``availability_of``)."""
    return availability_of([event], now)[event.id]


def _registration_counts(condition: ColumnElement[bool]) -> Counter[tuple[int, str]]:
    """(event id, registration status) → number of registrations, for those matching."""
    rows = db.session.execute(
        select(Registration.event_id, Registration.status, func.count(Registration.id))
        .where(condition)
        .group_by(Registration.event_id, Registration.status)
    ).all()
    return Counter({(event_id, RegistrationStatus(status)): n for event_id, status, n in rows})


def _choice_counts(condition: ColumnElement[bool]) -> Counter[tuple[int, str]]:
    """(session id, choice status) → workshop choices of active registrations matching."""
    rows = db.session.execute(
        select(SessionChoice.session_id, SessionChoice.status, func.count(SessionChoice.id))
        .join(Registration, Registration.id == SessionChoice.registration_id)
        .where(condition, Registration.status != RegistrationStatus.CANCELLED)
        .group_by(SessionChoice.session_id, SessionChoice.status)
    ).all()
    return Counter({(session_id, ChoiceStatus(status)): n for session_id, status, n in rows})


# --- one event, per request ---------------------------------------------------------------
# The public pages ask for one event's seats on every request, next to the query that reads
# the event itself. The same counts as ``availability_of``, in the caller's own statement:
# the registrations by status and the workshops' seats are columns it adds
# (``event_seat_columns``), so a cached page costs one round trip.

COUNTED_STATUSES = (
    RegistrationStatus.CONFIRMED,
    RegistrationStatus.WAITLISTED,
    RegistrationStatus.CANCELLED,
)
# How many columns ``event_seat_columns`` adds: the counts, then the workshops' text.
SEAT_COLUMNS = len(COUNTED_STATUSES) + 1


def event_seat_columns() -> list[Any]:
    """Scalar subqueries of ``Event``'s seats: its registrations by ``COUNTED_STATUSES``,
    then its workshops' seats as one text (``availability_with_counts`` reads both)."""
    return [
        *(
            select(func.count(Registration.id))
            .where(Registration.event_id == Event.id, Registration.status == status)
            .scalar_subquery()
            for status in COUNTED_STATUSES
        ),
        _workshop_seats_text(),
    ]


def _workshop_seats_text() -> Any:
    """``id:capacity:confirmed:waitlisted`` of each of ``Event``'s sessions, comma-separated
    (an empty capacity is none); NULL without sessions.

    Counted from the choices alone, in their index: a cancelled registration holds none
    (``cancel_registration`` clears them, migration 0011 cleared any older ones), so the
    registrations need not be read; with 10 000 people that was 6 of a page's 7 ms.
    """

    entry = (
        cast(Session.id, String)
        + ":"
        + func.coalesce(cast(Session.capacity, String), "")
        + ":"
        + cast(_session_choices(ChoiceStatus.CONFIRMED), String)
        + ":"
        + cast(_session_choices(ChoiceStatus.WAITLISTED), String)
    )
    return (
        select(func.aggregate_strings(entry, ","))
        .where(Session.event_id == Event.id)
        .scalar_subquery()
    )


def _session_choices(status: ChoiceStatus) -> Any:
    """How many of ``Session``'s choices have ``status``, counted in their index alone."""
    return (
        select(func.count())
        .select_from(SessionChoice)
        .where(SessionChoice.session_id == Session.id, SessionChoice.status == written(status))
        .scalar_subquery()
    )


def availability_with_counts(
    event: Any, counts: Iterable[Any], now: datetime | None = None
) -> EventAvailability:
    """``event``'s availability from the values of its ``event_seat_columns``.

    ``event`` is an ``Event`` or anything with its ``id``, ``capacity``, ``status`` and
    registration window fields (the public pages read those as columns).
    """
    confirmed, waitlisted, cancelled, workshops = counts
    sessions: dict[int, SessionSeats] = {}
    for entry in sorted(
        tuple(int(part) if part else None for part in item.split(":"))
        for item in (workshops or "").split(",")
        if item
    ):
        session_id, capacity, taken, waiting = entry
        sessions[session_id] = SessionSeats(capacity=capacity, confirmed=taken, waitlisted=waiting)
    return EventAvailability(
        event_id=event.id,
        capacity=event.capacity,
        window=registration_window(event, now),
        visible=is_publicly_visible(event),
        confirmed=confirmed,
        waitlisted=waitlisted,
        cancelled=cancelled,
        sessions=sessions,
    )


# The writing path counts one event or a few workshops under its lock; these share the
# queries and the arithmetic above, so a seat shown free is the seat the rules hand out.


def confirmed_count(event_id: int) -> int:
    """Seats taken at the event."""
    return _registration_counts(Registration.event_id == event_id)[
        (event_id, RegistrationStatus.CONFIRMED)
    ]


def seats_left(event: Event) -> int | None:
    """Free seats at the event; None when it has no limit."""
    if event.capacity is None:
        return None
    return seats_left_of(event.capacity, confirmed_count(event.id))


def session_seat_counts(session_ids: Iterable[int]) -> dict[int, int]:
    """Seats taken per workshop, for many workshops in one query."""
    ids = list(session_ids)
    if not ids:
        return {}
    counts = _choice_counts(SessionChoice.session_id.in_(ids))
    return {session_id: counts[(session_id, ChoiceStatus.CONFIRMED)] for session_id in ids}


def session_seats_left(session: Session) -> int | None:
    """Free seats in a workshop; None when it has no limit."""
    if session.capacity is None:
        return None
    return seats_left_of(session.capacity, session_seat_counts([session.id])[session.id])


@dataclass(frozen=True)
class ChosenWorkshop:
    """A chosen workshop as read under the event lock: its seats and its waiting people.

    ``waiting``: someone who holds an event seat waits for this workshop. Only they move
    up, so a free seat with someone waiting is a seat the newcomer must not take.
    """

    session: Session
    confirmed: int
    waiting: bool

    @property
    def left(self) -> int | None:
        return seats_left_of(self.session.capacity, self.confirmed)


@dataclass(frozen=True)
class NewcomerCounts:
    """What a registration decides on, read in one statement under the event lock."""

    # Seats taken, counted up to the capacity: beyond it the event is full either way,
    # and the count no longer grows with the event (0 without a capacity).
    confirmed: int
    # Whether anyone waits for a seat at the event (the decision reads the registrations).
    waitlisted: bool
    existing_id: int | None
    workshops: list[ChosenWorkshop]
    # How many wait (``Event.waiting_count``): a newcomer put on the list is next after them.
    waiting: int = 0


def newcomer_counts(
    event_id: int, capacity: int | None, session_ids: list[int], email_normalized: str
) -> NewcomerCounts:
    """The event's seats, the active registration of this address (if any) and the chosen
    workshops with their seats, in one statement.

    Call it after the event row is locked: a statement's snapshot is taken when it starts,
    so counts read in the locking statement itself could miss a change committed while it
    waited for the lock. The workshops' rows are locked too (a workshop being cancelled
    or changed meanwhile is seen as it is after that change).
    """
    # An empty address matches nobody: ``= NULL`` is never true.
    params = {
        "event_id": event_id,
        "email": email_normalized or None,
        "capacity": capacity or 0,
    }
    if not session_ids:
        confirmed, waitlisted, existing_id, waiting = db.session.execute(
            newcomer_statement(False), params
        ).one()
        return NewcomerCounts(confirmed, bool(waitlisted), existing_id, [], waiting)
    rows = db.session.execute(
        newcomer_statement(True), {**params, "session_ids": session_ids}
    ).all()
    if rows:
        confirmed, waitlisted, existing_id, waiting = rows[0][3:]
    else:
        confirmed, waitlisted, existing_id, waiting = db.session.execute(
            newcomer_statement(False), params
        ).one()
    workshops = [ChosenWorkshop(row[0], row[1], row[2]) for row in rows]
    return NewcomerCounts(confirmed, bool(waitlisted), existing_id, workshops, waiting)


def written(status: enum.StrEnum) -> ColumnElement[Any]:
    """``status`` written into the statement itself rather than sent as a parameter.

    A plan made once for all values (``waitlist._PLAN_ONCE``) can then tell how many
    rows each status matches; with the statuses as parameters, it read the waiting
    choices in full where a plan for the values at hand reads the index.
    """
    return literal_column(f"'{status.value}'")


def active_address() -> tuple[ColumnElement[bool], ...]:
    """A registration that holds its address (not cancelled, with an address), written as
    the unique index's condition is: only with the values in the statement itself, not as
    parameters, can the databases look the address up in that index. With parameters,
    SQLite read every registration of the event under the event lock."""
    return (
        Registration.status != written(RegistrationStatus.CANCELLED),
        Registration.email_normalized != literal_column("''"),
    )


@functools.cache
def newcomer_statement(with_workshops: bool, plain: bool = False):
    """The statement of ``newcomer_counts``; ``plain`` for one that names each workshop by
    its id and ``updated_at`` stamp instead of reading it (``waitlist.lock_for_newcomer``).
    """
    # Built once: putting it together each time cost more than running it.
    event_id = bindparam("event_id", type_=Integer)

    def registrations(status: RegistrationStatus):
        return select(Registration.id).where(
            Registration.event_id == event_id, Registration.status == written(status)
        )

    # Both read the index on (event, status) and stop early: under the event lock, a
    # count of the whole waiting list cost more with every newcomer of a rush.
    confirmed = (
        select(func.count())
        .select_from(
            registrations(RegistrationStatus.CONFIRMED)
            .limit(bindparam("capacity", type_=Integer))
            .subquery()
        )
        .scalar_subquery()
    )
    waitlisted = registrations(RegistrationStatus.WAITLISTED).exists()

    existing = (
        select(Registration.id)
        .where(
            Registration.event_id == event_id,
            Registration.email_normalized == bindparam("email"),
            *active_address(),
        )
        .limit(1)
        .scalar_subquery()
    )
    waiting = select(Event.__table__.c.waiting_count).where(Event.id == event_id).scalar_subquery()
    columns = [confirmed, waitlisted, existing, waiting]
    if not with_workshops:
        return select(*columns)

    # Seats taken: from the choices alone, as the public pages count them (a cancelled
    # registration keeps none). Waiting for a workshop: only people with an event seat.
    taken = _session_choices(ChoiceStatus.CONFIRMED)
    # Whether anyone waits, not how many: the count grew with the waiting list.
    waiting = (
        select(SessionChoice.id)
        .join(Registration, Registration.id == SessionChoice.registration_id)
        .where(
            SessionChoice.session_id == Session.id,
            SessionChoice.status == written(ChoiceStatus.WAITLISTED),
            Registration.status == written(RegistrationStatus.CONFIRMED),
        )
        # A limit keeps a plan made for any values from reading all waiting choices
        # into a hash table to look the workshop up in.
        .limit(1)
        .exists()
    )
    if plain:
        # The workshop as its id and stamp, the chosen ids as one array: compiled once
        # and sent as it is, through ``database.pipelined``.
        chosen: Any = Session.id == any_(bindparam("session_ids", type_=ARRAY(Integer)))
        workshop: list[Any] = [Session.id, Session.updated_at]
    else:
        chosen = Session.id.in_(bindparam("session_ids", expanding=True))
        workshop = [Session]
    return (
        select(*workshop, taken, waiting, *columns)
        .where(chosen)
        .order_by(Session.id)
        .with_for_update(of=Session)
    )


# --- waiting positions and workshop slots ----------------------------------------------


def _before(model: Any, created_at: datetime, row_id: int):
    """Rows that arrived before (created_at, id): the waiting lists' order."""
    return or_(
        model.created_at < created_at,
        and_(model.created_at == created_at, model.id < row_id),
    )


def waitlist_position(registration: Registration) -> int | None:
    """1 for the next person to move up; None when not on the event's waiting list."""
    if registration.status != RegistrationStatus.WAITLISTED:
        return None
    ahead = db.session.execute(
        _waitlist_ahead_statement(),
        {
            "event_id": registration.event_id,
            "created_at": registration.created_at,
            "id": registration.id,
        },
    ).scalar_one()
    return ahead + 1


@functools.cache
def _waitlist_ahead_statement():
    # Built once: every answer to a waitlisted newcomer asks it.
    return select(func.count(Registration.id)).where(
        Registration.event_id == bindparam("event_id", type_=Integer),
        Registration.status == RegistrationStatus.WAITLISTED,
        _before(
            Registration,
            bindparam("created_at", type_=Registration.created_at.type),
            bindparam("id", type_=Integer),
        ),
    )


def workshop_positions(registration: Registration) -> dict[int, int | None]:
    """Session id → waiting position for each waitlisted workshop choice.

    The position is None while the person still waits for the event itself: workshop
    waiting lists only move for people who hold an event seat.
    """
    positions: dict[int, int | None] = {}
    for choice in registration.choices:
        if choice.status != ChoiceStatus.WAITLISTED:
            continue
        if registration.status != RegistrationStatus.CONFIRMED:
            positions[choice.session_id] = None
            continue
        ahead = db.session.execute(
            select(func.count(SessionChoice.id))
            .join(Registration, SessionChoice.registration_id == Registration.id)
            .where(
                SessionChoice.session_id == choice.session_id,
                SessionChoice.status == ChoiceStatus.WAITLISTED,
                Registration.status == RegistrationStatus.CONFIRMED,
                _before(SessionChoice, choice.created_at, choice.id),
            )
        ).scalar_one()
        positions[choice.session_id] = ahead + 1
    return positions


def choosable_workshops(event: Event) -> list[Session]:
    """Workshops of the event that people can choose, in programme order."""
    return [s for s in event.sessions if s.kind == SessionKind.WORKSHOP and not s.is_cancelled]


def workshop_slots(event: Event) -> list[list[Session]]:
    """Choosable workshops grouped into parallel slots (those overlapping in time)."""
    slots: list[list[Session]] = []
    slot_end: datetime | None = None
    for session in sorted(choosable_workshops(event), key=lambda s: (s.starts_at, s.id)):
        if slots and slot_end is not None and session.starts_at < slot_end:
            slots[-1].append(session)
            slot_end = max(slot_end, session.ends_at)
        else:
            slots.append([session])
            slot_end = session.ends_at
    return slots
