"""Registration histories and audit entries as sentences an organizer reads.

The stored records keep machine codes (``workshops_changed``, ``{"room_id": 5}``); this
module turns them into lines such as "„Workshop 1C“ statt „Workshop 1D“ gewählt" or
"Raum: Rhein → Main". Names come from the label maps in ``eventapp/labels.py``, objects
behind ids from the database, times are shown in the event's zone (``i18n.localdatetime``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from flask_babel import ngettext

from eventapp import labels
from eventapp.extensions import db
from eventapp.i18n import localdatetime
from eventapp.models import (
    AuditEntry,
    ChangeKind,
    Event,
    Registration,
    RegistrationChange,
    Room,
    Session,
    Speaker,
    Track,
)
from eventapp.models.questions import Question

# Keys an organizer needs no line for: internal numbering and bookkeeping times.
HIDDEN_KEYS = frozenset({"id", "event_id", "created_at", "updated_at", "sequence"})
# Keys whose values are ids of objects with a name.
_NAMED = {"room_id": Room, "track_id": Track, "event_id": Event}
_BY_TABLE = {
    "event": Event,
    "session": Session,
    "track": Track,
    "room": Room,
    "speaker": Speaker,
    "registration": Registration,
    "question": Question,
}
_NONE = "–"


@dataclass(frozen=True)
class AuditLine:
    """One audit entry as the log page shows it."""

    entry: AuditEntry
    action: str
    subject: str
    changes: list[str]


def _name_of(model: type, object_id: Any) -> str | None:
    """The title or name of the object behind ``object_id``; None when it is gone."""
    if object_id is None:
        return None
    try:
        obj = db.session.get(model, int(object_id))
    except (TypeError, ValueError):
        return None
    if obj is None:
        return None
    return getattr(obj, "title", None) or getattr(obj, "name", None) or getattr(obj, "label", None)


def session_title(session_id: Any) -> str:
    """A session's title in quotes, or its number when it was deleted."""
    title = _name_of(Session, session_id)
    return f"„{title}“" if title else _("programme item no. %(id)s", id=session_id)


def _when(value: str, event: Event | None) -> str:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return value
    return localdatetime(moment, event, "short")


def _choices(value: Iterable[Any]) -> str:
    """A workshop list as stored in histories (``[{"id": 7, "status": "confirmed"}]``)."""
    parts = []
    for item in value:
        if isinstance(item, dict):
            status = (
                _("waiting list") if item.get("status") == "waitlisted" else _("seat confirmed")
            )
            parts.append(f"{session_title(item.get('id'))} ({status})")
        else:
            parts.append(session_title(item))
    return ", ".join(parts) or _NONE


def value_text(key: str, value: Any, event: Event | None = None, of: str | None = None) -> str:
    """A stored value as a person reads it: names for ids, labels for codes, local times."""
    if value is None or value == "" or value == []:
        return _NONE
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if key in _NAMED:
        return _name_of(_NAMED[key], value) or _("no. %(id)s", id=value)
    if key == "speaker_ids":
        return ", ".join(_name_of(Speaker, i) or _("no. %(id)s", id=i) for i in value)
    if key == "sessions":
        return _choices(value)
    if key == "status":
        return labels.status_label(value, of)
    if key == "kind":
        # A mail text's kind is a mail's, not an event's or a session's.
        return labels.message_kind_label(value) if of == "mail_text" else labels.kind_label(value)
    if key == "locale":
        return labels.language_label(value)
    if key == "sector":
        return labels.sector_label(value)
    if key == "dietary_preference":
        return labels.dietary_label(value)
    if key.endswith("_at") and isinstance(value, str):
        return _when(value, event)
    if isinstance(value, dict):
        return "; ".join(
            f"{labels.field_label(k)}: {value_text(k, v, event)}" for k, v in value.items()
        )
    if isinstance(value, list):
        return ", ".join(value_text(key, item, event) for item in value)
    return str(value)


def _lines(
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    event: Event | None,
    of: str | None = None,
) -> list[str]:
    """ "Field: old → new" for an edit; "Field: value" for what was created or deleted."""
    before, after = before or {}, after or {}
    keys = [k for k in dict.fromkeys([*before, *after]) if k not in HIDDEN_KEYS]
    lines = []
    for key in keys:
        label = labels.field_label(key)
        if key in before and key in after:
            old = value_text(key, before[key], event, of)
            new = value_text(key, after[key], event, of)
            lines.append(f"{label}: {old} → {new}")
        else:
            value = after[key] if key in after else before[key]
            if value in (None, "", [], {}):
                continue
            lines.append(f"{label}: {value_text(key, value, event, of)}")
    return lines


