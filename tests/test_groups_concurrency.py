"""No overbooking with groups and single registrations mixed, against a real multi-worker
server (SQLite by default, PostgreSQL with TEST_DATABASE_URL)."""

from __future__ import annotations

import json
from collections import Counter

import pytest
from sqlalchemy import select
from support import all_at_once
from test_registration_concurrency import (
    let_the_server_write,
    post,
    register_via_api,
    registrations_of,
)

from eventapp.extensions import db
from eventapp.models import GroupMembership, RegistrationStatus
from eventapp.registration import services

pytestmark = pytest.mark.slow

GROUPS = 10
MEMBERS = 2
SINGLES = 16
CAPACITY = 20


def register_group_via_api(base: str, slug: str, n: int):
    body = {
        "registrant": {
            "first_name": "Leitung",
            "last_name": str(n),
            "email": f"lead{n}@example.org",
            "consent_privacy": True,
        },
        "members": [
            # One colleague with an address, one without.
            {"first_name": "Kollegin", "last_name": f"{n}-1", "email": f"member{n}@example.org"},
            {"first_name": "Kollege", "last_name": f"{n}-2"},
        ][:MEMBERS],
    }
    return lambda: post(
        f"{base}/api/v1/events/{slug}/group-registrations",
        json.dumps(body).encode(),
        {"Content-Type": "application/json"},
    )


def interleaved(groups: list, singles: list) -> list:
    calls = []
    for i in range(max(len(groups), len(singles))):
        calls.extend(groups[i : i + 1] + singles[i : i + 1])
    return calls


def test_groups_and_singles_at_once_never_overbook(live_server, make_event):
    event = make_event(capacity=CAPACITY, waitlist_enabled=True)
    calls = interleaved(
        [register_group_via_api(live_server, event.slug, n) for n in range(GROUPS)],
        [register_via_api(live_server, event.slug, n) for n in range(SINGLES)],
    )
    let_the_server_write()
    answers = all_at_once(calls)
    assert [status for status, _ in answers] == [201] * len(calls)

    people = registrations_of(event)
    total = GROUPS * (1 + MEMBERS) + SINGLES
    assert len(people) == total
    # In arrival order (created_at, id) the first CAPACITY hold the seats, the rest wait
    # in that order: within a group too, nobody is seated after someone waiting before them.
    assert [p.status for p in people] == [RegistrationStatus.CONFIRMED] * CAPACITY + [
        RegistrationStatus.WAITLISTED
    ] * (total - CAPACITY)
    positions = [services.waitlist_position(p) for p in people[CAPACITY:]]
    assert positions == list(range(1, total - CAPACITY + 1))
    assert services.seats_left(event) == 0

    # Each group arrived as one block: registrant, then its members in order, no one between.
    index = {p.id: i for i, p in enumerate(people)}
    memberships = db.session.execute(select(GroupMembership)).scalars().all()
    assert len(memberships) == GROUPS * MEMBERS
    for membership in memberships:
        assert index[membership.member_id] == index[membership.leader_id] + membership.position

    # Every answer says the status that was stored.
    stored = {p.id: p.status.value for p in people}
    for _, body in answers:
        answer = json.loads(body)
        for registration in answer.get("registrations", [answer]):
            assert stored[registration["id"]] == registration["status"]


def test_without_a_waiting_list_a_group_fits_whole_or_not_at_all(live_server, make_event):
    event = make_event(capacity=CAPACITY, waitlist_enabled=False)
    calls = interleaved(
        [register_group_via_api(live_server, event.slug, n) for n in range(GROUPS)],
        [register_via_api(live_server, event.slug, n) for n in range(SINGLES)],
    )
    let_the_server_write()
    answers = all_at_once(calls)
    statuses = Counter(status for status, _ in answers)
    assert set(statuses) <= {201, 409}
    refused = [json.loads(body)["error"]["code"] for status, body in answers if status == 409]
    assert set(refused) <= {"full"}

    people = registrations_of(event)
    assert len(people) <= CAPACITY
    assert {p.status for p in people} == {RegistrationStatus.CONFIRMED}
    # No group half stored: every registrant has both members, every member a registrant.
    memberships = db.session.execute(select(GroupMembership)).scalars().all()
    per_leader = Counter(m.leader_id for m in memberships)
    ids = {p.id for p in people}
    assert all(count == MEMBERS for count in per_leader.values())
    assert {m.member_id for m in memberships} <= ids
    leaders = [p for p in people if p.email.startswith("lead")]
    assert {p.id for p in leaders} == set(per_leader)
    created = [json.loads(body) for status, body in answers if status == 201]
    assert sum(len(a.get("registrations", [a])) for a in created) == len(people)
    # The seats went to someone: a refusal came only once too few were left for it.
    assert len(people) > CAPACITY - (1 + MEMBERS)
