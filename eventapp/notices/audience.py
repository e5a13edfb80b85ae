"""Who has a session in their personal programme, and so hears of its changes."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session as OrmSession

from eventapp.models import (
    ChoiceStatus,
    Registration,
    RegistrationStatus,
    SessionChoice,
    SessionKind,
)

ACTIVE = (RegistrationStatus.CONFIRMED, RegistrationStatus.WAITLISTED)


def session_audience(
    orm: OrmSession, event_id: int, session_id: int | None, kind: SessionKind | str | None
) -> list[int]:
    """Registration ids whose programme contains the session, in id order.

    Workshops: everyone who chose it (seat or waiting list) with an active registration.
    Breaks: nobody. Every other session (keynote, talk, panel) is open to all, so every
    confirmed participant. ``session_id`` None means the event itself: everyone active.
    Anonymized registrations never.
    """
    if session_id is None:
        stmt = select(Registration.id).where(
            Registration.event_id == event_id, Registration.status.in_(ACTIVE)
        )
    elif kind == SessionKind.BREAK:
        return []
    elif kind == SessionKind.WORKSHOP:
        stmt = (
            select(Registration.id)
            .join(SessionChoice, SessionChoice.registration_id == Registration.id)
            .where(
                SessionChoice.session_id == session_id,
                SessionChoice.status.in_([ChoiceStatus.CONFIRMED, ChoiceStatus.WAITLISTED]),
                Registration.status.in_(ACTIVE),
            )
        )
    else:
        stmt = select(Registration.id).where(
            Registration.event_id == event_id,
            Registration.status == RegistrationStatus.CONFIRMED,
        )
    stmt = stmt.where(Registration.anonymized_at.is_(None)).order_by(Registration.id)
    return list(orm.execute(stmt).scalars())


def still_reachable(orm: OrmSession, registration_ids: Iterable[int]) -> list[int]:
    """Those of ``registration_ids`` that are still active and not anonymized."""
    ids = sorted(set(registration_ids))
    if not ids:
        return []
    stmt = (
        select(Registration.id)
        .where(
            Registration.id.in_(ids),
            Registration.status.in_(ACTIVE),
            Registration.anonymized_at.is_(None),
        )
        .order_by(Registration.id)
    )
    return list(orm.execute(stmt).scalars())
