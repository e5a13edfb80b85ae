"""Check-in API: every redeem outcome, lists, nonces, annul, counts, search, auth."""

from __future__ import annotations

import pytest
from support import api_headers, choose

from eventapp.accounts import services as accounts
from eventapp.extensions import db
from eventapp.models import (
    CheckIn,
    ChoiceStatus,
    Registration,
    RegistrationStatus,
    Role,
    ScanLog,
    SessionKind,
)


@pytest.fixture
def staff(make_user):
    return make_user(Role.CHECKIN, email="door@example.org")


@pytest.fixture
def headers(staff):
    return api_headers(staff, "door", **{"X-Device": "Tablet Eingang"})


@pytest.fixture
def event(make_programme):
    return make_programme(slug="kongress")


@pytest.fixture
def workshops(event):
    return [s for s in event.sessions if s.kind == SessionKind.WORKSHOP]


@pytest.fixture
def guest(event, make_registration, workshops):
    registration = make_registration(
        event, first_name="Anna", last_name="Schäfer", organisation="Stadt Lampertheim"
    )
    choose(registration, workshops[0])
    choose(registration, workshops[1], ChoiceStatus.WAITLISTED)
    return registration


def redeem(client, headers, code, event="kongress", **extra):
    return client.post(
        "/api/v1/checkin/redeem", json={"code": code, "event": event, **extra}, headers=headers
    )


def test_first_scan_is_ok_and_sets_checked_in_at(client, headers, guest, staff):
    response = redeem(client, headers, guest.ticket_code, list="entrance")
    assert response.status_code == 200
    body = response.json
    assert body["status"] == "ok"
    assert body["registration"] == {
        "id": guest.id,
        "name": "Anna Schäfer",
        "organisation": "Stadt Lampertheim",
    }
    # Shown in the event's time zone (Europe/Berlin), not in UTC.
    assert body["checked_in_at"][-6:] in ("+01:00", "+02:00")
    db.session.expire_all()
    registration = db.session.get(Registration, guest.id)
    assert registration.checked_in_at is not None
    log = db.session.execute(db.select(ScanLog)).scalar_one()
    assert (log.user_id, log.device, log.list_key, log.result) == (
        staff.id,
        "Tablet Eingang",
        "entrance",
        "ok",
    )
    assert log.registration_id == guest.id


def test_list_defaults_to_entrance(client, headers, guest):
    assert redeem(client, headers, guest.ticket_code).json["list"] == "entrance"


def test_second_scan_is_already_checked_in_with_first_time(client, headers, guest):
    first = redeem(client, headers, guest.ticket_code).json
    second = redeem(client, headers, guest.ticket_code).json
    assert second["status"] == "already_checked_in"
    assert second["checked_in_at"] == first["checked_in_at"]
    assert second["registration"]["id"] == guest.id
    assert db.session.execute(db.select(db.func.count(CheckIn.id))).scalar() == 1
    assert db.session.execute(db.select(db.func.count(ScanLog.id))).scalar() == 2


def test_unknown_code(client, headers, guest):
    body = redeem(client, headers, "no-such-code").json
    assert body["status"] == "unknown"
    assert "registration" not in body
    log = db.session.execute(db.select(ScanLog)).scalar_one()
    assert log.result == "unknown"
    assert log.code == "no-such-code"


def test_cancelled_registration_does_not_redeem(client, headers, event, make_registration):
    registration = make_registration(event, status=RegistrationStatus.CANCELLED)
    body = redeem(client, headers, registration.ticket_code).json
    assert body["status"] == "cancelled"
    assert body["registration"]["id"] == registration.id
    assert db.session.execute(db.select(CheckIn)).first() is None


def test_waitlisted_registration_does_not_redeem(client, headers, event, make_registration):
    registration = make_registration(event, status=RegistrationStatus.WAITLISTED)
    assert redeem(client, headers, registration.ticket_code).json["status"] == "waitlisted"
    assert db.session.execute(db.select(CheckIn)).first() is None


