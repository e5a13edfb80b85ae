"""Recording programme edits that matter to participants, for an organizer's review.

``register`` connects the listeners to Flask-SQLAlchemy's session; ``create_app`` calls it,
and importing this module connects nothing. In the flush that writes an edit, a
``ProgrammeChange`` row joins it with the session's state before and after: time, room
(also a room renamed or removed), cancellation, reinstatement, speakers, removal, and the
event's venue, address and times. A title or abstract alone records nothing (calendar
feeds still see it, ``eventapp.feeds.revisions``). Nobody is mailed here: an organizer
reviews the pending rows and sends one digest (``eventapp.notices.services``).

Why a flush listener: edits come from the back office, the demo loader and the CLI as
plain attribute changes, and a listener sees every one of them without each writer having
to remember to announce it. Several flushes of one transaction make one row per session.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import has_request_context
from sqlalchemy import event, inspect, select
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import scoped_session

from eventapp.models import (
    ChoiceStatus,
    Event,
    NoticeState,
    ProgrammeChange,
    Registration,
    Room,
    Session,
    SessionChoice,
    SessionKind,
    Speaker,
)
from eventapp.models.base import utcnow
from eventapp.notices.audience import session_audience
from eventapp.notices.snapshots import (
    ADDED,
    EVENT_FIELDS,
    EVENT_KEYS,
    REMOVED,
    SESSION_KEYS,
    change_kind,
    changed,
    compared,
    event_snapshot,
    session_snapshot,
)

# Keys in ``Session.info``, living for one transaction.
_RECORDED = "notices.recorded"  # (event id, session id) -> the row written in this transaction
_NEW_SESSIONS = "notices.new_sessions"  # sessions added, waiting for their id
_ADDED_ROWS = "notices.added_rows"  # session id -> its ``added`` row made in this transaction


def register(session: scoped_session) -> None:
    """Connect the recording listeners to ``session`` (idempotent, like the mail listeners)."""
    for name, listener in (
        ("before_flush", record_changes),
        ("after_flush_postexec", record_additions),
        ("after_commit", _forget),
        ("after_rollback", _forget),
    ):
        if not event.contains(session, name, listener):
            event.listen(session, name, listener)


def _forget(orm: OrmSession) -> None:
    for key in (_RECORDED, _NEW_SESSIONS, _ADDED_ROWS):
        orm.info.pop(key, None)


def _acting_user_id() -> int | None:
    """The logged-in organizer, if a request made the edit (the demo loader and CLI have none)."""
    if not has_request_context():
        return None
    from flask_login import current_user

    user = current_user._get_current_object()  # type: ignore[attr-defined]
    return getattr(user, "id", None) if getattr(user, "is_authenticated", False) else None


# --- the listeners -----------------------------------------------------------------------


def record_changes(orm: OrmSession, _context: Any, _instances: Any) -> None:
    """Add or update ``ProgrammeChange`` rows for the edits this flush writes."""
    with orm.no_autoflush:
        deleted = set(orm.deleted)
        gone_events = {obj for obj in deleted if isinstance(obj, Event)}
        removed_speakers = {obj for obj in deleted if isinstance(obj, Speaker)}
        for obj in list(orm.new):
            if isinstance(obj, Session):
                orm.info.setdefault(_NEW_SESSIONS, []).append(obj)
        for obj in list(orm.dirty):
            if isinstance(obj, Session) and obj not in deleted:
                if changed(obj, "starts_at", "ends_at", "room_id", "room", "status", "speakers"):
                    _record_session(
                        orm,
                        obj,
                        session_snapshot(orm, obj, before=True),
                        session_snapshot(orm, obj, before=False, without=removed_speakers),
                    )
            elif isinstance(obj, Room) and obj not in deleted and changed(obj, "name"):
                for session in _sessions_in(orm, obj):
                    _record_session(
                        orm,
                        session,
                        session_snapshot(orm, session, before=True, room=obj),
                        session_snapshot(orm, session, before=False, room=obj),
                    )
            elif isinstance(obj, Event) and obj not in deleted and changed(obj, *EVENT_FIELDS):
                _record(
                    orm,
                    obj.id,
                    None,
                    event_snapshot(obj, before=True),
                    event_snapshot(obj, before=False),
                )
        for obj in deleted:
            if isinstance(obj, Session) and obj.id is not None and obj.event not in gone_events:
                _record_removal(orm, obj)
            elif isinstance(obj, Room) and obj.event not in gone_events:
                for session in _sessions_in(orm, obj):
                    if session not in deleted:
                        _record_session(
                            orm,
                            session,
                            session_snapshot(orm, session, before=True, room=obj),
                            session_snapshot(orm, session, before=False, room=None),
                        )
            elif isinstance(obj, Speaker) and obj.event not in gone_events:
                for session in list(obj.sessions):
                    if session not in deleted and session.id is not None:
                        _record_session(
                            orm,
                            session,
                            session_snapshot(orm, session, before=True),
                            session_snapshot(orm, session, before=False, without=removed_speakers),
                        )


def record_additions(orm: OrmSession, _context: Any) -> None:
    """Record sessions created in the flush just done, now that they have ids.

    Never mailed by itself: while it is pending, the new session's later edits and its
    removal settle without telling anyone (nobody heard of it yet).
    """
    added = orm.info.pop(_NEW_SESSIONS, [])
    for obj in added:
        if obj.id is None or inspect(obj).deleted or inspect(obj).detached:
            continue
        row = ProgrammeChange(
            event_id=obj.event_id,
            session_id=obj.id,
            kind=ADDED,
            before={},
            after=session_snapshot(orm, obj, before=False),
            audience=[],
            state=NoticeState.PENDING,
            created_by_id=_acting_user_id(),
        )
        orm.add(row)
        orm.info.setdefault(_ADDED_ROWS, {})[obj.id] = row


def _sessions_in(orm: OrmSession, room: Room) -> list[Session]:
    if room.id is None:
        return []
    return list(orm.scalars(select(Session).where(Session.room_id == room.id)))


def _has_ended(*snapshots: dict[str, Any]) -> bool:
    """True when every state of the session lies in the past: nobody needs telling."""
    now = utcnow()
    ends = [s.get("ends_at") for s in snapshots]
    return all(end and datetime.fromisoformat(end) < now for end in ends)


def _pending_addition(orm: OrmSession, session_id: int) -> ProgrammeChange | None:
    row = orm.info.get(_ADDED_ROWS, {}).get(session_id)
    if row is not None and row.state == NoticeState.PENDING:
        return row
    return orm.scalars(
        select(ProgrammeChange).where(
            ProgrammeChange.session_id == session_id,
            ProgrammeChange.kind == ADDED,
            ProgrammeChange.state == NoticeState.PENDING,
        )
    ).first()


def _known(orm: OrmSession, added: ProgrammeChange, kind: str | None) -> bool:
    """Whether someone has the new session in their programme knowingly.

    A workshop: someone chose it. Any other session: someone registered after it was
    added, and so found it in the programme and in their calendar.
    """
    if kind == SessionKind.WORKSHOP:
        stmt = select(SessionChoice.id).where(
            SessionChoice.session_id == added.session_id,
            SessionChoice.status.in_([ChoiceStatus.CONFIRMED, ChoiceStatus.WAITLISTED]),
        )
    else:
        stmt = select(Registration.id).where(
            Registration.event_id == added.event_id,
            Registration.created_at >= added.created_at,
        )
    return orm.execute(stmt.limit(1)).first() is not None


def _record_session(
    orm: OrmSession, obj: Session, before: dict[str, Any], after: dict[str, Any]
) -> None:
    if obj.id is None or _has_ended(before, after):
        return
    _record(orm, obj.event_id, obj.id, before, after)


def _record_removal(orm: OrmSession, obj: Session) -> None:
    """A removed session's audience is taken now: its choices vanish with it."""
    before = session_snapshot(orm, obj, before=True)
    if _has_ended(before):
        return
    after = {**before, "status": REMOVED}
    audience = session_audience(orm, obj.event_id, obj.id, obj.kind)
    _record(orm, obj.event_id, obj.id, before, after, audience=audience)


