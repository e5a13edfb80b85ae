"""Mail about something other than a registration: barrier reports to the operator's own
office, and "forgot password" links to staff accounts.

Rendered at send time like every outbox message, from the stored report. The reporter's
address, if given, is the Reply-To, so that the office answers the person directly.
"""

from __future__ import annotations

from email.message import EmailMessage

from flask import render_template
from flask_babel import force_locale
from flask_babel import gettext as _

from eventapp.extensions import db
from eventapp.mail.addresses import address_header, new_email, recipient
from eventapp.mail.outbox import MessageKind
from eventapp.mail.sender import mail_identity
from eventapp.models import BarrierReport, OutboxMessage, PasswordReset
from eventapp.urls import public_url


def build_office_email(message: OutboxMessage, domain: str) -> EmailMessage | None:
    """The mail of an office kind (``outbox.OFFICE_KINDS``), or None if it no longer applies."""
    if message.kind == MessageKind.PASSWORD_RESET:
        return build_password_reset_email(message, domain)
    return build_barrier_report_email(message, domain)


def build_barrier_report_email(message: OutboxMessage, domain: str) -> EmailMessage | None:
    """The barrier report as a plain-text mail to the office, or None if the report is gone."""
    report_id = (message.payload or {}).get("report_id")
    report = db.session.get(BarrierReport, report_id) if isinstance(report_id, int) else None
    if report is None:
        return None
    address = recipient(message.recipient)
    identity = mail_identity()
    with force_locale(message.locale):
        subject = _("Barrier reported on the website (no. %(id)d)", id=report.id)
        text = render_template(
            "mail/barrier_report.txt",
            report=report,
            statement_url=public_url("legal.accessibility"),
            admin_url=public_url("admin.barrier_reports"),
        )
    email = new_email(subject, identity.sender, domain)
    email.set_raw("To", address_header(identity.operator, address))
    if report.email:
        email.set_raw("Reply-To", address_header(report.name, recipient(report.email), "Reply-To"))
    email.set_content(text)
    email["Content-Language"] = message.locale
    return email


def build_password_reset_email(message: OutboxMessage, domain: str) -> EmailMessage | None:
    """The "forgot password" link as a plain-text mail in the requester's page language,
    or None once the link was used, replaced or has expired (then it is not sent)."""
    # Imported here: the accounts package builds on the mail package, not the other way.
    from eventapp.accounts.password_reset import is_pending, lifetime, reset_token

    payload = message.payload or {}
    reset_id, seed = payload.get("reset_id"), payload.get("seed")
    reset = db.session.get(PasswordReset, reset_id) if isinstance(reset_id, int) else None
    if not seed or not is_pending(reset):
        return None
    assert reset is not None
    identity = mail_identity()
    with force_locale(message.locale):
        subject = _("Set a new password for the back office")
        text = render_template(
            "mail/password_reset.txt",
            user=reset.user,
            reset_url=public_url("accounts.password_reset_confirm", token=reset_token(seed)),
            minutes=int(lifetime().total_seconds() // 60),
            login_url=public_url("accounts.login"),
            operator=identity.operator,
        )
    email = new_email(subject, identity.sender, domain)
    email.set_raw("To", address_header(reset.user.name, recipient(reset.user.email)))
    if identity.reply_to:
        email["Reply-To"] = identity.reply_to
    email["X-Auto-Response-Suppress"] = "All"
    email.set_content(text)
    email["Content-Language"] = message.locale
    return email
