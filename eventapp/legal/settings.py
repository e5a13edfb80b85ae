"""The operator's details in one place: what the back office saved, else the environment's default.

Pages, mails and the privacy notice read ``operator_settings()``; only the back office's
settings page writes (``save_settings``). A field left empty in the back office is stored
as NULL and falls back to ``OPERATOR_<FIELD>`` (the sender and Reply-To further back to
``MAIL_DEFAULT_SENDER`` and ``MAIL_REPLY_TO``).
"""

from __future__ import annotations

import dataclasses
from datetime import date
from email.headerregistry import Address
from email.utils import formataddr, parseaddr
from typing import Any

from flask import current_app, g

from eventapp.admin.audit import record, snapshot
from eventapp.config import OPERATOR_FIELDS
from eventapp.extensions import db
from eventapp.models import ConformanceStatus, OperatorSettings, User
from eventapp.models.legal import OPERATOR_SETTINGS_ID

_CACHE = "legal.operator_settings"
# An unset ``OPERATOR_<FIELD>`` falls back to the mail setting that said the same.
MAIL_FALLBACKS = {
    "legal_name": "MAIL_OPERATOR",
    "address": "MAIL_OPERATOR_ADDRESS",
    "contact_email": "MAIL_CONTACT_EMAIL",
    "contact_phone": "MAIL_CONTACT_PHONE",
    "data_protection_officer": "MAIL_PRIVACY_CONTACT",
}


def _address(value: Any) -> str:
    """Flask-Mail allows an address as a ``(name, address)`` pair."""
    if isinstance(value, list | tuple):
        return formataddr((value[0], value[1]))
    return str(value or "")


@dataclasses.dataclass(frozen=True)
class Operator:
    """Who runs the service, as the legal pages and mails name it (empty string: not set)."""

    legal_name: str
    address: str
    representative: str
    contact_email: str
    contact_phone: str
    data_protection_officer: str
    supervisory_authority: str
    sender_name: str
    sender_email: str
    reply_to: str
    dgs_video_url: str
    conformance_status: ConformanceStatus
    known_limitations: str
    last_review: date | None
    enforcement_contact: str

    @property
    def sender(self) -> str:
        """``Name <address>`` for the From header (the mail policy encodes it)."""
        if not self.sender_name:
            return self.sender_email
        try:
            return str(Address(display_name=self.sender_name, addr_spec=self.sender_email))
        except (ValueError, IndexError):  # an address the parser cannot split
            return formataddr((self.sender_name, self.sender_email))

    @property
    def address_lines(self) -> list[str]:
        return [line.strip() for line in self.address.splitlines() if line.strip()]

    @property
    def limitation_items(self) -> list[str]:
        """Known limitations, one per line, for a list on the accessibility statement."""
        return [line.strip(" -•\t") for line in self.known_limitations.splitlines() if line.strip()]


def _environment() -> dict[str, Any]:
    config = current_app.config
    values: dict[str, Any] = {
        field: str(config.get(f"OPERATOR_{field.upper()}") or "") for field in OPERATOR_FIELDS
    }
    # The mail settings named the operator before these did; they still count.
    for field, older in MAIL_FALLBACKS.items():
        values[field] = values[field] or str(config.get(older) or "")
    sender_name, sender_email = parseaddr(_address(config.get("MAIL_DEFAULT_SENDER")))
    values["sender_name"] = values["sender_name"] or sender_name
    values["sender_email"] = values["sender_email"] or sender_email
    values["reply_to"] = values["reply_to"] or _address(config.get("MAIL_REPLY_TO"))
    values["conformance_status"] = _conformance(values["conformance_status"])
    values["last_review"] = _date(values["last_review"])
    return values


def _conformance(raw: str) -> ConformanceStatus:
    # Nobody claims full conformance by accident: an unknown value reads as "partial".
    try:
        return ConformanceStatus(raw)
    except ValueError:
        return ConformanceStatus.PARTIAL


def _date(raw: str) -> date | None:
    try:
        return date.fromisoformat(raw) if raw else None
    except ValueError:
        return None


def stored_settings() -> OperatorSettings | None:
    """The back office's row, if anything was ever saved."""
    return db.session.get(OperatorSettings, OPERATOR_SETTINGS_ID)


def operator_settings() -> Operator:
    """The operator's details in effect, read once per request (or app context)."""
    cached = g.get(_CACHE)
    if cached is not None:
        return cached
    values = _environment()
    row = stored_settings()
    if row is not None:
        for field in OPERATOR_FIELDS:
            value = getattr(row, field)
            if value not in (None, ""):
                values[field] = value
    operator = Operator(**values)
    setattr(g, _CACHE, operator)
    return operator


def forget_cached() -> None:
    """Read the settings anew at the next call (after saving, or at a new request)."""
    g.pop(_CACHE, None)


def save_settings(values: dict[str, Any], user: User | None) -> OperatorSettings:
    """Store the back office's values (empty means: the environment's default), audited."""
    row = stored_settings()
    before = snapshot(row) if row is not None else None
    if row is None:
        row = OperatorSettings(id=OPERATOR_SETTINGS_ID)
        db.session.add(row)
    for field in OPERATOR_FIELDS:
        value = values.get(field)
        if isinstance(value, str):
            value = value.strip().replace("\r\n", "\n") or None
        setattr(row, field, value)
    db.session.flush()
    record(user, "operator_settings.update", row, before, snapshot(row))
    forget_cached()
    return row