def _record(
    orm: OrmSession,
    event_id: int,
    session_id: int | None,
    before: dict[str, Any],
    after: dict[str, Any],
    audience: list[int] | None = None,
) -> None:
    """One row per session (or event) and transaction, however many flushes it takes."""
    recorded: dict[tuple, ProgrammeChange] = orm.info.setdefault(_RECORDED, {})
    keys = SESSION_KEYS if session_id is not None else EVENT_KEYS
    key = (event_id, session_id)
    row = recorded.get(key)
    if row is None:
        if compared(before, keys) == compared(after, keys):
            return
        row = ProgrammeChange(
            event_id=event_id,
            session_id=session_id,
            before=before,
            audience=audience or [],
            state=NoticeState.PENDING,
            created_by_id=_acting_user_id(),
        )
        orm.add(row)
        recorded[key] = row
    elif audience is not None:
        row.audience = audience
    row.after = after
    row.kind = change_kind(row.before, after, event_level=session_id is None)
    # Judged afresh at each flush: the last state of the transaction counts.
    row.state, row.decided_at = NoticeState.PENDING, None
    if compared(row.before, keys) == compared(after, keys):
        # Changed and changed back in one transaction: nothing to tell.
        _settle(row)
    elif session_id is not None:
        _settle_if_new(orm, row, session_id)


def _settle(row: ProgrammeChange) -> None:
    row.state = NoticeState.SETTLED
    row.decided_at = utcnow()


def _settle_if_new(orm: OrmSession, row: ProgrammeChange, session_id: int) -> None:
    """A session nobody heard of yet: its edits and its removal tell nobody.

    Someone who already has it in their programme (``_known``) hears of it as of any other.
    """
    added = _pending_addition(orm, session_id)
    if added is None:
        return
    if added.created_at is None:
        added.created_at = utcnow()
    if _known(orm, added, row.before.get("kind")):
        return
    removed = row.kind == REMOVED
    _settle(row)
    if not removed:
        added.after = row.after
        return
    _settle(added)
    for earlier in orm.scalars(
        select(ProgrammeChange).where(
            ProgrammeChange.session_id == session_id,
            ProgrammeChange.state == NoticeState.PENDING,
        )
    ):
        _settle(earlier)
