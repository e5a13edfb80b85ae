"""Recipients as mail needs them: the envelope address and a ``To:`` header that names
exactly one mailbox, whatever the person typed as their name.

The standard library's header folding (Python 3.11) drops the quotes around a long
display name, so a name containing ``"``, ``,``, ``@`` or ``<…>`` can turn into a
second address. Here the name is written as RFC 2047 encoded words, in which none
of these characters has a meaning, and the header is folded here and stored raw.
"""

from __future__ import annotations

import re
from email import policy
from email.header import Header
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from eventapp.models.base import utcnow
from eventapp.text import EmailAddress, InvalidEmail, one_line, parse_email

MAX_LINE = 78
# A display name of these characters needs neither quoting nor encoding. ``=`` and ``?``
# are left out so that no plain name can look like an encoded word.
_PLAIN_NAME = re.compile(r"[A-Za-z0-9!#$%&'*+\-/^_`{|}~]+(?: [A-Za-z0-9!#$%&'*+\-/^_`{|}~]+)*")


class UndeliverableAddress(ValueError):
    """Mail to this address cannot succeed however often it is tried."""


def recipient(address: str) -> EmailAddress:
    """The stored address, checked; raises ``UndeliverableAddress`` for one that is none."""
    try:
        return parse_email(address)
    except InvalidEmail as exc:
        raise UndeliverableAddress(f"{address!r} is not a valid email address: {exc}") from exc


def _name_lines(name: str, field: str) -> list[str]:
    if _PLAIN_NAME.fullmatch(name) and len(field) + 2 + len(name) <= MAX_LINE:
        return [name]
    return Header(name, "utf-8", header_name=field).encode(linesep="\n").split("\n")


def address_header(name: str, address: EmailAddress, field: str = "To") -> str:
    """``name <local@xn--domain>`` folded into lines, for ``set_raw``."""
    mailbox = f"<{address.envelope}>"
    name = one_line(name)
    if not name:
        return address.envelope
    lines = _name_lines(name, field)
    used = len(lines[-1]) + (len(field) + 2 if len(lines) == 1 else 0)
    if used + 1 + len(mailbox) <= MAX_LINE:
        lines[-1] = f"{lines[-1]} {mailbox}"
    else:
        lines.append(f" {mailbox}")
    return "\n".join(lines)


def set_recipient(email: EmailMessage, name: str, address: EmailAddress) -> None:
    """Write the ``To:`` header exactly as folded here (the message's policy must not refold)."""
    del email["To"]
    email.set_raw("To", address_header(name, address))


# Headers set as folded text (the recipient) are written exactly so, not folded again.
MAIL_POLICY = policy.default.clone(refold_source="none")


def new_email(subject: str, sender: str, domain: str) -> EmailMessage:
    """An outgoing mail with what every one carries: subject, sender, date, a Message-ID
    of our domain, and the mark that a machine sent it (no out-of-office replies)."""
    email = EmailMessage(policy=MAIL_POLICY)
    # Titles stored before line breaks were refused must not break the header.
    email["Subject"] = one_line(subject)
    email["From"] = sender
    email["Date"] = format_datetime(utcnow())
    email["Message-ID"] = make_msgid(domain=domain)
    email["Auto-Submitted"] = "auto-generated"
    return email
