"""Exit scans: who is inside, re-entry, not_inside, counts per list, attention flags."""

from __future__ import annotations

import pytest
from support import api_error, api_headers, choose

from eventapp.extensions import db
from eventapp.models import (
    CheckIn,
    EventStatus,
    Registration,
    Role,
    ScanLog,
    SessionKind,
)


@pytest.fixture
def staff(make_user):
    return make_user(Role.CHECKIN, email="door@example.org")


@pytest.fixture
def headers(staff):
    return api_headers(staff, "door")


@pytest.fixture
def event(make_programme):
    return make_programme(slug="kongress")


@pytest.fixture
def workshop(event):
    return next(s for s in event.sessions if s.kind == SessionKind.WORKSHOP)


@pytest.fixture
def guest(event, make_registration, workshop):
    registration = make_registration(
        event,
        first_name="Anna",
        last_name="Schäfer",
        organisation="Stadt Lampertheim",
        email="anna@example.org",
        accessibility_needs="Rollstuhl",
    )
    choose(registration, workshop)
    return registration


def redeem(client, headers, code, event="kongress", **extra):
    return client.post(
        "/api/v1/checkin/redeem", json={"code": code, "event": event, **extra}, headers=headers
    )


def status(client, headers, slug="kongress"):
    response = client.get(f"/api/v1/events/{slug}/checkin/status", headers=headers)
    assert response.status_code == 200
    return response.json


def check_in_of(registration, list_key="entrance") -> CheckIn:
    db.session.expire_all()
    return db.session.execute(
        db.select(CheckIn).where(
            CheckIn.registration_id == registration.id, CheckIn.list_key == list_key
        )
    ).scalar_one()


def test_exit_after_entry_is_ok_and_sets_left_at(client, headers, guest):
    assert redeem(client, headers, guest.ticket_code).json["status"] == "ok"
    body = redeem(client, headers, guest.ticket_code, direction="exit").json
    assert body["status"] == "ok"
    assert body["direction"] == "exit"
    assert body["left_at"] is not None
    assert body["left_at"][-6:] in ("+01:00", "+02:00")
    assert check_in_of(guest).left_at is not None
    # The entrance check-in itself stays: the person came, the counts say so.
    assert db.session.get(Registration, guest.id).checked_in_at is not None


def test_reentry_after_exit_is_ok_and_clears_left_at(client, headers, guest):
    redeem(client, headers, guest.ticket_code)
    first = check_in_of(guest).checked_in_at
    redeem(client, headers, guest.ticket_code, direction="exit")
    body = redeem(client, headers, guest.ticket_code, direction="entry").json
    assert body["status"] == "ok"
    assert body["direction"] == "entry"
    check_in = check_in_of(guest)
    assert check_in.left_at is None
    assert check_in.checked_in_at == first
    # Inside again: a second entry is the usual already_checked_in.
    assert redeem(client, headers, guest.ticket_code).json["status"] == "already_checked_in"


def test_exit_of_someone_never_in_is_not_inside(client, headers, guest):
    body = redeem(client, headers, guest.ticket_code, direction="exit").json
    assert body["status"] == "not_inside"
    assert body["registration"]["id"] == guest.id
    assert db.session.execute(db.select(CheckIn)).first() is None


def test_second_exit_is_not_inside(client, headers, guest):
    redeem(client, headers, guest.ticket_code)
    redeem(client, headers, guest.ticket_code, direction="exit")
    left_at = check_in_of(guest).left_at
    body = redeem(client, headers, guest.ticket_code, direction="exit").json
    assert body["status"] == "not_inside"
    assert check_in_of(guest).left_at == left_at


def test_exit_of_unknown_code_is_unknown(client, headers, guest):
    body = redeem(client, headers, "no-such-code", direction="exit").json
    assert body["status"] == "unknown"
    assert "registration" not in body


def test_exit_of_other_events_ticket_is_wrong_event(
    client, headers, guest, make_event, make_registration
):
    other = make_registration(make_event(slug="andere"))
    body = redeem(client, headers, other.ticket_code, direction="exit").json
    assert body["status"] == "wrong_event"
    assert body["attention"] is None


@pytest.mark.parametrize("direction", ["out", "", "EXIT", 1, True, ["exit"]])
def test_unknown_direction_is_refused_and_changes_nothing(client, headers, guest, direction):
    response = redeem(client, headers, guest.ticket_code, direction=direction)
    assert response.status_code == 422
    assert api_error(response)["code"]
    assert db.session.execute(db.select(CheckIn)).first() is None
    assert db.session.execute(db.select(ScanLog)).first() is None


def test_each_scan_logs_its_direction(client, headers, guest):
    redeem(client, headers, guest.ticket_code)
    redeem(client, headers, guest.ticket_code, direction="exit")
    redeem(client, headers, guest.ticket_code, direction="exit")
    rows = db.session.execute(
        db.select(ScanLog.direction, ScanLog.result).order_by(ScanLog.id)
    ).all()
    assert [tuple(row) for row in rows] == [
        ("entry", "ok"),
        ("exit", "ok"),
        ("exit", "not_inside"),
    ]


