"""Staff accounts in the browser: list, create, (de)activate, roles, event scope, API tokens,
one's own password; and the scope enforced on the check-in pages and the check-in API."""

from __future__ import annotations

import re

import pytest
from support import PASSWORD, api_headers, audit_actions, bearer, count, login, login_with_csrf

from eventapp.accounts import services
from eventapp.extensions import db
from eventapp.models import ApiToken, CheckIn, Role, User

pytestmark = pytest.mark.usefixtures("own_context_clients")

STRONG = "Kiefernzapfen wandern leise"


def reloaded(user: User) -> User:
    db.session.expire_all()
    return db.session.get(User, user.id)


def client_of(app, user):
    client = app.test_client()
    login(client, user)
    return client


# --- list and create ------------------------------------------------------------------


def test_the_list_shows_name_email_role_active_last_login_and_scope(
    admin_client, make_user, make_event, english
):
    event = make_event(title="Fachkongress Quartier")
    door = make_user(Role.CHECKIN, name="Tür Eins", all_events=False, events=[event])
    make_user(Role.CHECKIN, email="alt@example.org", active=False)

    response = admin_client.get("/admin/staff", headers={"Accept-Language": "en"})

    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f'data-user="{door.id}" data-active="1" data-role="checkin"' in html
    assert "Tür Eins" in html and door.email in html
    assert "Fachkongress Quartier" in html
    assert 'data-active="0" data-role="checkin"' in html
    assert response.headers["Cache-Control"] == "no-store"


def test_the_back_office_navigation_links_to_the_staff_accounts(admin_client):
    assert 'href="/admin/staff"' in admin_client.get("/admin/").get_data(as_text=True)


def test_an_admin_creates_an_account_with_the_cli_password_rules(admin_client, admin):
    response = admin_client.post(
        "/admin/staff/new",
        data={
            "name": "Pia Pforte",
            "email": "Pia@Example.org",
            "role": "checkin",
            "password": STRONG,
        },
    )

    assert response.status_code == 302
    user = services.user_by_email("pia@example.org")
    assert user is not None and user.role == Role.CHECKIN and user.name == "Pia Pforte"
    assert user.all_events is True
    assert services.authenticate("pia@example.org", STRONG) == user
    assert "user.create" in audit_actions()


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"email": "neu@example.org", "role": "admin", "password": "kurz"}, "password"),
        ({"email": "neu@example.org", "role": "admin", "password": "password1234"}, "password"),
        ({"email": "kein-at", "role": "admin", "password": STRONG}, "email"),
        ({"email": "neu@example.org", "role": "boss", "password": STRONG}, "role"),
        ({"email": "", "role": "admin", "password": STRONG}, "email"),
    ],
)
def test_bad_input_for_a_new_account_is_refused_and_changes_nothing(admin_client, data, field):
    before = count(User)

    response = admin_client.post("/admin/staff/new", data=data)

    assert response.status_code == 422
    assert f'id="{field}-error"' in response.get_data(as_text=True)
    assert count(User) == before


def test_an_address_that_has_an_account_is_refused(admin_client, admin):
    response = admin_client.post(
        "/admin/staff/new",
        data={"email": admin.email.upper(), "role": "checkin", "password": STRONG},
    )
    assert response.status_code == 422
    assert 'id="email-error"' in response.get_data(as_text=True)
    assert count(User) == 1


# --- deactivate, activate, roles ------------------------------------------------------------


def test_deactivation_ends_the_sessions_and_the_api_tokens(app, admin_client, make_user):
    door = make_user(Role.CHECKIN)
    door_client = client_of(app, door)
    headers = api_headers(door)
    assert door_client.get("/checkin/").status_code == 200

    response = admin_client.post(f"/admin/staff/{door.id}/active", data={"active": "0"})

    assert response.status_code == 302
    assert reloaded(door).active is False
    assert door_client.get("/checkin/").status_code == 302  # to the login page
    assert (
        app.test_client().get("/api/v1/events/x/checkin/status", headers=headers).status_code == 401
    )
    assert (
        app.test_client()
        .post("/login", data={"email": door.email, "password": PASSWORD})
        .status_code
        == 401
    )
    assert "user.deactivate" in audit_actions()

    admin_client.post(f"/admin/staff/{door.id}/active", data={"active": "1"})
    assert reloaded(door).active is True
    assert "user.reactivate" in audit_actions()
    assert client_of(app, door).get("/checkin/").status_code == 200