def test_ticket_of_another_event_is_wrong_event(
    client, headers, event, make_event, make_registration
):
    other = make_registration(make_event(slug="ortsbesuch"))
    body = redeem(client, headers, other.ticket_code).json
    assert body["status"] == "wrong_event"
    assert body["registration"]["id"] == other.id
    assert db.session.execute(db.select(CheckIn)).first() is None


def test_workshop_list_admits_only_confirmed_seats(client, headers, guest, workshops):
    body = redeem(client, headers, guest.ticket_code, list=workshops[0].id).json
    assert body["status"] == "ok"
    assert body["list"] == workshops[0].id
    # A string id works as well; the entrance is a separate list.
    again = redeem(client, headers, guest.ticket_code, list=str(workshops[0].id)).json
    assert again["status"] == "already_checked_in"
    waitlisted = redeem(client, headers, guest.ticket_code, list=workshops[1].id).json
    assert waitlisted["status"] == "not_registered_for_session"
    db.session.expire_all()
    assert db.session.get(Registration, guest.id).checked_in_at is None
    assert redeem(client, headers, guest.ticket_code).json["status"] == "ok"


def test_workshop_list_refuses_people_without_that_workshop(
    client, headers, event, make_registration, workshops
):
    registration = make_registration(event)
    body = redeem(client, headers, registration.ticket_code, list=workshops[0].id).json
    assert body["status"] == "not_registered_for_session"


def test_session_open_to_all_admits_every_confirmed_guest(client, headers, event, guest):
    keynote = next(s for s in event.sessions if s.kind == SessionKind.KEYNOTE)
    assert redeem(client, headers, guest.ticket_code, list=keynote.id).json["status"] == "ok"


@pytest.mark.parametrize(
    "payload",
    [
        {"code": "x", "event": "kongress", "list": 999_999},
        {"code": "x", "event": "kongress", "list": "garden"},
        {"code": "x", "event": "kongress", "list": True},
        {"code": "", "event": "kongress"},
        {"code": 5, "event": "kongress"},
        {"code": "x"},
        {"code": "x", "event": "kongress", "nonce": 7},
    ],
)
def test_bad_input_is_422_and_changes_nothing(client, headers, guest, payload):
    response = client.post("/api/v1/checkin/redeem", json=payload, headers=headers)
    assert response.status_code == 422
    assert set(response.json["error"]) == {"code", "message"}
    assert db.session.execute(db.select(ScanLog)).first() is None


def test_session_of_another_event_is_not_a_list(client, headers, guest, make_event, make_session):
    foreign = make_session(make_event())
    response = redeem(client, headers, guest.ticket_code, list=foreign.id)
    assert response.status_code == 422


def test_body_that_is_not_json_is_422(client, headers):
    response = client.post("/api/v1/checkin/redeem", data="code=x", headers=headers)
    assert response.status_code == 422


def test_unknown_event_is_404(client, headers, guest):
    response = redeem(client, headers, guest.ticket_code, event="nope")
    assert response.status_code == 404
    assert response.json["error"]["code"] == "event_not_found"


def test_same_nonce_returns_the_first_answer(client, headers, guest):
    first = redeem(client, headers, guest.ticket_code, nonce="n-1").json
    repeat = redeem(client, headers, guest.ticket_code, nonce="n-1").json
    assert first["status"] == repeat["status"] == "ok"
    assert repeat == first
    assert db.session.execute(db.select(db.func.count(ScanLog.id))).scalar() == 1
    other = redeem(client, headers, guest.ticket_code, nonce="n-2").json
    assert other["status"] == "already_checked_in"


def test_nonces_are_per_user(client, headers, guest, make_user):
    colleague = make_user(Role.CHECKIN)
    other_headers = api_headers(colleague)
    redeem(client, headers, guest.ticket_code, nonce="same")
    body = redeem(client, other_headers, guest.ticket_code, nonce="same").json
    assert body["status"] == "already_checked_in"


