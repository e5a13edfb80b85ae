"""Mail to the operator's own office (not to a participant): barrier reports.

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
from eventapp.mail.sender import mail_identity
from eventapp.models import BarrierReport, OutboxMessage
from eventapp.urls import public_url


def build_office_email(message: OutboxMessage, domain: str) -> EmailMessage | None:
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
