"""Idempotency keys of the registration API: a retried request gets the registration it made.

A client whose connection dropped after the commit sends the same request again with the
same ``Idempotency-Key``; it gets the same registration (and so its manage link) instead of
a 409 for a duplicate email. Only a request that created a registration keeps its key: a
refused one changed nothing, so its retry is decided afresh, as a first request would be.
The replay shows the registration as it is now (e.g. ``cancelled`` since), not a stored copy,
so no second copy of personal data is kept; purging an event's personal data deletes its keys.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import datetime, timedelta
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from eventapp.domain import InvalidInput
from eventapp.extensions import db
from eventapp.models import Event, RegistrationIdempotencyKey, utcnow
from eventapp.registration.errors import RegistrationError

HEADER = "Idempotency-Key"
KEY_LIFETIME = timedelta(hours=24)
MAX_KEY_LENGTH = 200
# Printable ASCII; no space at either end, because HTTP drops those on the way.
KEY_PATTERN = re.compile(r"[\x21-\x7e](?:[\x20-\x7e]{0,198}[\x21-\x7e])?")


class InvalidIdempotencyKey(RegistrationError, InvalidInput):
    """The header is empty, too long or holds other than printable ASCII."""

    code = "invalid_idempotency_key"


class IdempotencyKeyReused(RegistrationError, InvalidInput):
    """The key already created a registration from another request body."""

    code = "idempotency_key_reused"


def checked_key(raw: str | None) -> str | None:
    """The header's key, or None without the header; raises for a malformed one."""
    if raw is None:
        return None
    if not KEY_PATTERN.fullmatch(raw):
        raise InvalidIdempotencyKey(
            _(
                "The Idempotency-Key header must be 1 to %(max)d printable ASCII characters.",
                max=MAX_KEY_LENGTH,
            )
        )
    return raw


def fingerprint(payload: Any) -> str:
    """SHA-256 of the body as canonical JSON: key order and spacing do not matter."""
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def claim(
    event: Event, key: str, payload: Any, now: datetime | None = None
) -> RegistrationIdempotencyKey:
    """The key's record for ``event``: one that holds a registration is to be replayed;
    one without is this request's new claim, to be given the registration it creates.

    Raises ``IdempotencyKeyReused`` when the key created a registration from another body.
    Flushes but never commits: the claim and the registration commit (or vanish) together.
    """
    now = now or utcnow()
    digest = fingerprint(payload)
    # Expired keys go first, so that a key used again after its lifetime starts anew.
    db.session.execute(
        delete(RegistrationIdempotencyKey).where(
            RegistrationIdempotencyKey.created_at < now - KEY_LIFETIME
        )
    )
    record = _stored(event.id, key)
    if record is None:
        record = RegistrationIdempotencyKey(
            event_id=event.id, key=key, fingerprint=digest, created_at=now
        )
        try:
            # On PostgreSQL this waits while another request holds the same key, until it
            # commits (then the constraint fails here) or rolls back (then the key is ours).
            with db.session.begin_nested():
                db.session.add(record)
        except IntegrityError:
            record = _stored(event.id, key)
            if record is None:
                raise
    if record.fingerprint != digest:
        raise IdempotencyKeyReused(
            _(
                "This Idempotency-Key was already used with another request body. "
                "Please use a new key for a new request."
            )
        )
    return record


def _stored(event_id: int, key: str) -> RegistrationIdempotencyKey | None:
    return db.session.execute(
        select(RegistrationIdempotencyKey).where(
            RegistrationIdempotencyKey.event_id == event_id,
            RegistrationIdempotencyKey.key == key,
        )
    ).scalar_one_or_none()
