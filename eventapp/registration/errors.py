"""Why a registration or a change to it was refused; shared by the form, the API and the CLI."""

from __future__ import annotations


class RegistrationError(Exception):
    """A refused registration or change: a stable ``code``, a translated message, an HTTP status.

    ``field`` names the input that caused it (for a form error); ``fields`` maps several
    inputs to their messages (for invalid input).
    """

    code = "invalid"
    status = 422

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        fields: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.fields = dict(fields or {})
        if field and field not in self.fields:
            self.fields[field] = message


class InvalidRegistration(RegistrationError):
    """Input that breaks a rule of the form: missing fields, unknown workshops, no consent."""

    code = "invalid"
    status = 422


class OverlappingSessions(RegistrationError):
    """Two chosen workshops take place at the same time."""

    code = "overlap"
    status = 422


class RegistrationClosed(RegistrationError):
    """The registration window is not open, or the event is not published."""

    code = "closed"
    status = 409


class EventCancelled(RegistrationError):
    """The event was cancelled."""

    code = "cancelled"
    status = 409


class EventFull(RegistrationError):
    """No seat is left and the event keeps no waiting list (or a manual move has no seat)."""

    code = "full"
    status = 409


class DuplicateRegistration(RegistrationError):
    """This email address already holds an active registration for the event."""

    code = "duplicate"
    status = 409


class RegistrationInactive(RegistrationError):
    """The registration was cancelled (or anonymized) and cannot be changed."""

    code = "inactive"
    status = 409


class CancellationRefused(RegistrationError):
    """Cancelling after check-in or after the event: the seat was used or can no longer be."""

    code = "cannot_cancel"
    status = 409


class NotWaitlisted(RegistrationError):
    """A manual promotion of someone who is not waiting."""

    code = "not_waitlisted"
    status = 409


class NoSeatFree(RegistrationError):
    """A manual promotion while every seat is taken: promoting would overbook."""

    code = "no_seat"
    status = 409


class PurgeRefused(RegistrationError):
    """Personal data may be purged only a given number of days after the event ended."""

    code = "too_early"
    status = 409