def _event_of(entry: AuditEntry) -> Event | None:
    """The event an entry belongs to, for its time zone; None for objects without one."""
    if entry.object_type == "event":
        return db.session.get(Event, entry.object_id) if entry.object_id else None
    values = entry.after or entry.before or {}
    if values.get("event_id"):
        return db.session.get(Event, int(values["event_id"]))
    model = _BY_TABLE.get(entry.object_type)
    obj = db.session.get(model, entry.object_id) if model and entry.object_id else None
    return getattr(obj, "event", None)


def _subject(entry: AuditEntry) -> str:
    """ "Raum „Rhein“": the kind of object and its name (from the log when it is gone)."""
    kind = labels.object_type_label(entry.object_type)
    model = _BY_TABLE.get(entry.object_type)
    name = _name_of(model, entry.object_id) if model else None
    if name is None:
        values = entry.before or entry.after or {}
        name = values.get("title") or values.get("name") or values.get("label")
    if name:
        return f"{kind} „{name}“"
    if entry.object_id is None:
        return str(kind)
    return f"{kind} {_('no. %(id)s', id=entry.object_id)}"


def audit_lines(entries: Iterable[AuditEntry]) -> list[AuditLine]:
    """The audit page's rows: action, object and what changed, in words."""
    lines = []
    for entry in entries:
        event = _event_of(entry)
        lines.append(
            AuditLine(
                entry=entry,
                action=labels.audit_action_label(entry.action),
                subject=_subject(entry),
                changes=_lines(entry.before, entry.after, event, entry.object_type),
            )
        )
    return lines


def actor_text(actor: str) -> str:
    """Who changed a registration: an organizer by e-mail, else "the participant" or so."""
    if actor.startswith("admin:"):
        return actor.removeprefix("admin:")
    return str(labels.ACTOR.get(actor, actor))


def _workshops_changed(detail: dict[str, Any]) -> list[str]:
    added, removed = detail.get("added") or [], detail.get("removed") or []
    waitlisted = set(detail.get("waitlisted") or [])
    lines = []
    if len(added) == 1 and len(removed) == 1:
        lines.append(
            _(
                "%(new)s instead of %(old)s chosen",
                new=session_title(added[0]),
                old=session_title(removed[0]),
            )
        )
    else:
        lines += [_("%(title)s chosen", title=session_title(i)) for i in added]
        lines += [_("%(title)s given up", title=session_title(i)) for i in removed]
    lines += [
        _("Place on the waiting list for %(title)s", title=session_title(i))
        for i in added
        if i in waitlisted
    ]
    return lines


def _question_label(question_id: Any) -> str:
    label = _name_of(Question, question_id)
    return f"„{label}“" if label else _("question no. %(id)s", id=question_id)


def change_lines(change: RegistrationChange) -> list[str]:
    """What a history entry says beyond its kind, as sentences."""
    detail = change.detail or {}
    kind = change.kind
    if kind == ChangeKind.WORKSHOPS_CHANGED:
        return _workshops_changed(detail)
    if kind == ChangeKind.SESSION_PROMOTED:
        return [_("Seat in %(title)s", title=session_title(detail.get("session_id")))]
    if kind == ChangeKind.ANSWERS_CHANGED:
        return [
            _("Answer to %(question)s", question=_question_label(i))
            for i in detail.get("question_ids") or []
        ]
    lines = []
    if detail.get("status"):
        status = labels.status_label(detail["status"], "registration")
        lines.append(f"{labels.field_label('status')}: {status}")
    if detail.get("previous_status"):
        previous = labels.status_label(detail["previous_status"], "registration")
        lines.append(_("Previously: %(status)s", status=previous))
    if detail.get("sessions"):
        lines.append(f"{labels.field_label('sessions')}: {_choices(detail['sessions'])}")
    if detail.get("fields"):
        names = ", ".join(labels.field_label(name) for name in detail["fields"])
        lines.append(_("Changed: %(fields)s", fields=names))
    if detail.get("group") == "registrant":
        lines.append(
            ngettext(
                "Registered %(num)d colleague in the same group",
                "Registered %(num)d colleagues in the same group",
                int(detail.get("members") or 0),
            )
        )
    elif detail.get("group") == "member":
        lines.append(
            _("Registered by a group's registrant (place %(n)d)", n=detail.get("position") or 0)
        )
    return lines


def list_label(list_key: str) -> str:
    """A check-in list as people name it: the entrance or a workshop's title."""
    if list_key.startswith("session:"):
        return session_title(list_key.removeprefix("session:"))
    return _("Entrance") if list_key == "entrance" else list_key
