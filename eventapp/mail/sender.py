"""Who mail comes from and how people reach them: ``From``, ``Reply-To`` and the footer.

Every mail kind reads the sender and the operator's contact details through
``mail_identity()`` and nowhere else, so changing where they are kept (today the
``MAIL_*`` settings) changes one function.
"""

from __future__ import annotations

from dataclasses import dataclass
from email.utils import formataddr, parseaddr
from typing import Any

from flask import current_app

from eventapp import urls

# The legal notice's path is fixed by the contract (DESIGN.md: pages).
IMPRINT_PATH = "/impressum"


@dataclass(frozen=True)
class MailIdentity:
    """The sender of all mail and the operator's details for the footer and the confirmation."""

    sender: str
    reply_to: str
    operator: str
    address: str
    contact_email: str
    phone: str
    # Data-protection officer: name and how to reach them, as one line.
    privacy_contact: str
    imprint_url: str
    privacy_url: str

    @property
    def address_lines(self) -> list[str]:
        """The postal address as lines; commas separate them when typed on one line."""
        text = self.address.replace("\r\n", "\n")
        separator = "\n" if "\n" in text else ","
        return [line.strip() for line in text.split(separator) if line.strip()]


def _address(value: Any) -> str:
    """Flask-Mail allows an address as a ``(name, address)`` pair."""
    if isinstance(value, list | tuple):
        return formataddr((value[0], value[1]))
    return str(value or "")


def mail_identity() -> MailIdentity:
    """The sender and operator details every message carries; needs an app context only."""
    config = current_app.config
    sender = _address(config["MAIL_DEFAULT_SENDER"])
    reply_to = _address(config.get("MAIL_REPLY_TO"))
    # Replies and questions reach a person, not the no-reply sender.
    contact_email = config.get("MAIL_CONTACT_EMAIL") or parseaddr(reply_to)[1]
    return MailIdentity(
        sender=sender,
        reply_to=reply_to or contact_email,
        operator=config.get("MAIL_OPERATOR") or "",
        address=config.get("MAIL_OPERATOR_ADDRESS") or "",
        contact_email=contact_email,
        phone=config.get("MAIL_CONTACT_PHONE") or "",
        privacy_contact=config.get("MAIL_PRIVACY_CONTACT") or "",
        imprint_url=config["PUBLIC_BASE_URL"] + IMPRINT_PATH,
        privacy_url=urls.public_url("registration.privacy"),
    )
