"""Organizer actions on one registration: the registration rules apply, the audit log records."""

from __future__ import annotations

from typing import Any

from eventapp.admin import audit
from eventapp.models import Registration, User
from eventapp.programme.editing import actor_name
from eventapp.registration import services as registration_services


def _state(registration: Registration) -> dict[str, Any]:
    """Status and workshop seats only: the audit log needs no more personal data."""
    return {
        "status": str(registration.status),
        "sessions": sorted(
            ({"id": c.session_id, "status": str(c.status)} for c in registration.choices),
            key=lambda choice: choice["id"],
        ),
    }


def _apply(user: User, action: str, registration: Registration, change, *args, **kwargs):
    before = _state(registration)
    # A refusal (a RegistrationError) goes up as it is: the views show any domain error.
    result = change(registration, *args, actor=actor_name(user), **kwargs)
    audit.record(user, action, registration, before, _state(registration))
    return result


def cancel(user: User, registration: Registration) -> list[Registration]:
    """Cancel on the person's behalf; waiting people move up as the rules say."""
    return _apply(
        user, "registration.cancel", registration, registration_services.cancel_registration
    )


def promote(user: User, registration: Registration, session_id: int | None = None) -> None:
    """Move a waiting person up to the event or to one workshop, if a seat is free."""
    _apply(
        user,
        "registration.promote",
        registration,
        registration_services.promote,
        session_id=session_id,
    )


def move(user: User, registration: Registration, from_session_id: int, to_session_id: int):
    """Move a person from one workshop to another; refused when the target is full."""
    return _apply(
        user,
        "registration.move",
        registration,
        registration_services.move_workshop,
        from_session_id,
        to_session_id,
    )
