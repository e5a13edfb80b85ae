"""No personal data without authorization: each route is public, token-bound or staff-only."""

from __future__ import annotations

import secrets

import pytest
from support import MOVED_TO_JOBS, api_headers, login

from eventapp.extensions import db

PUBLIC = {
    "static",
    "public.index",
    "public.event",
    "public.session",
    "public.speakers",
    "public.speaker",
    "public.healthz",
    "public.favicon",
    "feeds.all_events",
    "feeds.programme",
    "feeds.session",
    "feeds.calendar_help",
    "registration.register",
    "registration.privacy",
    "legal.imprint",
    "legal.accessibility",
    "legal.easy_language",
    "legal.sign_language",
    "accounts.login",
    "accounts.logout",
    "accounts.password_reset_request",
    "accounts.password_reset_confirm",
    "i18n.switch_language",
    "api.list_events",
    "api.event_detail",
    "api.openapi_document",
    "api.create_registration",
    # Answers the same for every address; the link goes only to the registered one.
    "selfservice.resend",
    "registration.register_group",
    "api.create_group_registration",
    # Confirms name, event and date of a certificate, by its unguessable verification code.
    "certificates.verify",
    # The scanner's service worker and manifest: the same file for everyone, no data.
    "checkin.service_worker",
    "checkin.manifest",
}
# Which of the registration's secrets opens each token route.
TOKEN_ROUTES = {
    "registration.manage": "manage_token",
    "registration.confirmation": "manage_token",
    "registration.personal_data": "manage_token",
    "registration.cancel": "manage_token",
    "registration.change_workshops": "manage_token",
    "selfservice.details_page": "manage_token",
    "selfservice.request_email_change": "manage_token",
    "questions.change_answers": "manage_token",
    # A group's registrant's token, for one of their members (``member_id``).
    "registration.cancel_member": "manage_token",
    "registration.member_workshops": "manage_token",
    "tickets.ticket": "ticket_code",
    "tickets.ticket_png": "ticket_code",
    "tickets.ticket_svg": "ticket_code",
    "tickets.ticket_pdf": "ticket_code",
    "feeds.personal": "calendar_token",
}
SECRETS = ("manage_token", "ticket_code", "calendar_token")
# Opened by a token signed for them alone (tests/test_mail_optout.py proves the refusals).
# The address-change link is opened by its own random token, stored hashed
# (tests/test_selfservice.py proves the refusals).
SIGNED_TOKEN_ROUTES = {"optout.stop", "selfservice.confirm_email"}
# Opened by the manage token only once the event is over and the person was checked in
# (tests/test_certificates.py proves the refusals, also of the other secrets).
CONDITIONAL_TOKEN_ROUTES = {"certificates.download"}
ADMIN_ONLY_API = {"api.list_registrations"}
# Opened by a secret from the operator's settings (tests/test_metrics.py proves the refusals).
SETTINGS_TOKEN_ROUTES = {"metrics.prometheus"}


def staff_only(endpoint: str) -> bool:
    if endpoint in PUBLIC:
        return False
    return endpoint.split(".")[0] in {"admin", "checkin"} or endpoint in {
        "api.checkin_redeem",
        "api.checkin_annul",
        "api.checkin_status",
        "api.checkin_board",
        "api.checkin_search",
        "api.checkin_data",
        "api.checkin_walk_in",
        "accounts.change_password",
        *ADMIN_ONLY_API,
    }


def rules(app, method: str) -> list:
    return sorted(
        (rule for rule in app.url_map.iter_rules() if method in rule.methods),
        key=lambda rule: rule.rule,
    )


def row_counts() -> dict[str, int]:
    db.session.expire_all()
    return {
        table.name: db.session.execute(db.select(db.func.count()).select_from(table)).scalar_one()
        for table in db.metadata.sorted_tables
    }


def personal_data_in(response, populated) -> list[str]:
    """Which of the participants' emails or names the response shows."""
    body = response.get_data(as_text=True)
    people = (populated.confirmed, populated.waitlisted, populated.cancelled)
    return [v for p in people for v in (p.email, p.last_name) if v in body]


def refused_anonymously(response) -> bool:
    if response.status_code == 302:
        return "/login" in response.headers["Location"]
    return response.status_code in (401, 403, 404)


def test_every_route_is_classified(app):
    for rule in app.url_map.iter_rules():
        endpoint = rule.endpoint
        assert (
            endpoint in PUBLIC
            or endpoint in TOKEN_ROUTES
            or endpoint in SIGNED_TOKEN_ROUTES
            or endpoint in CONDITIONAL_TOKEN_ROUTES
            or endpoint in SETTINGS_TOKEN_ROUTES
            or staff_only(endpoint)
        ), f"{rule.rule} ({endpoint}) must be listed as public, token-bound or staff-only"


def test_public_pages_show_no_personal_data(client, populated, route_path, app):
    for rule in rules(app, "GET"):
        if rule.endpoint in PUBLIC:
            response = client.get(route_path(rule))
            assert response.status_code < 500, rule.rule
            assert personal_data_in(response, populated) == [], rule.rule
            response.close()


def test_anonymous_visitors_get_no_staff_route(client, populated, route_path, app):
    for method in ("GET", "POST"):
        for rule in rules(app, method):
            if not staff_only(rule.endpoint):
                continue
            before = row_counts()
            response = client.open(route_path(rule), method=method)
            assert refused_anonymously(response), (method, rule.rule, response.status_code)
            assert personal_data_in(response, populated) == [], rule.rule
            assert row_counts() == before, rule.rule


