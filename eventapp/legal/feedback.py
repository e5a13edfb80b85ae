"""Barrier reports: what someone could not use on the site, stored and mailed to the office."""

from __future__ import annotations

import logging

from flask_babel import gettext as _
from sqlalchemy import Select

from eventapp.domain import InvalidInput
from eventapp.extensions import db
from eventapp.legal.settings import operator_settings
from eventapp.mail.outbox import MessageKind, note_ready, office_message
from eventapp.models import BarrierReport
from eventapp.registration.applicant import text_problem
from eventapp.text import InvalidEmail, parse_email

log = logging.getLogger(__name__)

MAX_DESCRIPTION = 5000
MAX_PAGE = 500
MAX_NAME = 200


def _checked(description: str, page: str, name: str, email: str) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not description:
        errors["description"] = _("Please describe the barrier.")
    elif len(description) > MAX_DESCRIPTION:
        errors["description"] = _("At most %(n)d characters, please.", n=MAX_DESCRIPTION)
    elif problem := text_problem(description, multiline=True):
        errors["description"] = problem
    for field, value, limit in (("page", page, MAX_PAGE), ("name", name, MAX_NAME)):
        if len(value) > limit:
            errors[field] = _("At most %(n)d characters, please.", n=limit)
        elif problem := text_problem(value):
            errors[field] = problem
    if email:
        try:
            parse_email(email)
        except InvalidEmail:
            errors["email"] = _("Please enter a valid email address.")
    return errors


def report_barrier(
    description: str, page: str = "", name: str = "", email: str = "", locale: str = "de"
) -> BarrierReport:
    """Store a barrier report and queue a mail about it to the office's contact address.

    Name and e-mail are optional: a report may be anonymous. Without a contact address
    in the operator settings the report is only listed in the back office.
    """
    description, page, name, email = (v.strip() for v in (description, page, name, email))
    errors = _checked(description, page, name, email)
    if errors:
        raise InvalidInput(_("Please check your input."), fields=errors)
    report = BarrierReport(
        description=description.replace("\r\n", "\n"),
        page=page,
        name=name,
        email=parse_email(email).address if email else "",
        locale=locale,
    )
    db.session.add(report)
    db.session.flush()
    office = operator_settings().contact_email
    if office:
        db.session.add(office_message(MessageKind.BARRIER_REPORT, office, {"report_id": report.id}))
        note_ready(db.session)
    else:
        log.warning("barrier report %s stored but not mailed: no OPERATOR_CONTACT_EMAIL", report.id)
    return report


def reports_query() -> Select:
    """Barrier reports, newest first, for the back office."""
    return db.select(BarrierReport).order_by(
        BarrierReport.created_at.desc(), BarrierReport.id.desc()
    )