def test_an_admin_cannot_deactivate_themselves(admin_client, admin, make_user):
    make_user(Role.ADMIN)  # not the last admin: the own account is the reason

    response = admin_client.post(f"/admin/staff/{admin.id}/active", data={"active": "0"})

    assert response.status_code == 409
    assert reloaded(admin).active is True
    assert admin_client.get("/admin/staff").status_code == 200


def test_the_last_active_admin_can_be_neither_deactivated_nor_demoted(
    admin_client, admin, make_user, english
):
    second = make_user(Role.ADMIN)
    assert (
        admin_client.post(f"/admin/staff/{second.id}/active", data={"active": "0"}).status_code
        == 302
    )
    # ``admin`` is the last active admin now. Through the pages another admin is always
    # the one acting; the rule matters when two admins take each other's rights at once,
    # so it is asked of the service directly, as the inactive ``second`` would.
    from eventapp.accounts import staff
    from eventapp.accounts.staff import LastAdmin

    with pytest.raises(LastAdmin):
        staff.change_role(reloaded(second), reloaded(admin), Role.CHECKIN)
    with pytest.raises(LastAdmin):
        staff.set_active(reloaded(second), reloaded(admin), False)
    db.session.rollback()
    assert reloaded(admin).role == Role.ADMIN and reloaded(admin).active


def test_an_admin_cannot_change_their_own_role(admin_client, admin, make_user):
    make_user(Role.ADMIN)
    response = admin_client.post(f"/admin/staff/{admin.id}/role", data={"role": "checkin"})
    assert response.status_code == 409
    assert reloaded(admin).role == Role.ADMIN


def test_an_unknown_role_is_refused(admin_client, make_user):
    door = make_user(Role.CHECKIN)
    response = admin_client.post(f"/admin/staff/{door.id}/role", data={"role": "owner"})
    assert response.status_code == 422
    assert reloaded(door).role == Role.CHECKIN


def test_an_unknown_account_is_404(admin_client):
    assert admin_client.get("/admin/staff/999999").status_code == 404
    assert admin_client.get("/admin/staff/99999999999999999999").status_code == 404


# --- scope ----------------------------------------------------------------------------


@pytest.fixture
def two_events(make_event):
    return make_event(slug="kongress", title="Kongress"), make_event(
        slug="exkursion", title="Exkursion"
    )


def test_an_admin_scopes_check_in_staff_to_chosen_events(admin_client, make_user, two_events):
    _congress, visit = two_events
    door = make_user(Role.CHECKIN)

    response = admin_client.post(f"/admin/staff/{door.id}/scope", data={"events": [str(visit.id)]})

    assert response.status_code == 302
    door = reloaded(door)
    assert door.all_events is False
    assert [event.id for event in door.events] == [visit.id]
    assert "user.scope" in audit_actions()

    admin_client.post(f"/admin/staff/{door.id}/scope", data={"all_events": "y"})
    door = reloaded(door)
    assert door.all_events is True and door.events == []


@pytest.mark.parametrize("events", [[], ["999999"], ["nichts"]])
def test_a_scope_without_valid_events_is_refused(admin_client, make_user, two_events, events):
    door = make_user(Role.CHECKIN)
    response = admin_client.post(f"/admin/staff/{door.id}/scope", data={"events": events})
    assert response.status_code == 422
    assert reloaded(door).all_events is True


@pytest.fixture
def scoped(make_user, two_events, make_registration):
    """A check-in account for the site visit only, and a registration at each event."""
    congress, visit = two_events
    door = make_user(Role.CHECKIN, all_events=False, events=[visit])
    return door, congress, visit, make_registration(congress), make_registration(visit)


def test_scoped_staff_see_only_their_events_on_the_check_in_pages(app, scoped):
    door, _congress, _visit, _, _ = scoped
    client = client_of(app, door)

    index = client.get("/checkin/").get_data(as_text=True)

    assert "/checkin/exkursion" in index and "/checkin/kongress" not in index
    assert client.get("/checkin/exkursion").status_code == 200
    assert client.get("/checkin/kongress").status_code == 403
    assert client.get("/checkin/kongress/log").status_code == 403


def test_scoped_staff_cannot_undo_or_admit_a_walk_in_at_another_event(app, scoped, make_user):
    door, _congress, _visit, guest, _ = scoped
    headers = api_headers(make_user(Role.ADMIN))
    app.test_client().post(
        "/api/v1/checkin/redeem",
        json={"code": guest.ticket_code, "event": "kongress"},
        headers=headers,
    )
    assert count(CheckIn) == 1
    client = client_of(app, door)

    response = client.post(
        "/checkin/kongress/undo", data={"registration_id": guest.id, "list": "entrance"}
    )

    assert response.status_code == 403
    assert count(CheckIn) == 1
    walk_in = client.post(
        "/checkin/kongress/walk-in",
        data={"first_name": "Tom", "last_name": "Wagner", "privacy_informed": "y"},
    )
    assert walk_in.status_code == 403
    assert count(CheckIn) == 1