def test_checkin_staff_get_no_admin_route(app, populated, route_path):
    client = app.test_client()
    login(client, populated.checkin)
    for method in ("GET", "POST"):
        for rule in rules(app, method):
            if rule.endpoint.startswith("admin.") or rule.endpoint in ADMIN_ONLY_API:
                before = row_counts()
                response = client.open(route_path(rule), method=method)
                assert response.status_code == 403, (method, rule.rule, response.status_code)
                assert personal_data_in(response, populated) == [], rule.rule
                assert row_counts() == before, rule.rule


def test_admins_reach_every_staff_page(admin_client, populated, route_path, app):
    """The counterpart: the refusals above are about the visitor, not broken pages."""
    for rule in rules(app, "GET"):
        if staff_only(rule.endpoint):
            response = admin_client.get(route_path(rule))
            expected = 302 if rule.endpoint in MOVED_TO_JOBS else 200
            assert response.status_code == expected, (rule.rule, response.status_code)


@pytest.mark.parametrize("endpoint", sorted(TOKEN_ROUTES))
def test_token_routes_open_with_their_own_secret_only(app, populated, route_path, endpoint):
    client = app.test_client()
    rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint)
    argument = "token" if "token" in rule.arguments else next(iter(rule.arguments))
    method = "GET" if "GET" in rule.methods else "POST"
    own = TOKEN_ROUTES[endpoint]
    registration = populated.confirmed

    right = client.open(route_path(rule, **{argument: getattr(registration, own)}), method=method)
    assert right.status_code in (200, 303), right.status_code

    wrong_values = [getattr(registration, other) for other in SECRETS if other != own]
    wrong_values += [
        secrets.token_urlsafe(24),
        getattr(registration, own)[:-1],
        getattr(registration, own).upper(),
        str(registration.id),
    ]
    for value in wrong_values:
        before = row_counts()
        response = client.open(route_path(rule, **{argument: value}), method=method)
        assert response.status_code == 404, (value, response.status_code)
        assert personal_data_in(response, populated) == [], value
        body = response.get_data(as_text=True)
        # The visitor's own path may be echoed (language switch); no real secret may be.
        assert [s for s in SECRETS if getattr(registration, s) in body.replace(value, "")] == []
        assert row_counts() == before


@pytest.mark.parametrize(
    "endpoint",
    [
        "registration.manage",
        "registration.confirmation",
        "registration.personal_data",
        "registration.cancel",
        "selfservice.details_page",
        "registration.cancel_member",
        "registration.member_workshops",
        "tickets.ticket",
        "tickets.ticket_png",
        "tickets.ticket_svg",
        "tickets.ticket_pdf",
        "feeds.personal",
    ],
)
def test_token_pages_are_private_and_keep_the_token_out_of_referers(
    app, client, populated, route_path, endpoint
):
    rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint)
    response = client.get(route_path(rule))
    assert response.status_code == 200
    cache = response.headers.get("Cache-Control", "")
    assert "no-store" in cache or "private" in cache, cache
    assert "public" not in cache
    if response.mimetype != "text/calendar":
        assert response.headers["Referrer-Policy"] == "no-referrer"
    assert "noindex" in response.headers.get("X-Robots-Tag", "")


def test_a_cancelled_registrations_ticket_images_are_gone(client, populated):
    code = populated.cancelled.ticket_code
    for suffix in (".png", ".svg", ".pdf"):
        assert client.get(f"/tickets/{code}{suffix}").status_code == 410


def test_a_waitlisted_registration_has_no_ticket_image(client, populated):
    code = populated.waitlisted.ticket_code
    for suffix in (".png", ".svg", ".pdf"):
        assert client.get(f"/tickets/{code}{suffix}").status_code == 404


class TestBearerApi:
    def staff_reads(self, populated) -> list[str]:
        slug = populated.event.slug
        return [
            f"/api/v1/events/{slug}/checkin/status",
            f"/api/v1/events/{slug}/checkin/search?q={populated.confirmed.last_name}",
            f"/api/v1/events/{slug}/registrations",
        ]

    @pytest.mark.parametrize(
        "header",
        [
            None,
            "Bearer ",
            "Bearer wrong",
            "Basic dXNlcjpwYXNz",
            "Bearer " + "x" * 5000,
            "Bearer ea_" + "\u00fc" * 10,
        ],
    )
    def test_without_a_valid_token_nothing_is_shown(self, client, populated, header):
        headers = {"Authorization": header} if header else {}
        for path in self.staff_reads(populated):
            response = client.get(path, headers=headers)
            assert response.status_code == 401, (path, header)
            assert response.get_json()["error"]["code"]
            assert personal_data_in(response, populated) == []

    def test_a_revoked_token_is_refused(self, client, populated):
        from eventapp.accounts import services

        headers = api_headers(populated.admin)
        for token in services.list_tokens(populated.admin):
            services.revoke_token(token)
        db.session.commit()
        assert client.get(self.staff_reads(populated)[0], headers=headers).status_code == 401

    def test_a_ticket_code_or_manage_token_is_not_an_api_token(self, client, populated):
        for value in (populated.confirmed.ticket_code, populated.confirmed.manage_token):
            headers = {"Authorization": f"Bearer {value}"}
            for path in self.staff_reads(populated):
                assert client.get(path, headers=headers).status_code == 401

    def test_checkin_staff_may_not_list_registrations(self, client, populated):
        headers = api_headers(populated.checkin)
        slug = populated.event.slug
        response = client.get(f"/api/v1/events/{slug}/registrations", headers=headers)
        assert response.status_code == 403
        assert personal_data_in(response, populated) == []
        ok = client.get(f"/api/v1/events/{slug}/checkin/status", headers=headers)
        assert ok.status_code == 200
