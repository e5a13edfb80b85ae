"""Group registration: one registrant registers themselves and colleagues in one go.

Each member becomes a registration of their own (ticket, manage link, workshops), linked
to the registrant by a ``GroupMembership`` row. Seats are given in the order entered,
registrant first, inside one transaction under the event's lock; whoever finds no seat
goes to the waiting list in that order. The registrant's workshop choice applies to the
registrant only: members choose theirs later, on their own manage page or through the
registrant's group list.

Field errors name the registrant's fields plainly (``email``) and a member's as
``members.<n>.<field>`` with ``n`` counted from 0 in the order given.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import select

from eventapp.extensions import db
from eventapp.models import (
    Event,
    GroupMembership,
    Registration,
    RegistrationSource,
    RegistrationStatus,
    utcnow,
)
from eventapp.registration import services
from eventapp.registration.applicant import RegistrationInput, normalize_email, validate_applicant
from eventapp.registration.availability import registration_problem
from eventapp.registration.errors import InvalidRegistration
from eventapp.registration.waitlist import lock_event

# What the history of a group's registrations says about their role.
REGISTRANT = "registrant"
MEMBER = "member"


def member_field(index: int, name: str) -> str:
    """The error key of a member's field: ``members.0.email``."""
    return f"members.{index}.{name}"


def group_possible(event: Event) -> bool:
    """Whether the event takes colleagues at all (an organizer may set the size to 0)."""
    return (event.max_group_size or 0) > 0


def group_errors(
    event: Event, registrant: RegistrationInput, members: list[RegistrationInput]
) -> dict[str, str]:
    """Field → message for every rule the group breaks that needs no database lookup."""
    errors = validate_applicant(registrant)
    limit = event.max_group_size or 0
    if not members:
        errors["members"] = _("Please enter at least one colleague.")
    elif len(members) > limit:
        errors["members"] = ngettext(
            "You can register at most %(num)d colleague.",
            "You can register at most %(num)d colleagues.",
            limit,
        )
    seen = {normalize_email(registrant.email)} if registrant.email.strip() else set()
    for index, member in enumerate(members):
        for name, message in validate_applicant(member, email_required=False).items():
            # The registrant's consent covers the group; a member gives none of their own.
            if name != "consent_privacy":
                errors[member_field(index, name)] = message
        address = normalize_email(member.email) if member.email.strip() else ""
        if not address or member_field(index, "email") in errors:
            continue
        if address in seen:
            errors[member_field(index, "email")] = _(
                "This email address appears twice in the group."
            )
        seen.add(address)
    return errors


def _registered_addresses(event: Event, addresses: Iterable[str]) -> set[str]:
    wanted = [a for a in addresses if a]
    if not wanted:
        return set()
    rows = db.session.execute(
        select(Registration.email_normalized).where(
            Registration.event_id == event.id,
            Registration.email_normalized.in_(wanted),
            Registration.status != RegistrationStatus.CANCELLED,
        )
    )
    return set(rows.scalars())


def _replay(event: Event, registrant: RegistrationInput, key: str | None) -> Registration | None:
    """The registrant's registration if this very form was already sent (same key)."""
    if not key:
        return None
    return db.session.execute(
        select(Registration).where(
            Registration.event_id == event.id,
            Registration.email_normalized == normalize_email(registrant.email),
            Registration.status != RegistrationStatus.CANCELLED,
            Registration.submission_key == key,
        )
    ).scalar_one_or_none()


def group_of(registrant: Registration) -> list[Registration]:
    """The registrant first, then the members in the order they were entered."""
    members = db.session.execute(
        select(Registration)
        .join(GroupMembership, GroupMembership.member_id == Registration.id)
        .where(GroupMembership.leader_id == registrant.id)
        .order_by(GroupMembership.position)
    ).scalars()
    return [registrant, *members]


def leader_of(member: Registration) -> Registration | None:
    """The registrant who registered ``member``, or None for someone not in a group."""
    return db.session.execute(
        select(Registration)
        .join(GroupMembership, GroupMembership.leader_id == Registration.id)
        .where(GroupMembership.member_id == member.id)
    ).scalar_one_or_none()


def member_of(registrant: Registration, member_id: int) -> Registration | None:
    """Member ``member_id`` of the registrant's group, or None if not theirs."""
    return db.session.execute(
        select(Registration)
        .join(GroupMembership, GroupMembership.member_id == Registration.id)
        .where(GroupMembership.leader_id == registrant.id, Registration.id == member_id)
    ).scalar_one_or_none()


def register_group(
    event: Event,
    registrant: RegistrationInput,
    members: list[RegistrationInput],
    session_ids: Iterable[int],
    locale: str,
    *,
    now: datetime | None = None,
    submission_key: str | None = None,
    source: RegistrationSource | str = RegistrationSource.FORM,
) -> list[Registration]:
    """Register the registrant and ``members`` in order; all or nothing.

    Returns the registrations, registrant first. Refused (nothing stored) with field
    errors for invalid data, too many members, an address twice in the group or one
    already registered. A form sent again with the same ``submission_key`` returns the
    group it created. Flushes but never commits.
    """
    errors = group_errors(event, registrant, members)
    if errors:
        raise InvalidRegistration(_("Please correct the marked fields."), fields=errors)
    event = lock_event(event.id)
    # One time for the whole group, taken under the lock: arrival order is id order.
    now = now or utcnow()
    problem = registration_problem(event, now)
    if problem is not None:
        raise problem
    replayed = _replay(event, registrant, submission_key)
    if replayed is not None:
        return group_of(replayed)
    addresses = [normalize_email(m.email) if m.email.strip() else "" for m in members]
    taken = _registered_addresses(event, [normalize_email(registrant.email), *addresses])
    if taken:
        message = _(
            "This email address is already registered for this event. "
            "Please use the link in your confirmation email to change your registration."
        )
        fields = {}
        if normalize_email(registrant.email) in taken:
            fields["email"] = message
        for index, address in enumerate(addresses):
            if address in taken:
                fields[member_field(index, "email")] = message
        raise InvalidRegistration(_("Please correct the marked fields."), fields=fields)

    leader = services.register(
        event,
        registrant,
        session_ids,
        locale,
        now,
        submission_key=submission_key,
        source=source,
        history={"group": REGISTRANT, "members": len(members)},
    )
    registrations = [leader]
    for position, member in enumerate(members, start=1):
        # The registrant agreed to the privacy notice for the colleagues they register.
        member = RegistrationInput(**{**vars(member), "consent_privacy": True})
        registration = services.register(
            event,
            member,
            [],
            locale,
            now,
            source=RegistrationSource.GROUP,
            email_required=False,
            history={"group": MEMBER, "position": position},
        )
        db.session.add(GroupMembership(member=registration, leader=leader, position=position))
        registrations.append(registration)
    db.session.flush()
    return registrations
