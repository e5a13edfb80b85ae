"""Offline scanners: the data download, door versions, offline scans and duplicates."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event as sa_event
from sqlalchemy import update
from sqlalchemy.orm import Session as OrmSession
from support import api_headers, choose

from eventapp.api.models import DoorData
from eventapp.checkin import versions
from eventapp.extensions import db
from eventapp.models import (
    CheckIn,
    ChoiceStatus,
    Event,
    Registration,
    RegistrationStatus,
    Role,
    ScanLog,
    SessionKind,
    utcnow,
)

DATA = "/api/v1/events/kongress/checkin/data"


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
    registration = make_registration(event, first_name="Anna", last_name="Schäfer")
    choose(registration, workshop)
    return registration


def version_of(registration) -> int:
    db.session.expire_all()
    return db.session.get(Registration, registration.id).door_version


def event_row(event) -> tuple:
    db.session.expire_all()
    row = db.session.get(Event, event.id)
    return row.door_version, row.updated_at


def age_versions(minutes: int) -> None:
    """Move every stamp back, as if the changes were made ``minutes`` ago."""
    db.session.execute(
        update(Registration).values(
            door_version=Registration.door_version - minutes * 60 * 1_000_000
        )
    )
    db.session.commit()


def redeem(client, headers, code, **extra):
    body = {"code": code, "event": "kongress", **extra}
    return client.post("/api/v1/checkin/redeem", json=body, headers=headers)


def device_hash(key_b64: str, code: str) -> str:
    key = base64.urlsafe_b64decode(key_b64 + "=" * (-len(key_b64) % 4))
    digest = hmac.new(key, code.encode(), hashlib.sha256).digest()[:16]
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


# --- the data endpoint -------------------------------------------------------------


def test_full_download_has_hashes_not_codes(client, headers, guest, workshop, make_registration):
    guest.accessibility_needs = "Rollstuhl"
    cancelled = make_registration(guest.event, status=RegistrationStatus.CANCELLED)
    db.session.commit()
    response = client.get(DATA, headers=headers)
    assert response.status_code == 200
    body = response.json
    assert set(body) == {
        "event", "list", "version", "full", "hash_key", "tickets", "generated_at",
    }  # fmt: skip
    DoorData.model_validate(body)  # the route skips spectree's check for speed
    assert body["event"] == "kongress" and body["list"] == "entrance" and body["full"] is True
    assert body["version"] > version_of(guest) > 0
    tickets = {t["id"]: t for t in body["tickets"]}
    anna = tickets[guest.id]
    assert anna["hash"] == device_hash(body["hash_key"], guest.ticket_code)
    assert guest.ticket_code not in response.get_data(as_text=True)
    assert cancelled.ticket_code not in response.get_data(as_text=True)
    assert anna["name"] == "Anna Schäfer"
    assert anna["status"] == "confirmed"
    assert anna["workshops"] == [workshop.id]
    assert anna["attention"] == "Rollstuhl"
    assert anna["checked_in"] is False and anna["inside"] is False
    assert tickets[cancelled.id]["status"] == "cancelled"


def test_hash_key_differs_per_event(client, headers, guest, make_event, make_registration):
    other = make_event(slug="andere")
    make_registration(other)
    first = client.get(DATA, headers=headers).json["hash_key"]
    second = client.get("/api/v1/events/andere/checkin/data", headers=headers).json["hash_key"]
    assert first != second


def test_delta_gives_only_what_changed_since(client, headers, guest, event, make_registration):
    other = make_registration(event, first_name="Bernd")
    age_versions(minutes=10)
    version = client.get(DATA, headers=headers).json["version"]
    empty = client.get(DATA, query_string={"since": version}, headers=headers).json
    assert empty["full"] is False and empty["tickets"] == [] and empty["version"] >= version

    assert redeem(client, headers, other.ticket_code).json["status"] == "ok"
    delta = client.get(DATA, query_string={"since": version}, headers=headers).json
    assert [t["id"] for t in delta["tickets"]] == [other.id]
    assert delta["tickets"][0]["checked_in"] is True and delta["tickets"][0]["inside"] is True
    assert delta["version"] > version

    age_versions(minutes=10)
    guest = db.session.get(Registration, guest.id)
    guest.status = RegistrationStatus.CANCELLED
    db.session.commit()
    later = client.get(DATA, query_string={"since": delta["version"]}, headers=headers).json
    assert [(t["id"], t["status"]) for t in later["tickets"]] == [(guest.id, "cancelled")]


def test_workshop_list_reports_check_ins_on_that_list(client, headers, guest, workshop):
    redeem(client, headers, guest.ticket_code, list=workshop.id)
    entrance = client.get(DATA, headers=headers).json
    on_list = client.get(DATA, query_string={"list": workshop.id}, headers=headers).json
    assert on_list["list"] == workshop.id
    assert entrance["tickets"][0]["checked_in"] is False
    assert on_list["tickets"][0]["checked_in"] is True


def test_data_needs_a_token(client, guest):
    assert client.get(DATA).status_code == 401


def test_staff_of_another_event_get_403(client, guest, make_user, make_event):
    other = make_event(slug="andere")
    scoped = make_user(Role.CHECKIN, all_events=False, events=[other])
    response = client.get(DATA, headers=api_headers(scoped))
    assert response.status_code == 403
    assert response.json["error"]["code"] == "forbidden"
    assert "tickets" not in response.json


def test_staff_scoped_to_this_event_may_download(client, guest, event, make_user):
    scoped = make_user(Role.CHECKIN, all_events=False, events=[event])
    assert client.get(DATA, headers=api_headers(scoped)).status_code == 200


@pytest.mark.parametrize(
    ("query", "status"),
    [({"since": "-1"}, 422), ({"since": "abc"}, 422), ({"since": "²"}, 422),
     ({"list": "999999"}, 422), ({"list": "foo"}, 422)],
)  # fmt: skip
def test_bad_data_query_is_refused(client, headers, guest, query, status):
    response = client.get(DATA, query_string=query, headers=headers)
    assert response.status_code == status
    assert "error" in response.json


def test_data_endpoint_is_in_the_openapi_document(client):
    document = client.get("/api/v1/openapi.json").json
    operation = document["paths"]["/events/{slug}/checkin/data"]["get"]
    assert operation["operationId"] == "getCheckInData"
    assert {"200", "401", "403", "404"} <= set(operation["responses"])


def test_download_uses_a_fixed_number_of_queries(
    app, client, headers, event, make_registration, workshop
):
    from sqlalchemy import event as sa_event

    for n in range(30):
        registration = make_registration(event, first_name=f"P{n}")
        choose(registration, workshop)
    statements = []

    def count(*_args):
        statements.append(1)

    engine = db.engine
    sa_event.listen(engine, "before_cursor_execute", count)
    try:
        response = client.get(DATA, headers=headers)
    finally:
        sa_event.remove(engine, "before_cursor_execute", count)
    assert len(response.json["tickets"]) == 30
    assert len(statements) < 15


# --- door versions -------------------------------------------------------------------


def test_new_registration_gets_a_version(guest, event):
    assert 0 < version_of(guest) < versions.next_stamp()


def test_a_recent_change_comes_again_within_the_overlap(client, headers, guest):
    """Stamps are not in commit order: a delta repeats what was stamped shortly before."""
    version = client.get(DATA, headers=headers).json["version"]
    again = client.get(DATA, query_string={"since": version}, headers=headers).json
    assert [t["id"] for t in again["tickets"]] == [guest.id]
    age_versions(minutes=3)
    later = client.get(DATA, query_string={"since": again["version"]}, headers=headers).json
    assert later["tickets"] == []


def test_change_stamped_before_a_download_and_committed_after_it_comes_next_time(
    app, client, headers, guest
):
    """The bug of a naive timestamp: the next delta must not skip a late commit."""
    guest_id = guest.id
    age_versions(minutes=10)  # commits: the other session below may write
    other = OrmSession(db.engine)
    sa_event.listen(other, "before_flush", versions.stamp_door_versions)
    try:
        other.get(Registration, guest_id).attention_note = "Begleitperson"
        other.flush()  # stamped now, committed only after the download below
        before = client.get(DATA, headers=headers).json
        assert before["tickets"][0]["attention"] is None
        db.session.commit()  # the test's own read transaction, so the other may commit
        other.commit()
    finally:
        other.close()
    after = client.get(DATA, query_string={"since": before["version"]}, headers=headers).json
    assert [(t["id"], t["attention"]) for t in after["tickets"]] == [(guest_id, "Begleitperson")]


def test_door_versions_leave_the_event_row_alone(client, headers, guest, event, workshop):
    """No counter on the event: registrations and scans of one event do not queue on it."""
    before = event_row(event)
    assert redeem(client, headers, guest.ticket_code).json["status"] == "ok"
    assert redeem(client, headers, guest.ticket_code, list=workshop.id).json["status"] == "ok"
    registration = db.session.get(Registration, guest.id)
    registration.attention_note = "Begleitperson"
    db.session.commit()
    assert event_row(event) == before


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("status", RegistrationStatus.CANCELLED),
        ("first_name", "Anne"),
        ("last_name", "Schaefer"),
        ("attention_note", "Begleitperson"),
        ("accessibility_needs", "Induktionsschleife"),
    ],
)
def test_registration_changes_raise_the_version(guest, event, field, value):
    before = version_of(guest)
    registration = db.session.get(Registration, guest.id)
    setattr(registration, field, value)
    db.session.commit()
    assert version_of(guest) > before


def test_unrelated_change_keeps_the_version(guest):
    before = version_of(guest)
    registration = db.session.get(Registration, guest.id)
    registration.phone = "+49 6151 0"
    db.session.commit()
    assert version_of(guest) == before


def test_check_in_left_and_undone_raise_the_version(guest):
    before = version_of(guest)
    check_in = CheckIn(registration_id=guest.id, list_key="entrance", checked_in_at=utcnow())
    db.session.add(check_in)
    db.session.commit()
    after_check_in = version_of(guest)
    assert after_check_in > before
    check_in = db.session.get(CheckIn, check_in.id)
    check_in.left_at = utcnow()
    db.session.commit()
    after_leaving = version_of(guest)
    assert after_leaving > after_check_in
    db.session.delete(db.session.get(CheckIn, check_in.id))
    db.session.commit()
    assert version_of(guest) > after_leaving


def test_workshop_choices_raise_the_version(guest, event, workshop):
    other = next(s for s in event.sessions if s.kind == SessionKind.WORKSHOP and s != workshop)
    before = version_of(guest)
    choice = choose(db.session.get(Registration, guest.id), other, ChoiceStatus.WAITLISTED)
    added = version_of(guest)
    assert added > before
    choice.status = ChoiceStatus.CONFIRMED
    db.session.commit()
    promoted = version_of(guest)
    assert promoted > added
    db.session.delete(choice)
    db.session.commit()
    assert version_of(guest) > promoted


def test_versions_in_one_flush_are_distinct(event, make_registration):
    people = [make_registration(event, first_name=f"P{n}") for n in range(3)]
    for person in people:
        person.attention_note = "Hinweis"
    db.session.commit()
    stamps = [version_of(person) for person in people]
    assert len(set(stamps)) == 3


# --- offline scans -----------------------------------------------------------------------


def test_offline_scan_keeps_its_original_time(client, headers, guest):
    when = utcnow().replace(microsecond=0) - timedelta(minutes=20)
    response = redeem(client, headers, guest.ticket_code, scanned_at=iso(when), nonce="n1")
    assert response.status_code == 200
    assert response.json["status"] == "ok"
    assert datetime.fromisoformat(response.json["checked_in_at"]) == when
    db.session.expire_all()
    check_in = db.session.execute(db.select(CheckIn)).scalar_one()
    assert check_in.checked_in_at == when
    assert db.session.get(Registration, guest.id).checked_in_at == when
    log = db.session.execute(db.select(ScanLog)).scalar_one()
    assert log.offline is True and log.duplicate is False and log.scanned_at == when


def test_online_scan_is_not_offline(client, headers, guest):
    redeem(client, headers, guest.ticket_code)
    log = db.session.execute(db.select(ScanLog)).scalar_one()
    assert log.offline is False and log.scanned_at is None


def test_two_devices_offline_give_a_duplicate_and_the_earliest_time(client, headers, guest):
    early = utcnow().replace(microsecond=0) - timedelta(minutes=30)
    late = early + timedelta(minutes=5)
    tablet = {**headers, "X-Device": "Tablet 1"}
    phone = {**headers, "X-Device": "Handy 2"}
    first = redeem(client, tablet, guest.ticket_code, scanned_at=iso(late), nonce="a")
    second = redeem(client, phone, guest.ticket_code, scanned_at=iso(early), nonce="b")
    assert first.json["status"] == "ok"
    assert second.json["status"] == "already_checked_in"
    assert datetime.fromisoformat(second.json["checked_in_at"]) == early
    db.session.expire_all()
    assert db.session.execute(db.select(db.func.count(CheckIn.id))).scalar() == 1
    assert db.session.execute(db.select(CheckIn)).scalar_one().checked_in_at == early
    logs = db.session.execute(db.select(ScanLog).order_by(ScanLog.id)).scalars().all()
    assert [(log.offline, log.duplicate) for log in logs] == [(True, False), (True, True)]
    status = client.get("/api/v1/events/kongress/checkin/status", headers=headers).json
    assert status["checked_in"] == 1


def test_a_rescan_on_the_same_device_is_not_a_duplicate(client, headers, guest):
    tablet = {**headers, "X-Device": "Tablet 1"}
    when = utcnow() - timedelta(minutes=3)
    redeem(client, tablet, guest.ticket_code, scanned_at=iso(when), nonce="a")
    again = redeem(
        client, tablet, guest.ticket_code, scanned_at=iso(when + timedelta(seconds=5)), nonce="b"
    )
    assert again.json["status"] == "already_checked_in"
    logs = db.session.execute(db.select(ScanLog).order_by(ScanLog.id)).scalars().all()
    assert [log.duplicate for log in logs] == [False, False]


def test_a_retried_offline_scan_is_not_a_duplicate(client, headers, guest):
    when = iso(utcnow() - timedelta(minutes=3))
    first = redeem(client, headers, guest.ticket_code, scanned_at=when, nonce="same")
    again = redeem(client, headers, guest.ticket_code, scanned_at=when, nonce="same")
    assert first.json == again.json
    assert db.session.execute(db.select(db.func.count(ScanLog.id))).scalar() == 1


@pytest.mark.parametrize(
    "value",
    ["gestern", "", "2026-13-01T00:00:00Z", 12, "x" * 50, "far-future", "long-ago"],
)
def test_implausible_scanned_at_is_refused_and_changes_nothing(client, headers, guest, value):
    if value == "far-future":
        value = iso(utcnow() + timedelta(hours=1))
    elif value == "long-ago":
        value = iso(utcnow() - timedelta(days=30))
    response = redeem(client, headers, guest.ticket_code, scanned_at=value)
    assert response.status_code == 422
    assert response.json["error"]["code"] in {"invalid_scanned_at", "invalid"}
    assert db.session.execute(db.select(db.func.count(ScanLog.id))).scalar() == 0
    assert db.session.execute(db.select(db.func.count(CheckIn.id))).scalar() == 0


def test_a_device_clock_slightly_ahead_is_forgiven(client, headers, guest):
    response = redeem(
        client, headers, guest.ticket_code, scanned_at=iso(utcnow() + timedelta(minutes=2))
    )
    assert response.status_code == 200
    check_in = db.session.execute(db.select(CheckIn)).scalar_one()
    assert check_in.checked_in_at <= utcnow()


def test_log_page_flags_offline_scans_and_duplicates(client, headers, guest, staff, english):
    from support import login

    when = iso(utcnow() - timedelta(minutes=10))
    redeem(client, {**headers, "X-Device": "A"}, guest.ticket_code, scanned_at=when, nonce="a")
    redeem(client, {**headers, "X-Device": "B"}, guest.ticket_code, scanned_at=when, nonce="b")
    login(client, staff)
    page = client.get("/checkin/kongress/log?lang=en").get_data(as_text=True)
    assert page.count('data-offline="true"') == 2
    assert page.count('data-duplicate="true"') == 1
    assert "Duplicate" in page


# --- installable page: service worker, manifest, logout ------------------------------------


def test_service_worker_is_served_for_the_checkin_scope(client):
    response = client.get("/checkin/sw.js")
    assert response.status_code == 200
    assert response.mimetype == "text/javascript"
    assert response.headers["Service-Worker-Allowed"] == "/checkin/"
    assert "caches" in response.get_data(as_text=True)


def test_manifest_describes_the_scanner_app(client):
    response = client.get("/checkin/manifest.webmanifest")
    assert response.mimetype == "application/manifest+json"
    assert response.json["scope"] == "/checkin/" and response.json["start_url"] == "/checkin/"


def test_scanner_page_links_the_manifest_and_the_data(client, staff, event):
    from support import login

    login(client, staff)
    page = client.get("/checkin/kongress").get_data(as_text=True)
    assert 'rel="manifest" href="/checkin/manifest.webmanifest"' in page
    assert 'data-data-url="/api/v1/events/kongress/checkin/data"' in page
    assert 'data-sw-url="/checkin/sw.js"' in page
    assert 'name="direction" id="direction-exit" value="exit"' in page
    assert 'id="sound-toggle"' in page and 'id="vibrate-toggle"' in page


def test_logout_wipes_the_local_scanner_data(client, staff):
    from support import csrf_token_in, login

    login(client, staff)
    token = csrf_token_in(client.get("/logout").get_data(as_text=True))
    response = client.post("/logout", data={"csrf_token": token})
    assert response.status_code == 302
    assert response.headers["Clear-Site-Data"] == '"cache", "storage"'


def test_exit_and_re_entry_scans_raise_the_version(client, guest, headers):
    assert redeem(client, headers, guest.ticket_code).json["status"] == "ok"
    checked_in = version_of(guest)

    left = redeem(client, headers, guest.ticket_code, direction="exit")
    assert left.json["status"] == "ok"
    after_exit = version_of(guest)
    assert after_exit > checked_in
    # The device learns that the guest left: the delta since the check-in carries them.
    data = client.get(
        f"/api/v1/events/kongress/checkin/data?since={checked_in}", headers=headers
    ).json
    assert [(t["id"], t["inside"]) for t in data["tickets"]] == [(guest.id, False)]

    back = redeem(client, headers, guest.ticket_code)
    assert back.json["status"] == "ok"
    assert version_of(guest) > after_exit
