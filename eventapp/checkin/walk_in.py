"""Walk-ins: someone without a registration comes to the door, is registered and let in.

One step for the door, one transaction: ``registration.services.register`` with every
rule (the event lock, capacity, one active registration per address), then the same
entrance check-in and scan log as a scanned ticket (``services.redeem_ticket``).

What the door decides differently from the registration form:
- the registration window does not matter (people come on the day, after it closed);
  a cancelled event refuses, and drafts do not exist for the door;
- there is no waiting list at the door: without a free seat the walk-in is refused,
  unless an organizer (role admin) lets the person in over capacity, which the history
  (``over_capacity`` in the detail) and the audit log record;
- an address that is already registered is refused: that person has a registration
  and is checked in through the name search, not registered twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _

from eventapp.admin import audit
from eventapp.checkin.services import CheckInError, event_by_slug, redeem_ticket
from eventapp.domain import Conflict, Forbidden, InvalidInput
from eventapp.extensions import db
from eventapp.models import (
    ENTRANCE,
    Registration,
    RegistrationSource,
    RegistrationStatus,
    Role,
    User,
)
from eventapp.registration.errors import DuplicateRegistration, EventFull
from eventapp.registration.services import RegistrationInput, register

OVER_CAPACITY_ACTION = "registration.walk_in_over_capacity"


class NoSeatAtTheDoor(CheckInError, Conflict):
    """The event is full; only an organizer may let a walk-in in over capacity."""

    code = "full"


class AlreadyRegistered(CheckInError, Conflict):
    """The walk-in's address already holds an active registration for the event."""

    code = "duplicate"


class OverrideNotAllowed(CheckInError, Forbidden):
    """Check-in staff asked for the over-capacity override, which is for organizers."""

    code = "override_not_allowed"


class PrivacyNotConfirmed(CheckInError, InvalidInput):
    """The staff member did not confirm that the person was told about the privacy notice."""

    code = "invalid"


@dataclass(frozen=True)
class WalkIn:
    """What the door asks of a walk-in; the address is optional."""

    first_name: str
    last_name: str
    email: str = ""
    organisation: str = ""
    privacy_informed: bool = False


def privacy_field_message() -> str:
    return _("Please confirm that the person was informed of the privacy notice.")


def register_walk_in(
    *,
    event_slug: str,
    person: WalkIn,
    user: User,
    locale: str,
    over_capacity: bool = False,
    device: str = "",
) -> tuple[Registration, dict[str, Any]]:
    """Register ``person`` for the event and check them in at the entrance; the caller commits.

    Returns the registration and the redeem answer (logged like any scan). Refuses with
    ``NoSeatAtTheDoor``, ``AlreadyRegistered``, ``OverrideNotAllowed``,
    ``PrivacyNotConfirmed``, the registration's ``InvalidRegistration`` or
    ``EventCancelled``, and ``EventNotFound`` for drafts and unknown slugs; nothing is
    changed then.
    """
    event = event_by_slug(event_slug)
    if over_capacity and not user.has_role(Role.ADMIN):
        raise OverrideNotAllowed(_("Only organizers can admit a walk-in over capacity."))
    if person.privacy_informed is not True:
        raise PrivacyNotConfirmed(privacy_field_message(), field="privacy_informed")
    applicant = RegistrationInput(
        first_name=person.first_name,
        last_name=person.last_name,
        email=person.email,
        organisation=person.organisation,
        # The staff member told the person about the privacy notice and confirmed it.
        consent_privacy=True,
    )
    full = _("No seat is left for this event. Walk-ins cannot be put on the waiting list.")
    try:
        # A savepoint: a walk-in the rules would waitlist is undone, with whatever the
        # registration moved (e.g. someone waiting who took the last free seat first).
        with db.session.begin_nested():
            registration = register(
                event,
                applicant,
                [],
                locale,
                actor=user.email,
                source=RegistrationSource.WALK_IN,
                email_required=False,
                over_capacity=over_capacity,
                ignore_window=True,
            )
            if registration.status != RegistrationStatus.CONFIRMED:
                raise NoSeatAtTheDoor(full)
    except EventFull:
        raise NoSeatAtTheDoor(full) from None
    except DuplicateRegistration:
        raise AlreadyRegistered(
            _(
                "This email address is already registered for this event. "
                "Please find the person with the name search and check them in there."
            ),
            field="email",
        ) from None
    if _admitted_over_capacity(registration):
        audit.record(
            user,
            OVER_CAPACITY_ACTION,
            registration,
            None,
            {"source": str(RegistrationSource.WALK_IN), "over_capacity": True},
        )
    answer = redeem_ticket(
        event_slug=event.slug,
        registration_id=registration.id,
        list_ref=ENTRANCE,
        user_id=user.id,
        device=device,
    )
    return registration, answer


def _admitted_over_capacity(registration: Registration) -> bool:
    """Whether ``register`` gave the seat beyond the capacity (its history says so)."""
    return any(
        change.detail.get("over_capacity") is True
        for change in registration.changes
        if isinstance(change.detail, dict)
    )
