"""Who mail comes from and how people reach them: ``From``, ``Reply-To`` and the footer.

Every mail kind reads the sender and the operator's contact details through
``mail_identity()`` and nowhere else, so changing where they are kept (today the
``MAIL_*`` settings) changes one function.
"""

from __future__ import annotations

from dataclasses import dataclass
from email.utils import parseaddr

from eventapp import urls
from eventapp.legal.settings import operator_settings


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


def mail_identity() -> MailIdentity:
    """The sender and operator details every message carries; needs an app context only.

    They come from the operator settings (back office over ``OPERATOR_*``, which fall back
    to the ``MAIL_*`` settings), the one place the legal pages read too.
    """
    operator = operator_settings()
    sender = operator.sender
    reply_to = operator.reply_to
    # Replies and questions reach a person, not the no-reply sender.
    contact_email = operator.contact_email or parseaddr(reply_to)[1]
    return MailIdentity(
        sender=sender,
        reply_to=reply_to or contact_email,
        operator=operator.legal_name,
        address=operator.address,
        contact_email=contact_email,
        phone=operator.contact_phone,
        privacy_contact=operator.data_protection_officer,
        imprint_url=urls.public_url("legal.imprint"),
        privacy_url=urls.public_url("registration.privacy"),
    )
