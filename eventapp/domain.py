"""The one family of domain errors: why a service refused, without any HTTP in it.

A service raises a ``DomainError`` (or a subclass) with a stable machine-readable
``code``, a message for people (translated when it is raised) and, for invalid
input, ``fields`` mapping input names to their messages. Four kinds say what sort
of refusal it is: ``InvalidInput``, ``NotFound``, ``Conflict`` and ``Forbidden``;
each feature's own errors (``RegistrationError``, ``CheckInError``, ``AdminError``,
``AccountError``) derive from the family and, where it applies, from one kind.

What a refusal means for a channel is decided at the edge, never here: the HTTP
status of each kind is in ``eventapp.errors.http_status`` (used by the API's one
JSON error handler and by the form pages), the CLI prints the message.
"""

from __future__ import annotations

from collections.abc import Mapping

from flask_babel import gettext as _


class DomainError(Exception):
    """A refused request or action: ``code``, ``message`` and optional field messages.

    ``field`` names the one input that caused it (shown next to that form field);
    ``fields`` maps several inputs to their messages (invalid input).
    """

    code = "invalid"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        field: str | None = None,
        fields: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = str(message)
        if code is not None:
            self.code = code
        self.field = field
        self.fields = dict(fields or {})
        if field and field not in self.fields:
            self.fields[field] = self.message


class InvalidInput(DomainError):
    """The input breaks a rule; nothing was changed and the same input will fail again."""

    code = "invalid"


class NotFound(DomainError):
    """The thing asked for does not exist, or is not visible to whoever asks."""

    code = "not_found"


class Conflict(DomainError):
    """The request is well-formed but does not fit the current state (closed, full, taken)."""

    code = "conflict"


class Forbidden(DomainError):
    """Whoever asks may not do this, however the input is phrased."""

    code = "forbidden"


class EventNotFound(NotFound):
    """No event at this address for whoever asks (the public and the door see no drafts)."""

    code = "event_not_found"

    def __init__(self) -> None:
        super().__init__(_("There is no event at this address."))