def test_device_from_body_when_no_header(client, staff, guest):
    redeem(client, api_headers(staff), guest.ticket_code, device="Handy 2")
    assert db.session.execute(db.select(ScanLog.device)).scalar_one() == "Handy 2"


# --- auth ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("post", "/api/v1/checkin/redeem"),
        ("post", "/api/v1/checkin/annul"),
        ("get", "/api/v1/events/kongress/checkin/status"),
        ("get", "/api/v1/events/kongress/checkin/search?q=anna"),
    ],
)
def test_endpoints_need_a_token(client, event, method, path):
    response = getattr(client, method)(path, json={"code": "x", "event": "kongress"})
    assert response.status_code == 401
    bad = getattr(client, method)(
        path, json={"code": "x", "event": "kongress"}, headers={"Authorization": "Bearer wrong"}
    )
    assert bad.status_code == 401


def test_revoked_token_cannot_redeem(client, staff, guest):
    revoked = api_headers(staff)
    accounts.revoke_token(accounts.list_tokens(staff)[0])
    db.session.commit()
    response = redeem(client, revoked, guest.ticket_code)
    assert response.status_code == 401
    assert db.session.execute(db.select(CheckIn)).first() is None


def test_token_of_a_deactivated_user_cannot_redeem(client, staff, headers, guest):
    """The event and the ticket are read in the token's statement: what they show goes
    nowhere unless the token is good."""
    staff.active = False
    db.session.commit()
    response = redeem(client, headers, guest.ticket_code)
    assert response.status_code == 401
    assert "Anna" not in response.get_data(as_text=True)
    assert db.session.execute(db.select(CheckIn)).first() is None


def test_staff_of_another_event_may_not_redeem_here(client, make_user, make_event, guest):
    other = make_event(slug="anderswo")
    scoped = make_user(Role.CHECKIN, all_events=False, events=[other])
    response = redeem(client, api_headers(scoped), guest.ticket_code)
    assert response.status_code == 403
    assert "Anna" not in response.get_data(as_text=True)
    assert db.session.execute(db.select(CheckIn)).first() is None
    assert (
        redeem(client, api_headers(scoped), guest.ticket_code, event="anderswo").json["status"]
        == "wrong_event"
    )


@pytest.mark.parametrize(
    "body",
    [
        {"code": "   ", "event": "kongress"},
        {"code": 7, "event": "kongress"},
        {"code": "x" * 5000, "event": "kongress"},
        {"code": "abc", "event": ""},
        {"code": "abc", "event": "kongress", "registration_id": 1},
    ],
)
def test_a_body_not_read_with_the_token_is_answered_as_before(client, headers, guest, body):
    """A body the view refuses, or names no ticket code, is not read with the token: the
    view answers it as it did (422, or unknown for a code no ticket can carry)."""
    response = client.post("/api/v1/checkin/redeem", json=body, headers=headers)
    if body["code"] == "x" * 5000:
        assert response.status_code == 200
        assert response.json["status"] == "unknown"
    else:
        assert response.status_code in (403, 422)
    assert db.session.execute(db.select(CheckIn)).first() is None


def test_unknown_event_read_with_the_token_is_404(client, headers, guest):
    response = redeem(client, headers, guest.ticket_code, event="gibt-es-nicht")
    assert response.status_code == 404


def test_admin_may_redeem(client, make_user, guest):
    response = redeem(client, api_headers(make_user(Role.ADMIN)), guest.ticket_code)
    assert response.json["status"] == "ok"


# --- annul -----------------------------------------------------------------------


