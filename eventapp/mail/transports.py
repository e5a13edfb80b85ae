"""How a rendered message leaves: handed to an SMTP server, or written to a folder as a file.

``eventapp.mail.delivery`` opens one transport per run (``open_transport``) and calls
``send`` for each message; a transport raises on failure and the outbox keeps the message
for a retry. ``MailFolder`` is for development: every message lands as an ``.eml`` file
that any mail program opens, and nothing leaves the machine.
"""

from __future__ import annotations

import contextlib
import logging
import os
import smtplib
import tempfile
import uuid
from email.message import EmailMessage
from email.utils import parseaddr
from pathlib import Path
from typing import Protocol

from flask import current_app

from eventapp.mail.addresses import UndeliverableAddress
from eventapp.mail.addresses import recipient as checked_recipient
from eventapp.models.base import utcnow

log = logging.getLogger(__name__)

DEFAULT_SMTP_TIMEOUT = 30
# Where ``MailFolder`` writes, inside the instance folder.
MAIL_FOLDER = "mail"


class Transport(Protocol):
    """Sends one message at a time during a delivery run."""

    def send(self, email: EmailMessage, recipient: str) -> None:
        """Deliver ``email`` to ``recipient``; raises if it did not leave."""

    def close(self) -> None:
        """End the run (quit the SMTP session)."""


class SmtpConnection:
    """One SMTP session per run, configured like Flask-Mail's connection (same ``MAIL_*``)."""

    def __init__(self) -> None:
        self.state = current_app.extensions["mail"]
        self.host: smtplib.SMTP | None = None
        self.broken: Exception | None = None

    @property
    def suppressed(self) -> bool:
        return bool(self.state.suppress)

    def _connect(self) -> smtplib.SMTP:
        timeout = int(current_app.config.get("MAIL_TIMEOUT") or DEFAULT_SMTP_TIMEOUT)
        host: smtplib.SMTP
        if self.state.use_ssl:
            host = smtplib.SMTP_SSL(self.state.server, self.state.port, timeout=timeout)
        else:
            host = smtplib.SMTP(self.state.server, self.state.port, timeout=timeout)
        if self.state.use_tls:
            host.starttls()
        if self.state.username and self.state.password:
            host.login(self.state.username, self.state.password)
        return host

    def send(self, email: EmailMessage, recipient: str) -> None:
        """Hand ``email`` to the server; raises on any failure."""
        if self.suppressed:
            log.info("mail suppressed (MAIL_SUPPRESS_SEND): %s", email["Subject"])
            return
        address = checked_recipient(recipient)
        if self.broken is not None:
            # The server could not be reached in this run; do not wait for it again.
            raise self.broken
        if self.host is None:
            try:
                self.host = self._connect()
            except (OSError, smtplib.SMTPException) as exc:
                self.broken = exc
                raise
        sender = parseaddr(str(email["From"]))[1]
        try:
            if not address.ascii_local_part:
                self._require_smtputf8(recipient)
            self.host.send_message(email, from_addr=sender, to_addrs=[address.envelope])
        except smtplib.SMTPServerDisconnected:
            self.host = None
            raise

    def _require_smtputf8(self, recipient: str) -> None:
        assert self.host is not None
        self.host.ehlo_or_helo_if_needed()
        if not self.host.has_extn("smtputf8"):
            raise UndeliverableAddress(
                f"{recipient} has non-ASCII characters before the @, which needs SMTPUTF8; "
                "the mail server does not offer it (set MAIL_SMTPUTF8=0 to refuse such "
                "addresses at registration)"
            )

    def close(self) -> None:
        if self.host is not None:
            with contextlib.suppress(OSError, smtplib.SMTPException):
                self.host.quit()
            self.host = None


class MailFolder:
    """Writes each message as ``<folder>/<time>-<random>.eml`` instead of sending it."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def send(self, email: EmailMessage, recipient: str) -> None:
        """Write ``email`` whole under a new name; ``OSError`` if the folder is not writable."""
        # The same address check as for SMTP, so a message fails here as it would there.
        address = checked_recipient(recipient)
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        name = f"{utcnow():%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:12]}.eml"
        # The envelope recipient as a mail server would add it: the address in use now.
        data = f"X-Envelope-To: {address.envelope}\n".encode() + email.as_bytes()
        # Written under a temporary name and renamed: a mail program watching the folder
        # never opens half a message.
        fd, temporary = tempfile.mkstemp(dir=self.folder, prefix=".", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.replace(temporary, self.folder / name)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise
        log.info("mail written to %s", self.folder / name)

    def close(self) -> None:
        """Nothing to end: each message is a file of its own."""
