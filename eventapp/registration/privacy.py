"""Personal data: the participant's own export, and anonymizing it: an event once it is
over, or one person on request (``registration.management.actions.erase``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from flask_babel import format_datetime
from flask_babel import gettext as _
from sqlalchemy import delete, select, update

from eventapp.extensions import db
from eventapp.jobs import services as jobs
from eventapp.models import (
    AuditEntry,
    ChangeKind,
    EmailChange,
    Event,
    OutboxMessage,
    QuestionAnswer,
    Registration,
    RegistrationChange,
    RegistrationIdempotencyKey,
    ScanLog,
    new_token,
    utcnow,
)
from eventapp.questions import services as questions
from eventapp.registration.availability import waitlist_position, workshop_positions
from eventapp.registration.errors import PurgeRefused


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def export_personal_data(registration: Registration) -> dict[str, Any]:
    """Everything stored about this person for this event, as JSON-ready data (GDPR Art. 15)."""
    event = registration.event
    positions = workshop_positions(registration)
    return {
        "event": {
            "slug": event.slug,
            "title": event.title,
            "starts_at": _iso(event.local(event.starts_at)),
        },
        "registration": {
            "id": registration.id,
            "status": str(registration.status),
            "waitlist_position": waitlist_position(registration),
            "salutation": registration.salutation,
            "academic_title": registration.academic_title,
            "first_name": registration.first_name,
            "last_name": registration.last_name,
            "email": registration.email,
            "organisation": registration.organisation,
            "sector": str(registration.sector) if registration.sector else None,
            "municipality": registration.municipality,
            "accessibility_needs": registration.accessibility_needs,
            "dietary_preference": registration.dietary_preference,
            "photo_consent": registration.photo_consent,
            "photo_consent_withdrawn_at": _iso(registration.photo_consent_withdrawn_at),
            "privacy_consent_at": _iso(registration.privacy_consent_at),
            "privacy_notice_version": registration.privacy_notice_version,
            "locale": registration.locale,
            "created_at": _iso(registration.created_at),
            "confirmed_at": _iso(registration.confirmed_at),
            "promoted_at": _iso(registration.promoted_at),
            "cancelled_at": _iso(registration.cancelled_at),
            "checked_in_at": _iso(registration.checked_in_at),
            "source": registration.source,
        },
        # A group: who registered this person, or whom this person registered.
        "group": {
            "registered_by": _person(registration.group_leader),
            "registered": [_person(member) for member in registration.group_members],
        },
        "requested_email_changes": [
            {
                "new_email": change.new_email,
                "requested_at": _iso(change.created_at),
                "expires_at": _iso(change.expires_at),
                "confirmed_at": _iso(change.confirmed_at),
            }
            for change in db.session.execute(
                select(EmailChange)
                .where(EmailChange.registration_id == registration.id)
                .order_by(EmailChange.id)
            ).scalars()
        ],
        "workshops": [
            {
                "id": choice.session_id,
                "title": choice.session.title,
                "status": str(choice.status),
                "waitlist_position": positions.get(choice.session_id),
                "chosen_at": _iso(choice.created_at),
                "promoted_at": _iso(choice.promoted_at),
            }
            for choice in sorted(registration.choices, key=lambda c: c.session.starts_at)
        ],
        "answers": questions.personal_data(registration),
        "history": [
            {
                "kind": change.kind,
                "detail": change.detail,
                "actor": change.actor,
                "at": _iso(change.created_at),
            }
            for change in registration.changes
        ],
    }


def _person(registration: Registration | None) -> dict[str, Any] | None:
    if registration is None:
        return None
    return {"name": registration.name, "email": registration.email}


def purge_event(event: Event, after_days: int, now: datetime | None = None) -> int:
    """Anonymize every registration of an event that ended ``after_days`` ago or earlier.

    Statuses, workshop choices, check-in times, sectors and the history's kinds stay, so
    counts and statistics survive; names, contact details, needs and links go (see
    ``anonymize_registrations``). Marks the event as erased (``personal_data_erased_at``).
    Returns how many registrations were anonymized now; earlier ones are skipped.
    """
    now = now or utcnow()
    if after_days < 0:
        raise PurgeRefused(_("The number of days must not be negative."))
    allowed_from = event.ends_at + timedelta(days=after_days)
    if now < allowed_from:
        raise PurgeRefused(
            _(
                "Personal data of this event can be purged from %(date)s on.",
                date=format_datetime(allowed_from, "medium"),
            )
        )
    registrations = (
        db.session.execute(
            select(Registration)
            .where(Registration.event_id == event.id, Registration.anonymized_at.is_(None))
            .order_by(Registration.id)
        )
        .scalars()
        .all()
    )
    count = anonymize_registrations(registrations, now)
    if event.personal_data_erased_at is None:
        event.personal_data_erased_at = now
    db.session.flush()
    return count


# Audit actions whose before/after hold a person's own values (names, addresses).
_PERSONAL_AUDIT_ACTIONS = ("registration.details_changed", "registration.email_changed")


def anonymize_registrations(registrations: Sequence[Registration], now: datetime) -> int:
    """Erase the personal data of ``registrations``: the one way, for a purge and for one
    person's request alike. Returns how many were anonymized now (earlier ones are skipped).

    Besides the registration's own fields (``_anonymize``): mails and scan answers that
    carried personal data are scrubbed, idempotency keys (a hash of what was sent), address
    changes asked for and answers to the organizer's questions are deleted, and audit
    entries of data corrections keep which fields changed but not their values.
    """
    pending = [r for r in registrations if r.anonymized_at is None]
    ids = [r.id for r in pending]
    for registration in pending:
        _anonymize(registration, now)
    if not ids:
        return 0
    # Badges, certificates and exports made before carry these people's data.
    jobs.delete_event_files({r.event_id for r in pending})
    db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.registration_id.in_(ids))
        .values(recipient="", payload={})
    )
    db.session.execute(update(ScanLog).where(ScanLog.registration_id.in_(ids)).values(response={}))
    db.session.execute(
        delete(RegistrationIdempotencyKey).where(
            RegistrationIdempotencyKey.registration_id.in_(ids)
        )
    )
    db.session.execute(delete(EmailChange).where(EmailChange.registration_id.in_(ids)))
    db.session.execute(delete(QuestionAnswer).where(QuestionAnswer.registration_id.in_(ids)))
    _scrub_audit(ids)
    db.session.flush()
    return len(ids)


def _scrub_audit(ids: list[int]) -> None:
    entries = db.session.execute(
        select(AuditEntry).where(
            AuditEntry.object_type == Registration.__tablename__,
            AuditEntry.object_id.in_(ids),
            AuditEntry.action.in_(_PERSONAL_AUDIT_ACTIONS),
        )
    ).scalars()
    for entry in entries:
        entry.before = dict.fromkeys(entry.before or {})
        entry.after = dict.fromkeys(entry.after or {})


def _anonymize(registration: Registration, now: datetime) -> None:
    registration.salutation = ""
    registration.academic_title = ""
    registration.first_name = ""
    registration.last_name = ""
    # Unique per event among active registrations, so it stays unique without being an address.
    registration.email = f"anonymized-{registration.id}"
    registration.email_normalized = f"anonymized-{registration.id}"
    registration.organisation = ""
    registration.municipality = ""
    registration.accessibility_needs = ""
    registration.dietary_preference = ""
    registration.photo_consent = False
    registration.submission_key = None
    # New random tokens: old manage, ticket and calendar links stop working.
    registration.manage_token = new_token()
    registration.ticket_code = new_token()
    registration.calendar_token = new_token()
    # The certificate names the person: it no longer verifies once they are anonymous.
    registration.certificate_code = None
    registration.anonymized_at = now
    db.session.add(
        RegistrationChange(
            registration=registration,
            kind=ChangeKind.ANONYMIZED,
            detail={},
            actor="system",
            created_at=now,
        )
    )
