"""Error pages in the site's style, and JSON errors under the API."""

from __future__ import annotations

import pytest


@pytest.fixture
def config_overrides():
    # Let the 500 handler answer instead of the test client re-raising the exception.
    return {"PROPAGATE_EXCEPTIONS": False}


@pytest.fixture
def failing_app(app):
    def explode():
        raise RuntimeError("boom")

    app.add_url_rule("/explode", "explode", explode)
    app.add_url_rule("/api/v1/explode", "api_explode", explode)
    return app


def test_unhandled_exception_gives_the_styled_500_page(failing_app):
    response = failing_app.test_client().get("/explode?lang=en")

    html = response.get_data(as_text=True)
    assert response.status_code == 500
    assert 'class="error-page"' in html
    assert "Something went wrong" in html
    assert "boom" not in html
    assert "site.css" in html


def test_unhandled_exception_under_the_api_is_json(failing_app):
    response = failing_app.test_client().get("/api/v1/explode")

    assert response.status_code == 500
    assert response.get_json()["error"]["code"] == "internal_error"


def test_not_found_page_is_styled_and_localised(client):
    response = client.get("/no/such/page")

    html = response.get_data(as_text=True)
    assert response.status_code == 404
    assert 'class="error-page"' in html
    assert '<html lang="de">' in html


def test_not_found_under_the_api_is_json(client):
    response = client.get("/api/v1/no-such-thing")

    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"


def test_method_not_allowed_page_keeps_the_allow_header(client):
    response = client.post("/healthz")

    assert response.status_code == 405
    assert "GET" in response.headers["Allow"]
    assert 'class="error-page"' in response.get_data(as_text=True)


def test_error_page_shows_a_views_own_explanation(app):
    from flask import abort

    def forbidden():
        abort(403, "Nur für das Orga-Team.")

    app.add_url_rule("/forbidden", "forbidden", forbidden)

    response = app.test_client().get("/forbidden")

    assert response.status_code == 403
    assert "Nur für das Orga-Team." in response.get_data(as_text=True)