def test_annul_undoes_the_check_in(client, headers, guest):
    redeem(client, headers, guest.ticket_code)
    response = client.post(
        "/api/v1/checkin/annul",
        json={"code": guest.ticket_code, "event": "kongress", "list": "entrance"},
        headers=headers,
    )
    assert response.status_code == 200
    assert response.json["status"] == "annulled"
    db.session.expire_all()
    assert db.session.get(Registration, guest.id).checked_in_at is None
    assert db.session.execute(db.select(CheckIn)).first() is None
    actions = db.session.execute(db.select(ScanLog.action).order_by(ScanLog.id)).scalars().all()
    assert actions == ["redeem", "annul"]
    assert redeem(client, headers, guest.ticket_code).json["status"] == "ok"


def test_annul_of_workshop_keeps_entrance(client, headers, guest, workshops):
    redeem(client, headers, guest.ticket_code)
    redeem(client, headers, guest.ticket_code, list=workshops[0].id)
    body = client.post(
        "/api/v1/checkin/annul",
        json={"code": guest.ticket_code, "event": "kongress", "list": workshops[0].id},
        headers=headers,
    ).json
    assert body["status"] == "annulled"
    db.session.expire_all()
    assert db.session.get(Registration, guest.id).checked_in_at is not None
    assert db.session.execute(db.select(CheckIn.list_key)).scalars().all() == ["entrance"]


def test_annul_without_check_in_or_unknown(client, headers, guest):
    body = client.post(
        "/api/v1/checkin/annul",
        json={"code": guest.ticket_code, "event": "kongress"},
        headers=headers,
    ).json
    assert body["status"] == "not_checked_in"
    body = client.post(
        "/api/v1/checkin/annul", json={"code": "nope", "event": "kongress"}, headers=headers
    ).json
    assert body["status"] == "unknown"


# --- status and search -------------------------------------------------------------


def test_status_counts_registered_checked_in_and_per_list(
    client, headers, event, guest, workshops, make_registration
):
    make_registration(event)
    make_registration(event, status=RegistrationStatus.WAITLISTED)
    make_registration(event, status=RegistrationStatus.CANCELLED)
    redeem(client, headers, guest.ticket_code)
    redeem(client, headers, guest.ticket_code, list=workshops[0].id)
    body = client.get("/api/v1/events/kongress/checkin/status", headers=headers).json
    assert body["registered"] == 2
    assert body["waitlisted"] == 1
    assert body["cancelled"] == 1
    assert body["checked_in"] == 1
    lists = {entry["list"]: entry for entry in body["lists"]}
    assert lists["entrance"]["checked_in"] == 1
    assert lists["entrance"]["expected"] == 2
    assert lists[workshops[0].id]["checked_in"] == 1
    assert lists[workshops[0].id]["expected"] == 1
    assert lists[workshops[1].id]["expected"] == 0
    assert client.get("/api/v1/events/nope/checkin/status", headers=headers).status_code == 404


@pytest.mark.parametrize("query", ["schäfer", "SCHÄF", "anna sch", "lampertheim", "STADT LAMP"])
def test_search_finds_by_name_email_or_organisation(client, headers, guest, event, query):
    body = client.get(
        "/api/v1/events/kongress/checkin/search", query_string={"q": query}, headers=headers
    ).json
    assert [r["id"] for r in body["results"]] == [guest.id]
    result = body["results"][0]
    # Door staff get what the door needs: no ticket code to copy, no address to write to.
    assert "ticket_code" not in result
    assert "email" not in result
    assert result["status"] == "confirmed"
    assert result["checked_in_at"] is None
    assert result["organisation"] == "Stadt Lampertheim"


def test_search_by_email_and_other_events_excluded(
    client, headers, guest, make_event, make_registration
):
    make_registration(make_event(), first_name="Anna", last_name="Schäfer")
    body = client.get(
        "/api/v1/events/kongress/checkin/search", query_string={"q": guest.email}, headers=headers
    ).json
    assert [r["id"] for r in body["results"]] == [guest.id]
    body = client.get(
        "/api/v1/events/kongress/checkin/search", query_string={"q": "Anna"}, headers=headers
    ).json
    assert [r["id"] for r in body["results"]] == [guest.id]