def test_exit_from_a_workshop_leaves_the_entrance_alone(client, headers, guest, workshop):
    redeem(client, headers, guest.ticket_code)
    redeem(client, headers, guest.ticket_code, list=workshop.id)
    body = redeem(client, headers, guest.ticket_code, list=workshop.id, direction="exit").json
    assert (body["status"], body["list"]) == ("ok", workshop.id)
    assert check_in_of(guest, f"session:{workshop.id}").left_at is not None
    assert check_in_of(guest).left_at is None


def test_nonce_replays_only_the_same_direction(client, headers, guest):
    redeem(client, headers, guest.ticket_code, nonce="n-1")
    body = redeem(client, headers, guest.ticket_code, nonce="n-1", direction="exit").json
    # Another direction is another scan: it counts, it is not the entry's replay.
    assert (body["status"], body["direction"]) == ("ok", "exit")
    assert check_in_of(guest).left_at is not None


def test_status_counts_inside_overall_and_per_list(
    client, headers, event, guest, workshop, make_registration
):
    others = [make_registration(event) for _ in range(2)]
    for person in [guest, *others]:
        redeem(client, headers, person.ticket_code)
    redeem(client, headers, others[0].ticket_code, direction="exit")
    redeem(client, headers, guest.ticket_code, list=workshop.id)
    body = status(client, headers)
    assert (body["checked_in"], body["inside"]) == (3, 2)
    lists = {item["list"]: item for item in body["lists"]}
    assert (lists["entrance"]["checked_in"], lists["entrance"]["inside"]) == (3, 2)
    assert (lists[workshop.id]["checked_in"], lists[workshop.id]["inside"]) == (1, 1)
    redeem(client, headers, guest.ticket_code, list=workshop.id, direction="exit")
    lists = {item["list"]: item for item in status(client, headers)["lists"]}
    assert (lists[workshop.id]["checked_in"], lists[workshop.id]["inside"]) == (1, 0)


def test_cancelled_event_answers_event_cancelled_both_ways(client, headers, event, guest):
    redeem(client, headers, guest.ticket_code)
    event.status = EventStatus.CANCELLED
    db.session.commit()
    for direction in ("entry", "exit"):
        body = redeem(client, headers, guest.ticket_code, direction=direction).json
        assert body["status"] == "event_cancelled"
    assert check_in_of(guest).left_at is None


# --- attention flags ------------------------------------------------------------------


def test_redeem_carries_the_attention_flag_and_nothing_else_personal(client, headers, guest):
    guest.attention_note = "Platz in Reihe 1 reserviert"
    db.session.commit()
    body = redeem(client, headers, guest.ticket_code).json
    assert body["attention"] == "Platz in Reihe 1 reserviert; Rollstuhl"
    assert set(body["registration"]) == {"id", "name", "organisation"}
    text = str(body)
    for secret in ("anna@example.org", guest.ticket_code, guest.manage_token):
        assert secret not in text
    # Also on an exit and on an already_checked_in.
    assert redeem(client, headers, guest.ticket_code).json["attention"].endswith("Rollstuhl")
    exit_body = redeem(client, headers, guest.ticket_code, direction="exit").json
    assert exit_body["attention"].endswith("Rollstuhl")


def test_attention_is_null_without_needs_or_note(client, headers, event, make_registration):
    plain = make_registration(event)
    assert redeem(client, headers, plain.ticket_code).json["attention"] is None


def test_door_staff_search_carries_attention_but_no_contact_data(client, headers, guest):
    response = client.get("/api/v1/events/kongress/checkin/search?q=Schäfer", headers=headers)
    assert response.status_code == 200
    (hit,) = response.json["results"]
    assert hit["attention"] == "Rollstuhl"
    assert "email" not in hit and "ticket_code" not in hit


def test_openapi_documents_direction_statuses_and_inside(client):
    schemas = client.get("/api/v1/openapi.json").json["components"]["schemas"]
    text = str(schemas)
    assert "not_inside" in text and "event_cancelled" in text
    redeem_request = next(v for k, v in schemas.items() if k.startswith("RedeemRequest"))
    assert "direction" in redeem_request["properties"]
    status_schema = next(v for k, v in schemas.items() if k.startswith("CheckInStatus"))
    assert "inside" in status_schema["properties"]


def test_log_page_names_exits_and_offers_undo_only_for_the_entry(
    client, admin_client, headers, guest
):
    redeem(client, headers, guest.ticket_code)
    redeem(client, headers, guest.ticket_code, direction="exit")
    redeem(client, headers, guest.ticket_code, direction="exit")
    html = admin_client.get("/checkin/kongress/log?lang=en").get_data(as_text=True)
    rows = html.split("<tr data-log-id=")[1:]
    assert [('data-direction="exit"' in row) for row in rows] == [True, True, False]
    assert "Exit refused: not inside" in rows[0]
    assert "Left" in rows[1]
    assert ["undo-form" in row for row in rows] == [False, False, True]
