"""Why a registration or a change to it was refused; shared by the form, the API and the CLI.

Part of the one domain error family (``eventapp.domain``): each error is a kind of
refusal there, and the channels decide what that kind means for them.
"""

from __future__ import annotations

from eventapp.domain import Conflict, DomainError, InvalidInput


class RegistrationError(DomainError):
    """A refused registration or change; each subclass names its kind of refusal."""


class InvalidRegistration(RegistrationError, InvalidInput):
    """Input that breaks a rule of the form: missing fields, unknown workshops, no consent."""

    code = "invalid"


class OverlappingSessions(RegistrationError, InvalidInput):
    """Two chosen workshops take place at the same time."""

    code = "overlap"


class RegistrationClosed(RegistrationError, Conflict):
    """The registration window is not open, or the event is not published."""

    code = "closed"


class EventCancelled(RegistrationError, Conflict):
    """The event was cancelled."""

    code = "cancelled"


class EventFull(RegistrationError, Conflict):
    """No seat is left and the event keeps no waiting list (or a manual move has no seat)."""

    code = "full"


class DuplicateRegistration(RegistrationError, Conflict):
    """This email address already holds an active registration for the event."""

    code = "duplicate"


class RegistrationInactive(RegistrationError, Conflict):
    """The registration was cancelled (or anonymized) and cannot be changed."""

    code = "inactive"


class CancellationRefused(RegistrationError, Conflict):
    """Cancelling after check-in or after the event: the seat was used or can no longer be."""

    code = "cannot_cancel"


class NotWaitlisted(RegistrationError, Conflict):
    """A manual promotion of someone who is not waiting."""

    code = "not_waitlisted"


class NoSeatFree(RegistrationError, Conflict):
    """A manual promotion while every seat is taken: promoting would overbook."""

    code = "no_seat"


class PurgeRefused(RegistrationError, Conflict):
    """Personal data may be purged only a given number of days after the event ended."""

    code = "too_early"