def test_scoped_staff_get_403_json_from_the_check_in_api_for_other_events(app, scoped):
    door, _congress, _visit, guest, visitor = scoped
    client = app.test_client()
    headers = api_headers(door)

    for method, path, body in (
        ("POST", "/api/v1/checkin/redeem", {"code": guest.ticket_code, "event": "kongress"}),
        ("POST", "/api/v1/checkin/annul", {"code": guest.ticket_code, "event": "kongress"}),
        ("GET", "/api/v1/events/kongress/checkin/status", None),
        ("GET", "/api/v1/events/kongress/checkin/search?q=a", None),
        (
            "POST",
            "/api/v1/events/kongress/checkin/walk-in",
            {"first_name": "Tom", "last_name": "Wagner", "privacy_informed": True},
        ),
    ):
        response = client.open(path, method=method, json=body, headers=headers)
        assert response.status_code == 403, path
        assert response.get_json()["error"]["code"] == "forbidden", path
    assert count(CheckIn) == 0

    allowed = client.post(
        "/api/v1/checkin/redeem",
        json={"code": visitor.ticket_code, "event": "exkursion"},
        headers=headers,
    )
    assert allowed.status_code == 200 and allowed.get_json()["status"] == "ok"
    assert client.get("/api/v1/events/exkursion/checkin/status", headers=headers).status_code == 200


def test_admins_and_unscoped_staff_may_work_at_every_event(app, scoped, make_user):
    from eventapp.accounts.auth import may_work_at

    door, congress, visit, _, _ = scoped
    admin = make_user(Role.ADMIN, all_events=False)
    everywhere = make_user(Role.CHECKIN)
    assert may_work_at(admin, congress) and may_work_at(everywhere, congress)
    assert may_work_at(door, visit) and not may_work_at(door, congress)


# --- API tokens -----------------------------------------------------------------------


def test_a_token_is_shown_once_and_only_its_hash_is_stored(
    app, admin_client, make_user, two_events
):
    door = make_user(Role.CHECKIN)

    response = admin_client.post(f"/admin/staff/{door.id}/tokens", data={"name": "Handy Tür 1"})

    assert response.status_code == 200
    html = response.get_data(as_text=True)
    plaintext = html.split('id="new-token-value">', 1)[1].split("<", 1)[0]
    assert plaintext.startswith("ea_")
    token = db.session.execute(db.select(ApiToken)).scalar_one()
    assert token.token_hash == services.hash_token(plaintext) and token.name == "Handy Tür 1"
    assert plaintext not in admin_client.get(f"/admin/staff/{door.id}").get_data(as_text=True)
    assert token.prefix in admin_client.get(f"/admin/staff/{door.id}").get_data(as_text=True)
    status = app.test_client().get(
        "/api/v1/events/kongress/checkin/status", headers=bearer(plaintext)
    )
    assert status.status_code == 200
    assert "api_token.create" in audit_actions()
    # The plaintext is nowhere in the audit log either.
    assert plaintext not in str(db.session.execute(db.text("select * from audit_entry")).all())


def test_a_revoked_token_stops_working(app, admin_client, make_user, two_events):
    door = make_user(Role.CHECKIN)
    headers = api_headers(door, "Laptop")
    token = db.session.execute(db.select(ApiToken)).scalar_one()

    response = admin_client.post(f"/admin/staff/{door.id}/tokens/{token.id}/revoke")

    assert response.status_code == 302
    assert (
        app.test_client().get("/api/v1/events/kongress/checkin/status", headers=headers).status_code
        == 401
    )
    assert 'data-revoked="1"' in admin_client.get(f"/admin/staff/{door.id}").get_data(as_text=True)
    assert "api_token.revoke" in audit_actions()


def test_a_token_of_another_account_cannot_be_revoked_through_this_one(admin_client, make_user):
    door, other = make_user(Role.CHECKIN), make_user(Role.CHECKIN)
    api_headers(other)
    token = db.session.execute(db.select(ApiToken)).scalar_one()

    response = admin_client.post(f"/admin/staff/{door.id}/tokens/{token.id}/revoke")

    assert response.status_code == 404
    db.session.expire_all()
    assert db.session.get(ApiToken, token.id).revoked_at is None


