"""Security headers: no sniffing, no framing, a content security policy the pages live within."""

from __future__ import annotations

import re

import pytest
from support import login


def directives(response) -> dict[str, list[str]]:
    policy = response.headers["Content-Security-Policy"]
    parsed = {}
    for part in policy.split(";"):
        name, *values = part.split()
        parsed[name] = values
    return parsed


def html_pages(app, client, route_path) -> list[tuple[str, str]]:
    """(path, body) of every HTML page reachable with GET, as the logged-in client sees it."""
    pages = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if "GET" not in rule.methods or rule.endpoint == "static":
            continue
        response = client.get(route_path(rule))
        if response.mimetype == "text/html" and response.status_code == 200:
            pages.append((route_path(rule), response.get_data(as_text=True)))
    return pages


def test_every_response_carries_the_basic_headers(client, populated):
    slug = populated.event.slug
    for path in ("/", f"/events/{slug}", "/api/v1/events", "/calendar.ics", "/nowhere", "/login"):
        response = client.get(path)
        assert response.headers["X-Content-Type-Options"] == "nosniff", path
        assert response.headers["X-Frame-Options"] == "DENY", path
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"], path
        assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin", path
        assert "camera=(self)" in response.headers["Permissions-Policy"], path


def test_token_pages_keep_their_stricter_referrer_policy(client, populated):
    registration = populated.confirmed
    for path in (
        f"/registrations/{registration.manage_token}",
        f"/tickets/{registration.ticket_code}",
    ):
        assert client.get(path).headers["Referrer-Policy"] == "no-referrer"


def test_the_policy_allows_only_this_site(client):
    policy = directives(client.get("/"))
    assert policy["default-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'self'"]
    assert policy["form-action"] == ["'self'"]
    assert set(policy["img-src"]) == {"'self'", "data:"}
    # Scripts: files from this site only; no inline code, no inline event handlers.
    assert policy["script-src"] == ["'self'"]


def test_the_pdf_ticket_has_no_policy_that_could_block_the_viewer(client, populated):
    response = client.get(f"/tickets/{populated.confirmed.ticket_code}.pdf")
    assert response.mimetype == "application/pdf"
    assert "Content-Security-Policy" not in response.headers
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_https_sites_ask_for_https_only(make_app):
    secure = make_app(PUBLIC_BASE_URL="https://events.example.org")
    assert "max-age=" in secure.test_client().get("/").headers["Strict-Transport-Security"]


def test_plain_http_sites_send_no_hsts(client):
    assert "Strict-Transport-Security" not in client.get("/").headers


@pytest.mark.parametrize("who", ["anonymous", "admin"])
def test_pages_use_no_script_the_policy_would_block(app, populated, route_path, who):
    """Inline scripts and handlers are blocked: pages hold only data blocks and script files."""
    client = app.test_client()
    if who == "admin":
        login(client, populated.admin)
    pages = html_pages(app, client, route_path)
    assert len(pages) > 5
    for path, body in pages:
        for attributes, content in re.findall(r"<script\b([^>]*)>(.*?)</script>", body, re.S):
            if "src=" in attributes:
                assert re.search(r'src="/static/', attributes), (path, attributes)
            else:
                assert 'type="application/json"' in attributes, (path, attributes, content[:80])
        # The policy blocks inline event handlers; none may be in the pages.
        assert not re.findall(r'\son[a-z]+="([^"]*)"', body), path
        assert "javascript:" not in body, path
        # Nothing is loaded from another site.
        for url in re.findall(r'<(?:script|link|img|iframe)\b[^>]*(?:src|href)="([^"]+)"', body):
            assert not url.startswith(("http:", "https:", "//")), (path, url)


def test_the_scanner_page_may_use_the_camera(app, populated):
    client = app.test_client()
    login(client, populated.checkin)
    response = client.get(f"/checkin/{populated.event.slug}")
    assert response.status_code == 200
    assert "camera=(self)" in response.headers["Permissions-Policy"]
