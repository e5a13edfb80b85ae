"""Scanner page and check-in log for staff; the scanner's API use with session and CSRF."""

from __future__ import annotations

import re

import pytest
from support import login, login_with_csrf

from eventapp.extensions import db
from eventapp.models import CheckIn, Registration, Role, ScanLog, SessionKind


@pytest.fixture
def event(make_programme):
    return make_programme(slug="kongress")


@pytest.fixture
def staff(make_user):
    return make_user(Role.CHECKIN)


def test_scanner_needs_login(client, event):
    response = client.get("/checkin/kongress")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_scanner_page_for_checkin_staff(client, staff, event):
    login(client, staff)
    response = client.get("/checkin/kongress?lang=en")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'id="scan-input"' in page
    assert 'id="camera-toggle"' in page
    assert 'id="search-input"' in page
    assert 'data-redeem-url="/api/v1/checkin/redeem"' in page
    assert "checkin/vendor/jsQR.js" in page
    workshop = next(s for s in event.sessions if s.kind == SessionKind.WORKSHOP)
    assert f'<option value="{workshop.id}" data-workshop="true">' in page
    assert '<option value="entrance" data-workshop="false">' in page


def test_scanner_for_unknown_event_is_404(client, staff):
    login(client, staff)
    assert client.get("/checkin/nope").status_code == 404


def test_vendored_decoder_ships_with_its_licence(client):
    with client.get("/static/checkin/vendor/jsQR.js") as script:
        assert script.status_code == 200
        assert b"jsQR" in script.data
    with client.get("/static/checkin/vendor/jsQR.LICENSE") as licence:
        assert b"Apache License" in licence.data


def test_checkin_index_lists_events(client, staff, event):
    login(client, staff)
    page = client.get("/checkin/").get_data(as_text=True)
    assert "/checkin/kongress" in page


def test_log_shows_scans_and_undo_annuls(client, staff, event, make_registration):
    guest = make_registration(event, first_name="Berta", last_name="Beispiel")
    login(client, staff)
    answer = client.post(
        "/api/v1/checkin/redeem", json={"code": guest.ticket_code, "event": "kongress"}
    ).json
    assert answer["status"] == "ok"
    client.post("/api/v1/checkin/redeem", json={"code": "bogus", "event": "kongress"})

    page = client.get("/checkin/kongress/log").get_data(as_text=True)
    assert "Berta Beispiel" in page
    assert 'data-result="unknown"' in page
    assert page.count('class="undo-form"') == 1

    response = client.post(
        "/checkin/kongress/undo", data={"registration_id": guest.id, "list": "entrance"}
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Registration, guest.id).checked_in_at is None
    assert db.session.execute(db.select(CheckIn)).first() is None
    annul = db.session.execute(db.select(ScanLog).where(ScanLog.action == "annul")).scalar_one()
    assert annul.user_id == staff.id
    page = client.get("/checkin/kongress/log").get_data(as_text=True)
    assert 'class="undo-form"' not in page


def test_log_filters_by_list(client, staff, event, make_registration):
    guest = make_registration(event)
    keynote = next(s for s in event.sessions if s.kind == SessionKind.KEYNOTE)
    login(client, staff)
    client.post("/api/v1/checkin/redeem", json={"code": guest.ticket_code, "event": "kongress"})
    client.post(
        "/api/v1/checkin/redeem",
        json={"code": guest.ticket_code, "event": "kongress", "list": keynote.id},
    )
    page = client.get(f"/checkin/kongress/log?list={keynote.id}").get_data(as_text=True)
    assert page.count("data-log-id=") == 1
    page = client.get("/checkin/kongress/log?list=entrance").get_data(as_text=True)
    assert page.count("data-log-id=") == 1
    page = client.get("/checkin/kongress/log").get_data(as_text=True)
    assert page.count("data-log-id=") == 2
    assert client.get("/checkin/kongress/log?list=99999").status_code == 404


def test_undo_of_registration_of_other_event_is_404(
    client, staff, event, make_event, make_registration
):
    other = make_registration(make_event())
    login(client, staff)
    response = client.post(
        "/checkin/kongress/undo", data={"registration_id": other.id, "list": "entrance"}
    )
    assert response.status_code == 404


def test_log_needs_login(client, event):
    assert client.get("/checkin/kongress/log").status_code == 302
    assert client.post("/checkin/kongress/undo", data={}).status_code == 302


class TestCsrf:
    @pytest.fixture
    def config_overrides(self):
        return {"WTF_CSRF_ENABLED": True}

    def test_scanner_page_token_lets_its_script_redeem(
        self, client, staff, event, make_registration
    ):
        guest = make_registration(event)
        login_with_csrf(client, staff)
        page = client.get("/checkin/kongress").get_data(as_text=True)
        token = re.search(r'data-csrf="([^"]+)"', page).group(1)
        payload = {"code": guest.ticket_code, "event": "kongress"}
        refused = client.post("/api/v1/checkin/redeem", json=payload)
        assert refused.status_code == 400
        assert db.session.execute(db.select(CheckIn)).first() is None
        accepted = client.post(
            "/api/v1/checkin/redeem", json=payload, headers={"X-CSRFToken": token}
        )
        assert accepted.json["status"] == "ok"

    def test_undo_without_csrf_token_is_refused(self, client, staff, event, make_registration):
        guest = make_registration(event)
        login_with_csrf(client, staff)
        response = client.post(
            "/checkin/kongress/undo", data={"registration_id": guest.id, "list": "entrance"}
        )
        assert response.status_code == 400
