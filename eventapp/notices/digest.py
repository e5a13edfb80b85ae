"""The pending changes of an event, who would be told, and each person's merged digest.

A person hears of every pending change that concerns them, merged per session: the state
before the first change against the state after the last, so a session moved and moved
back drops out. Sessions nobody has in their programme reach nobody.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from eventapp.extensions import db
from eventapp.models import NoticeState, ProgrammeChange, Session
from eventapp.notices.audience import session_audience, still_reachable
from eventapp.notices.snapshots import (
    ADDED,
    EVENT_KEYS,
    SESSION_KEYS,
    change_kind,
    compared,
)


@dataclass
class Plan:
    """What sending now would do: the changes, each one's audience, each person's items."""

    changes: list[ProgrammeChange]
    audiences: dict[int, list[int]] = field(default_factory=dict)
    items: dict[int, list[dict[str, Any]]] = field(default_factory=dict)

    @property
    def people(self) -> list[int]:
        """Registration ids that would get a digest, in id order."""
        return sorted(self.items)


def pending_changes(event_id: int, *, lock: bool = False) -> list[ProgrammeChange]:
    """The changes waiting for a decision, oldest first (new sessions are no such change).

    ``lock``: hold the rows until the transaction ends, so two sends cannot both take them.
    """
    stmt = (
        db.select(ProgrammeChange)
        .where(
            ProgrammeChange.event_id == event_id,
            ProgrammeChange.state == NoticeState.PENDING,
            ProgrammeChange.kind != ADDED,
        )
        .order_by(ProgrammeChange.id)
    )
    if lock:
        stmt = stmt.with_for_update()
    return list(db.session.execute(stmt).scalars())


def pending_count(event_id: int) -> int:
    """How many changes wait for an organizer's decision."""
    stmt = db.select(db.func.count(ProgrammeChange.id)).where(
        ProgrammeChange.event_id == event_id,
        ProgrammeChange.state == NoticeState.PENDING,
        ProgrammeChange.kind != ADDED,
    )
    return db.session.execute(stmt).scalar_one()


def _audiences(event_id: int, changes: list[ProgrammeChange]) -> dict[int, list[int]]:
    """Each change's audience: as the programme stands now, or as kept at a removal."""
    by_session: dict[int | None, list[int]] = {}
    for change in changes:
        if change.session_id in by_session:
            continue
        session = db.session.get(Session, change.session_id) if change.session_id else None
        if change.session_id is None:
            ids = session_audience(db.session, event_id, None, None)
        elif session is not None:
            ids = session_audience(db.session, event_id, session.id, session.kind)
        else:
            # Removed: its choices are gone; the removal kept who had it.
            kept = [rid for c in changes if c.session_id == change.session_id for rid in c.audience]
            ids = still_reachable(db.session, kept)
        by_session[change.session_id] = ids
    return {change.id: by_session[change.session_id] for change in changes}


def merge(changes: list[ProgrammeChange]) -> list[dict[str, Any]]:
    """One item per session (and one for the event): first before, last after.

    Items whose first and last state compare equal are left out; the event comes first,
    then sessions in time order.
    """
    grouped: dict[int | None, list[ProgrammeChange]] = {}
    for change in sorted(changes, key=lambda c: c.id):
        grouped.setdefault(change.session_id, []).append(change)
    items = []
    for session_id, group in grouped.items():
        before, after = group[0].before, group[-1].after
        keys = EVENT_KEYS if session_id is None else SESSION_KEYS
        if compared(before, keys) == compared(after, keys):
            continue
        kind = change_kind(before, after, event_level=session_id is None)
        items.append({"session_id": session_id, "kind": kind, "before": before, "after": after})
    return sorted(
        items,
        key=lambda i: (
            i["session_id"] is not None,
            i["after"].get("starts_at") or i["before"].get("starts_at") or "",
        ),
    )


def plan(event_id: int, *, lock: bool = False) -> Plan:
    """What sending the pending changes of ``event_id`` now would do."""
    changes = pending_changes(event_id, lock=lock)
    audiences = _audiences(event_id, changes)
    per_person: dict[int, list[ProgrammeChange]] = {}
    for change in changes:
        for registration_id in audiences[change.id]:
            per_person.setdefault(registration_id, []).append(change)
    items = {}
    for registration_id, own in per_person.items():
        merged = merge(own)
        if merged:
            items[registration_id] = merged
    return Plan(changes=changes, audiences=audiences, items=items)
