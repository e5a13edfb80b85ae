"""Two devices scanning the same ticket at once: exactly one ``ok``, against a real server."""

from __future__ import annotations

import json
import urllib.request

import pytest
from support import all_at_once

from eventapp.accounts import services as accounts
from eventapp.extensions import db
from eventapp.models import CheckIn, Role, ScanLog

pytestmark = pytest.mark.slow

DEVICES = 8


def post(url: str, token: str, payload: dict) -> dict:
    request = urllib.request.Request(
        url + "/api/v1/checkin/redeem",
        data=json.dumps(payload).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status == 200
        return json.loads(response.read())


def release_database() -> None:
    """End the test's own transaction: outside requests, SQLite writers begin IMMEDIATE and
    reading an expired attribute would hold the write lock the server is waiting for."""
    db.session.commit()


@pytest.fixture
def tokens(make_user):
    plaintexts = [
        accounts.create_token(make_user(Role.CHECKIN), f"device {n}") for n in range(DEVICES)
    ]
    db.session.commit()
    return plaintexts


def test_same_ticket_on_many_devices_at_once_is_ok_exactly_once(
    live_server, tokens, make_event, make_registration
):
    event = make_event(slug="gedraenge")
    codes = [make_registration(event).ticket_code for _ in range(3)]
    release_database()
    for code in codes:
        payload = {"code": code, "event": "gedraenge", "list": "entrance"}
        answers = all_at_once(
            [
                lambda token=token, payload=payload: post(live_server, token, payload)
                for token in tokens
            ]
        )
        statuses = sorted(answer["status"] for answer in answers)
        assert statuses == ["already_checked_in"] * (DEVICES - 1) + ["ok"]
        assert len({answer["checked_in_at"] for answer in answers}) == 1

    db.session.expire_all()
    assert db.session.execute(db.select(db.func.count(CheckIn.id))).scalar() == len(codes)
    logged = db.session.execute(db.select(db.func.count(ScanLog.id))).scalar()
    assert logged == DEVICES * len(codes)


def test_retries_with_one_nonce_at_once_count_once(
    live_server, tokens, make_event, make_registration
):
    event = make_event(slug="wackelnetz")
    payload = {"code": make_registration(event).ticket_code, "event": "wackelnetz", "nonce": "n"}
    release_database()
    answers = all_at_once([lambda: post(live_server, tokens[0], payload)] * 6)
    assert [answer["status"] for answer in answers] == ["ok"] * 6
    assert all(answer == answers[0] for answer in answers)
    db.session.expire_all()
    assert db.session.execute(db.select(db.func.count(CheckIn.id))).scalar() == 1
    nonces = db.session.execute(db.select(ScanLog.nonce)).scalars().all()
    assert nonces == ["n"]