@pytest.mark.parametrize("query", ["", " ", "a", "%", "_", "a b"])
def test_search_without_a_word_of_two_characters_is_422(client, headers, guest, query):
    response = client.get(
        "/api/v1/events/kongress/checkin/search", query_string={"q": query}, headers=headers
    )
    assert response.status_code == 422
    assert response.json["error"]["code"] == "query_too_short"


@pytest.mark.parametrize("query", ["zzz", "%%", "__"])
def test_search_without_match_returns_nothing(client, headers, guest, query):
    response = client.get(
        "/api/v1/events/kongress/checkin/search", query_string={"q": query}, headers=headers
    )
    assert response.status_code == 200
    assert response.json["results"] == []


def test_search_shows_check_in_time(client, headers, guest):
    redeem(client, headers, guest.ticket_code)
    body = client.get(
        "/api/v1/events/kongress/checkin/search", query_string={"q": "Anna"}, headers=headers
    ).json
    assert body["results"][0]["checked_in_at"] is not None


def test_a_scan_costs_a_fixed_handful_of_statements(client, headers, guest, make_registration):
    """Every statement is a round trip while the door waits: the token with its user, the
    event and the ticket's registration in one statement, and the writes. On PostgreSQL
    the check-in, the registration's time and the log entry go in one statement that is a
    transaction of its own: psycopg sends no BEGIN before it (the connection stays in
    autocommit) and no COMMIT after.
    SQLite, which has no round trips, writes the check-in, the time and the log entry in
    three; its check-in's insert compares the event's and the ticket's stamps with what
    was read before the writers' lock (``lock_late``)."""
    from sqlalchemy import event as sa_event

    code = make_registration(guest.event).ticket_code
    redeem(client, headers, guest.ticket_code)  # the token's first use is recorded
    db.session.commit()
    statements: list[str] = []
    in_a_transaction: list[bool] = []

    def count(conn, _cursor, statement, *_args):
        statements.append(statement.split()[0].upper())
        if conn.dialect.name == "postgresql":
            in_a_transaction.append(not conn.connection.driver_connection.autocommit)

    sa_event.listen(db.engine, "after_cursor_execute", count)
    try:
        assert redeem(client, headers, code).json["status"] == "ok"
    finally:
        sa_event.remove(db.engine, "after_cursor_execute", count)
    writes = [s for s in statements if s in {"INSERT", "UPDATE", "DELETE", "WITH"}]
    sqlite = db.engine.dialect.name == "sqlite"
    assert sorted(writes) == (["INSERT", "INSERT", "UPDATE"] if sqlite else ["WITH"])
    assert statements.count("SELECT") == 1
    assert "SAVEPOINT" not in statements
    assert not any(in_a_transaction)
    log = db.session.execute(db.select(ScanLog).where(ScanLog.code == code)).scalar_one()
    assert log.result == "ok"


def test_an_ordinary_scan_is_worked_out_before_the_write_lock(
    client, headers, guest, make_registration, monkeypatch
):
    """A confirmed ticket entering: its answer is made before the lock, under which only
    the writes run; a second scan of it finds the check-in and is decided under the lock."""
    from eventapp.checkin import services

    decided_under_the_lock = []
    decide = services._decide

    def note(*args, **kwargs):
        decided_under_the_lock.append(args[1].id)
        return decide(*args, **kwargs)

    # The token's first use is recorded (a write: the scan is then part of it).
    redeem(client, headers, make_registration(guest.event).ticket_code)
    code, guest_id = guest.ticket_code, guest.id
    # Ends the transaction the test's own session shares with the requests.
    db.session.remove()
    monkeypatch.setattr(services, "_decide", note)
    first = redeem(client, headers, code).json
    assert first["status"] == "ok" and first["registration"]["id"] == guest_id
    assert first["list"] == "entrance" and first["direction"] == "entry"
    assert decided_under_the_lock == []
    again = redeem(client, headers, code).json
    assert again["status"] == "already_checked_in"
    assert again["checked_in_at"] == first["checked_in_at"]
    assert decided_under_the_lock == [guest_id]
    db.session.remove()
    check_in = db.session.query(CheckIn).filter_by(registration_id=guest_id).one()
    assert db.session.get(Registration, guest_id).checked_in_at == check_in.checked_in_at


