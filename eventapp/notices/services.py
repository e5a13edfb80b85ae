"""Deciding on pending programme changes: send one digest per person, or no notice at all."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError

from eventapp.admin import audit
from eventapp.extensions import db
from eventapp.mail.messages import Preview, preview
from eventapp.mail.outbox import MessageKind, new_message
from eventapp.models import (
    Event,
    MailBatch,
    NoticeState,
    ProgrammeChange,
    Registration,
    Session,
    User,
    utcnow,
)
from eventapp.notices.audience import session_audience
from eventapp.notices.digest import Plan, plan
from eventapp.notices.snapshots import ADDED

BATCH_KIND = "programme_changes"


def new_send_key() -> str:
    """A one-time key for the send form: posting it twice finds the first send."""
    return secrets.token_urlsafe(24)


@dataclass(frozen=True)
class SendResult:
    """What a send did: the batch (None when nothing was pending) and how many were told."""

    batch: MailBatch | None
    recipients: int
    already_sent: bool = False


def _batch_for(send_key: str) -> MailBatch | None:
    return db.session.execute(
        db.select(MailBatch).where(MailBatch.send_key == send_key)
    ).scalar_one_or_none()


def send_notice(actor: User | None, event: Event, send_key: str) -> SendResult:
    """Queue one digest per person for all pending changes of ``event`` and mark them sent.

    A ``send_key`` used before queues nothing and returns the first send
    (``already_sent``); with nothing pending, nothing is queued and the batch is None.
    """
    earlier = _batch_for(send_key)
    if earlier is not None:
        return SendResult(earlier, earlier.recipient_count, already_sent=True)
    planned = plan(event.id, lock=True)
    if not planned.changes:
        return SendResult(None, 0)
    batch = MailBatch(
        event_id=event.id,
        kind=BATCH_KIND,
        send_key=send_key,
        recipient_count=len(planned.items),
        created_by_id=actor.id if actor is not None else None,
    )
    db.session.add(batch)
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:
        # The same form posted twice at once: the other request sent it.
        earlier = _batch_for(send_key)
        assert earlier is not None
        return SendResult(earlier, earlier.recipient_count, already_sent=True)
    for registration_id, items in planned.items.items():
        registration = db.session.get(Registration, registration_id)
        message = new_message(MessageKind.PROGRAMME_CHANGES, registration, {"items": items})
        if not message.recipient:
            continue  # a walk-in without an address: nobody to tell
        message.batch_id = batch.id
        db.session.add(message)
    _decide(planned.changes, NoticeState.SENT, actor)
    _acknowledge_new_sessions(event.id, actor)
    audit.record_action(
        actor,
        "programme_changes.send",
        "event",
        event.id,
        None,
        {"recipients": len(planned.items)},
    )
    return SendResult(batch, len(planned.items))


def _decide(changes: list[ProgrammeChange], state: NoticeState, actor: User | None) -> None:
    now = utcnow()
    for change in changes:
        change.state = state
        change.decided_at = now
        change.decided_by_id = actor.id if actor is not None else None


def _acknowledge_new_sessions(event_id: int, actor: User | None) -> None:
    """New sessions stood in the programme when the notice went out: later edits are news."""
    added = db.session.execute(
        db.select(ProgrammeChange).where(
            ProgrammeChange.event_id == event_id,
            ProgrammeChange.kind == ADDED,
            ProgrammeChange.state == NoticeState.PENDING,
        )
    ).scalars()
    _decide(list(added), NoticeState.SENT, actor)


def dismiss_change(actor: User | None, change: ProgrammeChange) -> bool:
    """Mark a pending change as needing no notice; False if it was decided already."""
    if change.state != NoticeState.PENDING or change.kind == ADDED:
        return False
    _decide([change], NoticeState.DISMISSED, actor)
    title = (change.after or {}).get("title") or (change.before or {}).get("title") or ""
    audit.record_action(
        actor, "programme_change.dismiss", "programme_change", change.id, None, {"title": title}
    )
    return True


def digest_previews(planned: Plan, languages: tuple[str, ...]) -> dict[str, Preview]:
    """The digest of the first person who would get one, as it would read in each language."""
    if not planned.people:
        return {}
    registration = db.session.get(Registration, planned.people[0])
    items = planned.items[registration.id]
    shown = {}
    for language in languages:
        # Never added to the session: a preview is rendered, not queued.
        message = new_message(MessageKind.PROGRAMME_CHANGES, registration, {"items": items})
        message.locale = language
        rendered = preview(message)
        if rendered is not None:
            shown[language] = rendered
    return shown


def affected_count(session: Session) -> int:
    """How many people have ``session`` in their personal programme."""
    return len(session_audience(db.session, session.event_id, session.id, session.kind))


def people(registration_ids: list[int]) -> list[Registration]:
    """The registrations of ``registration_ids``, by name."""
    if not registration_ids:
        return []
    found = db.session.execute(
        db.select(Registration).where(Registration.id.in_(registration_ids))
    ).scalars()
    return sorted(found, key=lambda r: (r.last_name.casefold(), r.first_name.casefold(), r.id))
