"""Organizer actions on the outbox: sending failed messages again, recorded in the audit log."""

from __future__ import annotations

from eventapp.admin import audit
from eventapp.mail import services as mail_services
from eventapp.models import User


def retry(user: User, message_id: int | None) -> int:
    """Send failed messages again: one by id, or all of them; returns how many."""
    if message_id is None:
        count = mail_services.retry_failed()
    else:
        count = 1 if mail_services.retry_message(message_id) else 0
    if count:
        audit.record_action(
            user, "mail.retry", "outbox_message", message_id, None, {"requeued": count}
        )
    return count