@pytest.mark.parametrize(
    ("change", "status"),
    [
        ("ticket cancelled", "cancelled"),
        ("event called off", "event_cancelled"),
    ],
)
def test_a_change_between_the_lookup_and_the_lock_decides_the_scan(
    client, headers, guest, make_registration, monkeypatch, change, status
):
    """The scan reads the ticket before it takes the lock (SQLite's writers' lock, or the
    event's share lock on PostgreSQL); what another request committed in between is what
    the answer rests on."""
    from sqlalchemy import update

    from eventapp.checkin import services
    from eventapp.models import Event, EventStatus

    # The token's first use is recorded (a write, which takes the lock at once).
    redeem(client, headers, make_registration(guest.event).ticket_code)
    code, guest_id, event_id = guest.ticket_code, guest.id, guest.event_id
    db.session.remove()
    statement = (
        update(Registration)
        .where(Registration.id == guest_id)
        .values(status=RegistrationStatus.CANCELLED)
        if change == "ticket cancelled"
        else update(Event).where(Event.id == event_id).values(status=EventStatus.CANCELLED)
    )

    looked_up = services._stored_answer

    def change_meanwhile(*args, **kwargs):
        with db.engine.begin() as connection:
            connection.execute(statement)
        return looked_up(*args, **kwargs)

    monkeypatch.setattr(services, "_stored_answer", change_meanwhile)
    response = redeem(client, headers, code)
    assert response.json["status"] == status
    db.session.remove()
    assert db.session.query(CheckIn).filter_by(registration_id=guest_id).count() == 0


@pytest.mark.parametrize(
    ("change", "status"),
    [
        ("ticket cancelled", "cancelled"),
        ("event called off", "event_cancelled"),
    ],
)
def test_a_change_committed_while_the_scan_waits_for_the_event_decides_it(
    client, headers, guest, make_registration, change, status
):
    """PostgreSQL: the scan's one statement waits for the event row that a cancellation
    holds; once that commits, the statement finds the rows changed and writes nothing,
    and the scan is decided on what was committed."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has no row locks: its writers queue")
    import threading
    import time

    from sqlalchemy import text

    from eventapp.models import Event, EventStatus

    redeem(client, headers, make_registration(guest.event).ticket_code)
    code, guest_id, event_id = guest.ticket_code, guest.id, guest.event_id
    db.session.remove()
    app = client.application
    answers: list[dict] = []
    with db.engine.connect() as other:
        transaction = other.begin()
        other.execute(text("SELECT id FROM event WHERE id = :id FOR UPDATE"), {"id": event_id})
        if change == "ticket cancelled":
            other.execute(
                db.update(Registration)
                .where(Registration.id == guest_id)
                .values(status=RegistrationStatus.CANCELLED)
            )
        else:
            other.execute(
                db.update(Event).where(Event.id == event_id).values(status=EventStatus.CANCELLED)
            )

        def scan() -> None:
            with app.app_context():
                answers.append(redeem(app.test_client(), headers, code).json)

        scanner = threading.Thread(target=scan)
        scanner.start()
        waited = False
        for _ in range(100):
            blocked = other.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                    "AND datname = current_database()"
                )
            ).scalar_one()
            if blocked:
                waited = True
                break
            time.sleep(0.05)
        transaction.commit()
        scanner.join(timeout=30)
    assert waited, "the scan did not wait for the event row"
    assert answers[0]["status"] == status
    db.session.remove()
    assert db.session.query(CheckIn).filter_by(registration_id=guest_id).count() == 0
