"""The inline sender: delivery in a background thread right after a commit (``MAIL_SEND_INLINE``).

For development and small installs; larger ones run ``mail deliver --loop`` instead.
``eventapp.mail.listeners`` asks for a pass after each commit that wrote messages.
"""

from __future__ import annotations

import logging
import threading

from flask import Flask

from eventapp.mail.delivery import deliver_due

log = logging.getLogger(__name__)


class _InlineSender:
    """At most one background sender per app and process; a new commit asks it for one more pass."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.thread: threading.Thread | None = None
        self.again = False

    def request(self, app: Flask) -> None:
        with self.lock:
            self.again = True
            if self.thread is not None and self.thread.is_alive():
                return
            self.thread = threading.Thread(
                target=self._run, args=(app,), name="mail-inline", daemon=True
            )
            self.thread.start()

    def _run(self, app: Flask) -> None:
        while True:
            with self.lock:
                if not self.again:
                    self.thread = None
                    return
                self.again = False
            try:
                with app.app_context():
                    deliver_due()
            except Exception:
                log.exception("inline mail delivery failed; the outbox keeps the messages")

    def join(self, timeout: float) -> bool:
        with self.lock:
            thread = self.thread
        if thread is not None:
            thread.join(timeout)
            return not thread.is_alive()
        return True


_senders_lock = threading.Lock()


def _inline_sender(app: Flask) -> _InlineSender:
    with _senders_lock:
        return app.extensions.setdefault("mail_inline_sender", _InlineSender())


def start_inline_delivery(app: Flask) -> None:
    """Deliver due messages in a daemon thread; returns at once."""
    _inline_sender(app).request(app)


def wait_for_inline_delivery(app: Flask, timeout: float = 30.0) -> bool:
    """Wait until the background sender is idle (tests, orderly shutdown)."""
    return _inline_sender(app).join(timeout)
