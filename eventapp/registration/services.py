"""Registration rules: capacity, waiting lists, workshop choice, cancellation, promotion.

Every function that changes seats first locks the event row (``SELECT … FOR UPDATE`` on
PostgreSQL; on SQLite the write transaction already began immediately), so all seat
decisions for one event are made one after the other and always in the same lock order.
Functions flush but never commit: the caller commits once.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from eventapp.content import localized
from eventapp.database import insert_new
from eventapp.extensions import db
from eventapp.mail.outbox import message_for_change, note_ready
from eventapp.models import (
    ChangeKind,
    CheckIn,
    ChoiceStatus,
    Event,
    Registration,
    RegistrationChange,
    RegistrationSource,
    RegistrationStatus,
    Session,
    SessionChoice,
    utcnow,
)
from eventapp.registration.applicant import (
    DIETARY_PREFERENCES,
    RegistrationInput,
    mailing_address,
    normalize_email,
    validate_applicant,
)
from eventapp.registration.availability import (
    NewcomerCounts,
    active_address,
    choosable_workshops,
    confirmed_count,
    registration_open,
    registration_problem,
    seats_left,
    seats_left_of,
    session_seat_counts,
    session_seats_left,
    waitlist_position,
    workshop_positions,
    workshop_slots,
)
from eventapp.registration.errors import (
    CancellationRefused,
    DuplicateRegistration,
    EventFull,
    InvalidRegistration,
    NoSeatFree,
    NotWaitlisted,
    RegistrationClosed,
    RegistrationError,
    RegistrationInactive,
)
from eventapp.registration.waitlist import (
    admit,
    checked_sessions,
    choice_summary,
    chosen_ids,
    chosen_sessions,
    event_over,
    fill_event,
    fill_sessions,
    lock_event,
    lock_for_newcomer,
    lock_registration,
    record_change,
)

# Reads live in ``availability``; listed here so callers find every rule in one module.
__all__ = [
    "DIETARY_PREFERENCES",
    "RegistrationInput",
    "cancel_registration",
    "cancellation_problem",
    "change_workshops",
    "choosable_workshops",
    "confirmed_count",
    "fill_from_waitlist",
    "move_workshop",
    "normalize_email",
    "promote",
    "register",
    "registration_open",
    "registration_problem",
    "seats_left",
    "session_seat_counts",
    "session_seats_left",
    "validate_applicant",
    "waitlist_position",
    "workshop_positions",
    "workshop_slots",
]

# --- changes ---------------------------------------------------------------------------


def register(
    event: Event,
    applicant: RegistrationInput,
    session_ids: Iterable[int],
    locale: str,
    now: datetime | None = None,
    *,
    submission_key: str | None = None,
    actor: str = "participant",
    source: RegistrationSource | str = RegistrationSource.FORM,
    email_required: bool = True,
    over_capacity: bool = False,
    ignore_window: bool = False,
    history: dict[str, Any] | None = None,
    last: bool = False,
    workshops: Iterable[Session] = (),
) -> Registration:
    """Register a person for ``event`` and the chosen workshops, applying every rule.

    Confirmed while seats are free, else waitlisted (or refused without a waiting list);
    each full workshop puts the person on that workshop's waiting list only. A form sent
    again with the same ``submission_key`` returns the registration it already created.

    ``email_required=False`` lets a group's member or a walk-in come without an address.
    ``over_capacity`` (organizers only, the caller checks) confirms the person even when
    the event is full; the history records that the seat was given over capacity.
    ``ignore_window`` (a walk-in at the door) registers outside the registration window;
    a cancelled event still refuses.
    ``history`` adds facts to the history entry (a group registration names the role).
    ``last``: the caller writes nothing more in this transaction before it commits; the
    rows are then committed as they are written (``insert_new``).
    ``workshops``: chosen workshops the caller read in this transaction, with ``event``
    (not read again before the lock; their stamps are compared under it).
    """
    errors = validate_applicant(applicant, email_required=email_required)
    if errors:
        raise InvalidRegistration(_("Please correct the marked fields."), fields=errors)
    email_normalized = normalize_email(applicant.email)
    ids = chosen_ids(session_ids)
    event, counts = lock_for_newcomer(event, ids, email_normalized, workshops)
    # The time is taken under the lock so that arrival order and id order agree.
    now = now or utcnow()
    problem = registration_problem(event, now)
    if problem is not None and not (ignore_window and isinstance(problem, RegistrationClosed)):
        raise problem
    sessions = checked_sessions(event, ids, [w.session for w in counts.workshops], keep=set())
    if counts.existing_id is not None:
        existing = _active_registration(event.id, email_normalized)
        if existing is not None:
            return _replay_or_refuse(existing, submission_key)

    left, free, waiting = _seats_for_newcomer(event, counts, now, actor)
    beyond_capacity = over_capacity and left is not None and left <= 0
    if left is None or left > 0 or beyond_capacity:
        status = RegistrationStatus.CONFIRMED
    elif event.waitlist_enabled:
        status = RegistrationStatus.WAITLISTED
    else:
        raise EventFull(_("This event is fully booked."))

    registration = Registration(
        event=event,
        status=status,
        salutation=applicant.salutation,
        academic_title=applicant.academic_title.strip(),
        first_name=applicant.first_name.strip(),
        last_name=applicant.last_name.strip(),
        email=mailing_address(applicant.email) if email_normalized else "",
        email_normalized=email_normalized,
        source=str(source),
        organisation=applicant.organisation.strip(),
        sector=applicant.sector,
        municipality=applicant.municipality.strip(),
        accessibility_needs=applicant.accessibility_needs.strip(),
        dietary_preference=applicant.dietary_preference,
        photo_consent=applicant.photo_consent,
        privacy_consent_at=now,
        privacy_notice_version=current_app.config["PRIVACY_NOTICE_VERSION"],
        locale=locale,
        submission_key=submission_key or None,
        created_at=now,
        confirmed_at=now if status == RegistrationStatus.CONFIRMED else None,
    )
    if status == RegistrationStatus.WAITLISTED:
        registration.arrival_position = waiting + 1
    for session in sessions:
        seat = status == RegistrationStatus.CONFIRMED and (
            free[session.id] is None or free[session.id] > 0
        )
        registration.choices.append(
            SessionChoice(
                session=session,
                session_id=session.id,
                status=ChoiceStatus.CONFIRMED if seat else ChoiceStatus.WAITLISTED,
                created_at=now,
            )
        )
    change = RegistrationChange(
        registration=registration,
        kind=ChangeKind.REGISTERED,
        actor=actor,
        created_at=now,
        detail={
            "status": str(status),
            "sessions": choice_summary(registration),
            "source": str(source),
            **({"over_capacity": True} if beyond_capacity else {}),
            **(history or {}),
        },
    )
    _write_new(registration, change, last)
    return registration


def _write_new(registration: Registration, change: RegistrationChange, last: bool) -> None:
    """The new registration, its workshop choices, its history entry and its mail, in one
    INSERT each and without a flush (``insert_new``): the event stays locked for the
    writes alone. What the flush listeners would add is added here: the door's version
    stamp and the outbox row.

    No savepoint: every change of an active registration's address takes the event lock
    (see ``details.change_email``), so the check before cannot be overtaken; the partial
    unique index stays the last guard and fails the transaction should it ever differ.
    """
    # Imported here: the check-in package registers walk-ins through this module.
    from eventapp.checkin.versions import next_stamp

    registration.door_version = next_stamp()
    message = message_for_change(change, registration)
    insert_new(
        [registration], registration.choices, [change], [message] if message else [], last=last
    )
    if message is not None:
        note_ready(db.session)


def _seats_for_newcomer(
    event: Event, counts: NewcomerCounts, now: datetime, actor: str
) -> tuple[int | None, dict[int, int | None], int]:
    """Free event seats and free seats per chosen workshop, as the newcomer may take them,
    and how many people wait for the event ahead of a newcomer put on its list.

    Seats are handed to waiting people where they free up (a cancellation, a raised
    capacity), so a newcomer's request moves nobody up. Only if seats are free while
    people wait (a change that did not fill them) do those waiting go first, here.
    """
    left = seats_left_of(event.capacity, counts.confirmed)
    backlog = [w.session for w in counts.workshops if w.waiting and w.left != 0]
    waiting = counts.waiting
    if counts.waitlisted and left != 0:
        waiting -= len(fill_event(event, now, actor))
    elif not backlog:
        return left, {w.session.id: w.left for w in counts.workshops}, waiting
    fill_sessions(backlog, now, actor)
    sessions = [w.session for w in counts.workshops]
    return seats_left(event), {s.id: session_seats_left(s) for s in sessions}, waiting


def _active_registration(event_id: int, email_normalized: str) -> Registration | None:
    return db.session.execute(
        select(Registration).where(
            Registration.event_id == event_id,
            Registration.email_normalized == email_normalized,
            *active_address(),
        )
    ).scalar_one_or_none()


def _replay_or_refuse(existing: Registration, submission_key: str | None) -> Registration:
    if submission_key and existing.submission_key == submission_key:
        return existing
    raise DuplicateRegistration(
        _(
            "This email address is already registered for this event. "
            "Please use the link in your confirmation email to change your registration."
        ),
        field="email",
    )


def cancellation_problem(
    registration: Registration, now: datetime | None = None
) -> RegistrationError | None:
    """Why ``registration`` cannot be cancelled (now), or None if it can.

    The same for participants and organizers. Someone checked in (at the entrance or in
    a workshop) has used the seat: giving it to the next person would put more people
    in the room than it holds. After the event a seat is worth nothing, and promoting
    someone would only send a mail about an event that is over. A mistaken scan is
    undone in the check-in log first.
    """
    now = now or utcnow()
    if registration.status == RegistrationStatus.CANCELLED:
        return RegistrationInactive(_("This registration has already been cancelled."))
    checked_in = db.session.execute(
        select(CheckIn.id).where(CheckIn.registration_id == registration.id).limit(1)
    ).first()
    if checked_in is not None:
        return CancellationRefused(
            _("This registration has been checked in at the event and can no longer be cancelled.")
        )
    if event_over(registration.event, now):
        return CancellationRefused(
            _("The event is over; registrations can no longer be cancelled.")
        )
    return None


def cancel_registration(
    registration: Registration, actor: str = "participant", now: datetime | None = None
) -> list[Registration]:
    """Cancel, free the seats and admit the first waiting people at once.

    Refused after check-in and after the event (see ``cancellation_problem``). Returns
    the registrations admitted to the event because of this cancellation. The
    registration keeps no workshop choices: the public pages count workshop seats from
    the choices alone.
    """
    event = lock_registration(registration)
    now = now or utcnow()
    # Decided under the lock: a check-in that commits first is seen here.
    if (problem := cancellation_problem(registration, now)) is not None:
        raise problem
    previous = registration.status
    freed = [c.session for c in registration.choices if c.status == ChoiceStatus.CONFIRMED]
    sessions = choice_summary(registration)
    registration.status = RegistrationStatus.CANCELLED
    registration.cancelled_at = now
    registration.choices.clear()
    record_change(
        registration,
        ChangeKind.CANCELLED,
        actor,
        now,
        previous_status=str(previous),
        sessions=sessions,
    )
    db.session.flush()
    fill_sessions(freed, now, actor)
    return fill_event(event, now, actor)


def change_workshops(
    registration: Registration,
    session_ids: Iterable[int],
    actor: str = "participant",
    now: datetime | None = None,
) -> dict[str, list[int]]:
    """Replace the workshop choice with ``session_ids`` under the same rules as registering.

    Kept workshops keep their seat or place; new ones get a seat if one is free, else a
    place on their waiting list. Returns ``{"added", "removed", "waitlisted"}`` session ids.
    """
    event = lock_registration(registration)
    now = now or utcnow()
    if registration.status == RegistrationStatus.CANCELLED:
        raise RegistrationInactive(_("This registration has been cancelled."))
    # Participants change workshops while registration is open; organizers at any time.
    if actor == "participant" and (problem := registration_problem(event, now)) is not None:
        raise problem
    current = {c.session_id: c for c in registration.choices}
    sessions = chosen_sessions(event, session_ids, keep=set(current))
    wanted = {s.id for s in sessions}
    removed = [c for sid, c in current.items() if sid not in wanted]
    added = [s for s in sessions if s.id not in current]
    if not removed and not added:
        return {"added": [], "removed": [], "waitlisted": []}
    freed = [c.session for c in removed if c.status == ChoiceStatus.CONFIRMED]
    for choice in removed:
        registration.choices.remove(choice)
    db.session.flush()
    fill_sessions(freed, now, actor)
    waitlisted: list[int] = []
    for session in added:
        free = session_seats_left(session)
        seat = registration.status == RegistrationStatus.CONFIRMED and (free is None or free > 0)
        if not seat:
            waitlisted.append(session.id)
        registration.choices.append(
            SessionChoice(
                session=session,
                status=ChoiceStatus.CONFIRMED if seat else ChoiceStatus.WAITLISTED,
                created_at=now,
            )
        )
    result = {
        "added": sorted(s.id for s in added),
        "removed": sorted(c.session_id for c in removed),
        "waitlisted": sorted(waitlisted),
    }
    record_change(registration, ChangeKind.WORKSHOPS_CHANGED, actor, now, **result)
    db.session.flush()
    return result


def move_workshop(
    registration: Registration,
    from_session_id: int,
    to_session_id: int,
    actor: str,
    now: datetime | None = None,
) -> SessionChoice:
    """Move a person from one workshop to another (back office); refused if it is full."""
    event = lock_registration(registration)
    now = now or utcnow()
    if registration.status == RegistrationStatus.CANCELLED:
        raise RegistrationInactive(_("This registration has been cancelled."))
    current = {c.session_id: c for c in registration.choices}
    if from_session_id not in current:
        raise InvalidRegistration(
            _("This person has not chosen that workshop."), field="session_ids"
        )
    if to_session_id in current:
        raise InvalidRegistration(
            _("This person has already chosen that workshop."), field="session_ids"
        )
    others = [sid for sid in current if sid != from_session_id]
    target = next(
        s
        for s in chosen_sessions(event, [*others, to_session_id], keep=set(others))
        if s.id == to_session_id
    )
    free = session_seats_left(target)
    holds_seat = registration.status == RegistrationStatus.CONFIRMED
    if holds_seat and free is not None and free <= 0:
        message = _("“%(title)s” is fully booked.", title=localized(target, "title"))
        raise EventFull(message, field="session_ids")
    old = current[from_session_id]
    freed = [old.session] if old.status == ChoiceStatus.CONFIRMED else []
    registration.choices.remove(old)
    choice = SessionChoice(
        session=target,
        status=ChoiceStatus.CONFIRMED if holds_seat else ChoiceStatus.WAITLISTED,
        created_at=now,
    )
    registration.choices.append(choice)
    db.session.flush()
    fill_sessions(freed, now, actor)
    record_change(
        registration,
        ChangeKind.WORKSHOPS_CHANGED,
        actor,
        now,
        added=[to_session_id],
        removed=[from_session_id],
        waitlisted=[] if holds_seat else [to_session_id],
    )
    db.session.flush()
    return choice


def promote(
    registration: Registration,
    actor: str,
    session_id: int | None = None,
    now: datetime | None = None,
) -> None:
    """Manually move a waiting person up, to the event or to one workshop, if a seat is free.

    Never overbooks: without a free seat it is refused. Someone further down the list may
    be chosen on purpose; the seat is still checked under the lock.
    """
    event = lock_registration(registration)
    now = now or utcnow()
    if event_over(event, now):
        raise RegistrationClosed(
            _("The event is over; nobody moves up from the waiting list any more.")
        )
    if session_id is None:
        if registration.status != RegistrationStatus.WAITLISTED:
            raise NotWaitlisted(_("This person is not on the waiting list."))
        left = seats_left(event)
        if left is not None and left <= 0:
            raise NoSeatFree(_("No seat is free at this event."))
        admit(registration, now, actor)
        db.session.flush()
        return
    choice = next((c for c in registration.choices if c.session_id == session_id), None)
    if choice is None or choice.status != ChoiceStatus.WAITLISTED:
        raise NotWaitlisted(_("This person is not on that workshop's waiting list."))
    if registration.status != RegistrationStatus.CONFIRMED:
        raise NotWaitlisted(_("This person is still waiting for a seat at the event."))
    left = session_seats_left(choice.session)
    if left is not None and left <= 0:
        raise NoSeatFree(_("No seat is free in this workshop."))
    choice.status = ChoiceStatus.CONFIRMED
    choice.promoted_at = now
    record_change(registration, ChangeKind.SESSION_PROMOTED, actor, now, session_id=session_id)
    db.session.flush()


def fill_from_waitlist(event: Event, actor: str, now: datetime | None = None) -> list[Registration]:
    """After capacities were raised: admit waiting people to free event and workshop seats."""
    event = lock_event(event.id)
    now = now or utcnow()
    admitted = fill_event(event, now, actor)
    fill_sessions(choosable_workshops(event), now, actor)
    db.session.flush()
    return admitted
