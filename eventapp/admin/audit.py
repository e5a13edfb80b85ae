"""The audit log: who changed what, when, with the values before and after."""

from __future__ import annotations

import enum
import hashlib
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from sqlalchemy import inspect
from sqlalchemy.sql import Select

from eventapp.extensions import db
from eventapp.models import AuditEntry, Base, User

# Never copied into the log: secrets and tokens that grant access.
SECRET_FIELDS = frozenset(
    {
        "password_hash",
        "manage_token",
        "ticket_code",
        "calendar_token",
        "token_hash",
        # A staff account's session id is what its login cookie carries.
        "session_id",
    }
)


def _json_value(value: Any) -> Any:
    """A JSON-safe form of a column value (times as ISO 8601 with offset)."""
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes):  # an uploaded image: which one, not its content
        return f"sha256:{hashlib.sha256(value).hexdigest()[:16]} ({len(value)} bytes)"
    return value


def snapshot(obj: Base, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """The object's column values as a JSON-safe dict, without secrets."""
    mapper = inspect(obj).mapper
    values = {
        column.key: _json_value(getattr(obj, column.key))
        for column in mapper.column_attrs
        if column.key not in SECRET_FIELDS
    }
    if extra:
        values.update({key: _json_value(value) for key, value in extra.items()})
    return values


def changed_only(
    before: dict[str, Any] | None, after: dict[str, Any] | None
) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """Keep only the keys whose values differ, so an edit's entry shows what changed."""
    if before is None or after is None:
        return before, after
    keys = [key for key in after if before.get(key) != after.get(key) and key != "updated_at"]
    return {key: before.get(key) for key in keys}, {key: after[key] for key in keys}


def record(
    user: User | None,
    action: str,
    obj: Base,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEntry:
    """Add an audit entry for ``action`` on ``obj`` to the current transaction."""
    if getattr(obj, "id", None) is None:
        db.session.flush()  # a new object needs its id before it is logged
    return record_action(user, action, obj.__tablename__, getattr(obj, "id", None), before, after)


def record_action(
    user: User | None,
    action: str,
    object_type: str,
    object_id: int | None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEntry:
    """Add an audit entry for an action named by object type and id (or none, for many)."""
    before, after = changed_only(before, after)
    entry = AuditEntry(
        user_id=user.id if user is not None else None,
        action=action,
        object_type=object_type,
        object_id=object_id,
        before=before,
        after=after,
    )
    db.session.add(entry)
    return entry


def entries_query(object_type: str | None = None, user_id: int | None = None) -> Select:
    """Audit entries, newest first, optionally for one kind of object or one user."""
    query = db.select(AuditEntry).order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
    if object_type:
        query = query.where(AuditEntry.object_type == object_type)
    if user_id:
        query = query.where(AuditEntry.user_id == user_id)
    return query


def object_types() -> list[str]:
    """The kinds of object that appear in the log, for the filter."""
    return list(
        db.session.execute(
            db.select(AuditEntry.object_type).distinct().order_by(AuditEntry.object_type)
        ).scalars()
    )