def test_a_token_name_that_is_too_long_is_refused(admin_client, make_user):
    door = make_user(Role.CHECKIN)
    response = admin_client.post(f"/admin/staff/{door.id}/tokens", data={"name": "x" * 121})
    assert response.status_code == 422
    assert count(ApiToken) == 0


# --- one's own password -------------------------------------------------------------------


def test_everyone_changes_their_own_password_and_other_sessions_end(app, make_user):
    door = make_user(Role.CHECKIN)
    here, elsewhere = client_of(app, door), client_of(app, door)

    response = here.post(
        "/account/password",
        data={"current_password": PASSWORD, "new_password": STRONG, "new_password_repeat": STRONG},
    )

    assert response.status_code == 302
    assert here.get("/checkin/").status_code == 200  # this session continues
    assert elsewhere.get("/checkin/").status_code == 302  # the other one is over
    assert services.authenticate(door.email, STRONG) is not None
    assert services.authenticate(door.email, PASSWORD) is None
    assert "user.password_change" in audit_actions()


@pytest.mark.parametrize(
    ("data", "field"),
    [
        (
            {"current_password": "falsch", "new_password": STRONG, "new_password_repeat": STRONG},
            "current_password",
        ),
        (
            {
                "current_password": PASSWORD,
                "new_password": STRONG,
                "new_password_repeat": STRONG + "x",
            },
            "new_password_repeat",
        ),
        (
            {
                "current_password": PASSWORD,
                "new_password": "qwertzuiop12",
                "new_password_repeat": "qwertzuiop12",
            },
            "new_password",
        ),
    ],
)
def test_a_wrong_current_password_or_a_weak_new_one_changes_nothing(app, make_user, data, field):
    user = make_user(Role.CHECKIN)
    client = client_of(app, user)
    session_id = user.session_id

    response = client.post("/account/password", data=data)

    assert response.status_code == 422
    assert f'id="{field}-error"' in response.get_data(as_text=True)
    assert reloaded(user).session_id == session_id
    assert services.authenticate(user.email, PASSWORD) is not None


class TestCsrf:
    @pytest.fixture
    def config_overrides(self):
        return {"WTF_CSRF_ENABLED": True}

    def test_the_password_page_needs_a_login_and_the_csrf_token(self, app, make_user):
        user = make_user(Role.CHECKIN)
        client = app.test_client()
        assert client.get("/account/password").status_code == 302
        login_with_csrf(client, user)
        response = client.post(
            "/account/password",
            data={
                "current_password": PASSWORD,
                "new_password": STRONG,
                "new_password_repeat": STRONG,
            },
        )
        assert response.status_code == 400
        assert services.authenticate(user.email, PASSWORD) is not None

    def test_staff_pages_need_the_csrf_token(self, app, admin, make_user):
        door = make_user(Role.CHECKIN)
        client = app.test_client()
        login_with_csrf(client, admin)
        for path, data in (
            (f"/admin/staff/{door.id}/active", {"active": "0"}),
            (f"/admin/staff/{door.id}/role", {"role": "admin"}),
            (f"/admin/staff/{door.id}/scope", {"all_events": ""}),
            (f"/admin/staff/{door.id}/tokens", {"name": "x"}),
            ("/admin/staff/new", {"email": "n@example.org", "role": "admin", "password": STRONG}),
        ):
            assert client.post(path, data=data).status_code == 400, path
        door = reloaded(door)
        assert door.active and door.role == Role.CHECKIN and door.all_events
        assert count(ApiToken) == 0 and count(User) == 2


def test_check_in_staff_get_no_staff_page(app, make_user):
    client = client_of(app, make_user(Role.CHECKIN))
    assert client.get("/admin/staff").status_code == 403


def test_the_audit_log_names_staff_actions_in_words(admin_client, make_user, english):
    door = make_user(Role.CHECKIN)
    admin_client.post(f"/admin/staff/{door.id}/tokens", data={"name": "Handy"})
    admin_client.post(f"/admin/staff/{door.id}/active", data={"active": "0"})

    response = admin_client.get("/admin/audit", headers={"Accept-Language": "en"})

    text = re.sub(r"<[^>]*>", " ", response.get_data(as_text=True))  # what a reader sees
    assert "api_token.create" not in text and "user.deactivate" not in text
    assert "API token created" in text and "Staff account deactivated" in text
    assert reloaded(door).session_id not in response.get_data(as_text=True)
