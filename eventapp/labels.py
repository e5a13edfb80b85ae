"""The one label map per enum: how kinds, statuses and sectors are named to people.

Pages, forms, exports and feeds all take their names from here, so a kind or a status
reads the same everywhere. Templates reach the maps through ``kind_label``,
``status_label`` and ``sector_label`` (registered by ``init_app``). The keys are
``StrEnum`` members, so a plain stored value (``"confirmed"``) finds its label too.
"""

from __future__ import annotations

from enum import StrEnum

from flask import Flask
from flask_babel import lazy_gettext as _l

from eventapp.mail.outbox import MessageKind
from eventapp.models import (
    EventKind,
    EventStatus,
    OutboxStatus,
    RegistrationStatus,
    Sector,
    SessionKind,
    SessionStatus,
)

EVENT_KIND = {
    EventKind.CONGRESS: _l("Congress"),
    EventKind.SITE_VISIT: _l("Site visit"),
}
SESSION_KIND = {
    SessionKind.KEYNOTE: _l("Keynote"),
    SessionKind.TALK: _l("Talk"),
    SessionKind.PANEL: _l("Panel"),
    SessionKind.WORKSHOP: _l("Workshop"),
    SessionKind.BREAK: _l("Break"),
}
# Statuses as a badge or a list cell shows them: lower case, one word.
REGISTRATION_STATUS = {
    RegistrationStatus.CONFIRMED: _l("confirmed"),
    RegistrationStatus.WAITLISTED: _l("waitlisted"),
    RegistrationStatus.CANCELLED: _l("cancelled"),
}
EVENT_STATUS = {
    EventStatus.DRAFT: _l("draft"),
    EventStatus.PUBLISHED: _l("published"),
    EventStatus.CANCELLED: _l("cancelled"),
}
SESSION_STATUS = {
    SessionStatus.SCHEDULED: _l("scheduled"),
    SessionStatus.CANCELLED: _l("cancelled"),
}
SECTOR = {
    Sector.MUNICIPALITY: _l("Municipality or district"),
    Sector.HOUSING: _l("Housing company"),
    Sector.PLANNING: _l("Urban planning or architecture"),
    Sector.SOCIAL_WORK: _l("Social work"),
    Sector.RESEARCH: _l("Research and teaching"),
    Sector.POLITICS: _l("Politics or state administration"),
    Sector.OTHER: _l("Other"),
}

# What a mail is about and where it stands, as the outbox page names them.
MESSAGE_KIND = {
    MessageKind.REGISTRATION_CONFIRMED: _l("Registration confirmation"),
    MessageKind.WAITLISTED: _l("Place on the waiting list"),
    MessageKind.PROMOTED: _l("Moved up from the waiting list"),
    MessageKind.CANCELLED: _l("Cancellation confirmation"),
    MessageKind.WORKSHOPS_CHANGED: _l("Workshops changed"),
    MessageKind.PROGRAMME_CHANGED: _l("Programme change"),
    MessageKind.REMINDER: _l("Reminder"),
    MessageKind.ANNOUNCEMENT: _l("Message from the organizers"),
}
OUTBOX_STATUS = {
    OutboxStatus.PENDING: _l("waiting to be sent"),
    OutboxStatus.SENT: _l("sent"),
    OutboxStatus.FAILED: _l("failed"),
    OutboxStatus.DISCARDED: _l("not sent"),
}


def _label(maps: tuple[dict, ...], value: StrEnum | str | None) -> str:
    """The label of ``value`` in the first map that knows it; an unknown value as it is."""
    if not value:
        return ""
    for labels in maps:
        if value in labels:
            return str(labels[value])
    return str(value)


def kind_label(value: StrEnum | str | None) -> str:
    """An event's or a session's kind ("Congress", "Workshop")."""
    return _label((EVENT_KIND, SESSION_KIND), value)


def status_label(value: StrEnum | str | None) -> str:
    """A registration's, event's or session's status; the three agree on "cancelled"."""
    return _label((REGISTRATION_STATUS, EVENT_STATUS, SESSION_STATUS), value)


def message_kind_label(value: StrEnum | str | None) -> str:
    """What a mail is about ("Registration confirmation")."""
    return _label((MESSAGE_KIND,), value)


def outbox_status_label(value: StrEnum | str | None) -> str:
    """Where a mail stands ("waiting to be sent", "sent", "failed", "not sent")."""
    return _label((OUTBOX_STATUS,), value)


def sector_label(value: StrEnum | str | None) -> str:
    """The sector's name in the current language; empty when not given."""
    return _label((SECTOR,), value)


def init_app(app: Flask) -> None:
    """Make the label functions available to every template."""
    app.jinja_env.globals.update(
        message_kind_label=message_kind_label, outbox_status_label=outbox_status_label
    )
    app.jinja_env.globals.update(
        kind_label=kind_label, status_label=status_label, sector_label=sector_label
    )
