"""What a request may carry: its size, its JSON, and what the answers say about the server."""

from __future__ import annotations

import io
import json
import logging
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from support import MOVED_TO_JOBS, api_headers, count, free_port, stop, wait_until_serving

from eventapp.config import ConfigurationError, from_environment
from eventapp.extensions import db
from eventapp.models import CheckIn, Registration

ROOT = Path(__file__).resolve().parent.parent
LIMIT = 1024 * 1024  # the contract's default MAX_REQUEST_BYTES
MB = 1024 * 1024


def registration_body(**fields) -> dict:
    return {
        "first_name": "Anna",
        "last_name": "Beispiel",
        "email": "anna@example.org",
        "consent_privacy": True,
        **fields,
    }


# --- 1. request size ----------------------------------------------------------------------


def test_max_request_bytes_is_one_mebibyte_unless_set(tmp_path, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "k" * 40)
    monkeypatch.delenv("MAX_REQUEST_BYTES", raising=False)
    assert from_environment(str(tmp_path))["MAX_CONTENT_LENGTH"] == 1048576
    monkeypatch.setenv("MAX_REQUEST_BYTES", "2048")
    assert from_environment(str(tmp_path))["MAX_CONTENT_LENGTH"] == 2048
    for wrong in ("0", "-5", "1 MB"):
        monkeypatch.setenv("MAX_REQUEST_BYTES", wrong)
        with pytest.raises(ConfigurationError, match="MAX_REQUEST_BYTES"):
            from_environment(str(tmp_path))


def test_a_json_body_over_the_limit_gets_413_and_registers_nobody(client, make_event):
    event = make_event()
    padding = "x" * LIMIT
    body = json.dumps(registration_body(organisation=padding))

    response = client.post(
        f"/api/v1/events/{event.slug}/registrations", data=body, content_type="application/json"
    )

    assert response.status_code == 413
    assert response.get_json()["error"]["code"] == "request_entity_too_large"
    assert count(Registration) == 0


def _multipart(fields: dict[str, str], upload: bytes) -> tuple[bytes, str]:
    """A multipart body with text fields and one file part; (body, content type)."""
    boundary = "eventapp-boundary"
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
        for name, value in fields.items()
    ]
    head = "".join(parts).encode()
    file_part = (
        f"--{boundary}\r\n"
        'Content-Disposition: form-data; name="attachment"; filename="big.bin"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()
    body = head + file_part + upload + f"\r\n--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


def test_a_form_over_the_limit_gets_413_and_registers_nobody(client, make_event):
    """A file part is not held back by Flask's form memory limit; the request limit holds."""
    event = make_event()
    fields = {
        "first_name": "Anna",
        "last_name": "Beispiel",
        "email": "anna@example.org",
        "consent_privacy": "y",
    }
    body, content_type = _multipart(fields, b"x" * (2 * MB))

    response = client.post(
        f"/events/{event.slug}/register?lang=en", data=body, content_type=content_type
    )

    assert response.status_code == 413
    assert "too large" in response.get_data(as_text=True)
    assert count(Registration) == 0


def test_the_limit_follows_max_request_bytes(make_app, make_event, monkeypatch):
    monkeypatch.setenv("MAX_REQUEST_BYTES", "4096")
    small = make_app()
    url = f"/api/v1/events/{make_event().slug}/registrations"
    db.session.rollback()  # reading the slug began a write transaction on SQLite
    client = small.test_client()

    too_big = json.dumps(registration_body(organisation="x" * 5000))
    fits = json.dumps(registration_body(organisation="Stadt Bürstadt"))

    assert client.post(url, data=too_big, content_type="application/json").status_code == 413
    assert client.post(url, data=fits, content_type="application/json").status_code == 201


@pytest.mark.parametrize("kind", ["json", "form"])
def test_a_body_without_content_length_beyond_the_limit_gets_413(client, make_event, kind):
    """As gunicorn passes a chunked body: no length, a stream the server ends itself.

    Werkzeug reads such a body up to the limit and returns it cut off, without an error.
    """
    event = make_event()
    if kind == "json":
        path, content_type = f"/api/v1/events/{event.slug}/registrations", "application/json"
        body = json.dumps(registration_body(organisation="x" * LIMIT)).encode()
    else:
        path, content_type = f"/events/{event.slug}/register", "application/x-www-form-urlencoded"
        body = b"first_name=Anna&last_name=Beispiel&email=anna%40example.org&organisation="
        body += b"x" * LIMIT

    response = client.post(
        path,
        input_stream=io.BytesIO(body),
        content_type=content_type,
        headers={"Transfer-Encoding": "chunked"},
        environ_overrides={"wsgi.input_terminated": True},
    )

    assert response.status_code == 413
    assert count(Registration) == 0


def test_a_large_body_to_a_missing_route_gets_413(client):
    response = client.post("/no/such/page", data=b"x" * (LIMIT + 1))

    assert response.status_code == 413


@pytest.mark.parametrize(
    ("path", "status"),
    [("/no/such/page", 404), ("/api/v1/no-such-thing", 404), ("/healthz", 405)],
)
def test_a_body_to_a_route_that_does_not_take_it_is_never_parsed(client, caplog, path, status):
    """Before, the guard parsed every body, here into a RecursionError and a 500."""
    nested = '{"a":' * 900 + "1" + "}" * 900

    as_json = client.post(path, data=nested, content_type="application/json")
    as_form = client.post(path, data={"name\x00": "a\x00b"})

    assert (as_json.status_code, as_form.status_code) == (status, status)
    assert not [r for r in caplog.records if r.exc_info]


# --- 2. JSON no database can store ---------------------------------------------------------

DEEP_OBJECT = '{"a":' * 900 + "1" + "}" * 900
# Deeper than the parser's own recursion limit: json.loads raises RecursionError itself.
DEEP_LIST = "[" * 100_000 + "]" * 100_000
SURROGATE = "\ud800x"  # json.dumps writes it as the escape "\ud800x"


@pytest.fixture
def door(populated):
    """The populated congress and bearer headers of its check-in account."""
    return populated, api_headers(populated.checkin, "door")


def _post(client, path: str, body: str, headers=None):
    return client.post(path, data=body, content_type="application/json", headers=headers or {})


def _assert_refused_in_one_line(response, caplog) -> None:
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["code"] == "bad_request" and error["message"]
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1, [r.getMessage() for r in warnings]
    assert "refused the JSON body" in warnings[0].getMessage()
    assert warnings[0].exc_info is None
    assert "Traceback" not in caplog.text


def _scan(populated, **fields) -> dict:
    return {
        "code": populated.confirmed.ticket_code,
        "event": populated.event.slug,
        "list": "entrance",
        **fields,
    }


@pytest.mark.parametrize("nested", [DEEP_OBJECT, DEEP_LIST], ids=["object-900", "list-100000"])
@pytest.mark.parametrize("endpoint", ["registrations", "redeem", "annul"])
def test_deeply_nested_json_is_400_with_one_log_line(client, door, caplog, nested, endpoint):
    populated, headers = door
    path = {
        "registrations": f"/api/v1/events/{populated.event.slug}/registrations",
        "redeem": "/api/v1/checkin/redeem",
        "annul": "/api/v1/checkin/annul",
    }[endpoint]
    before = count(Registration), count(CheckIn)

    response = _post(client, path, nested, headers)

    _assert_refused_in_one_line(response, caplog)
    assert (count(Registration), count(CheckIn)) == before


@pytest.mark.parametrize("field", ["first_name", "last_name", "email", "organisation"])
def test_a_lone_surrogate_in_a_registration_is_400_and_stores_nothing(
    client, populated, caplog, field
):
    body = json.dumps(registration_body(**{field: SURROGATE}))
    assert "\\ud800" in body

    response = _post(client, f"/api/v1/events/{populated.event.slug}/registrations", body)

    _assert_refused_in_one_line(response, caplog)
    assert count(Registration) == 3  # the populated ones


@pytest.mark.parametrize(
    ("endpoint", "field"),
    [
        ("redeem", "code"),
        ("redeem", "nonce"),
        ("redeem", "device"),
        ("redeem", "event"),
        ("annul", "code"),
    ],
)
def test_a_lone_surrogate_in_a_scan_is_400_and_checks_nobody_in(
    client, door, caplog, endpoint, field
):
    populated, headers = door
    body = json.dumps(_scan(populated, **{field: SURROGATE}))

    response = _post(client, f"/api/v1/checkin/{endpoint}", body, headers)

    _assert_refused_in_one_line(response, caplog)
    assert count(CheckIn) == 0


def test_a_lone_surrogate_in_a_key_or_a_list_is_refused_too(client, door, caplog):
    populated, headers = door
    body = json.dumps({**_scan(populated), SURROGATE: 1, "extra": [[SURROGATE]]})

    response = _post(client, "/api/v1/checkin/redeem", body, headers)

    _assert_refused_in_one_line(response, caplog)


def test_ordinary_json_with_umlauts_and_emoji_still_registers(client, populated):
    body = json.dumps(registration_body(first_name="Jörg 🙂", organisation="Straße 𝄞"))

    response = _post(client, f"/api/v1/events/{populated.event.slug}/registrations", body)

    assert response.status_code == 201
    assert response.get_json()["first_name"] == "Jörg 🙂"


# --- 11. no-store on every page and answer for staff ------------------------------------------


def _get_rules(app, prefix: str):
    return [
        rule
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith(prefix) and "GET" in (rule.methods or ())
    ]


def test_every_back_office_and_check_in_page_is_no_store(app, admin_client, route_path):
    rules = _get_rules(app, "/admin") + _get_rules(app, "/checkin")
    assert len(rules) > 20

    for rule in rules:
        response = admin_client.get(route_path(rule))
        expected = 302 if rule.endpoint in MOVED_TO_JOBS else 200
        assert response.status_code == expected, (rule.rule, response.status_code)
        assert response.headers.get("Cache-Control") == "no-store", rule.rule


def test_every_staff_api_answer_is_no_store(app, client, populated, route_path):
    """Staff endpoints are the ones that refuse an anonymous caller with 401."""
    headers = api_headers(populated.admin, "office")
    staff_rules = [
        rule for rule in _get_rules(app, "/api/") if client.get(route_path(rule)).status_code == 401
    ]
    assert {r.endpoint for r in staff_rules} >= {
        "api.checkin_status",
        "api.checkin_search",
        "api.list_registrations",
    }

    for rule in staff_rules:
        response = client.get(route_path(rule), headers=headers)
        assert response.status_code not in (401, 403, 500), (rule.rule, response.status_code)
        assert response.headers.get("Cache-Control") == "no-store", rule.rule
    redeem = client.post("/api/v1/checkin/redeem", json=_scan(populated), headers=headers)
    assert redeem.status_code == 200 and redeem.get_json()["status"] == "ok"
    assert redeem.headers.get("Cache-Control") == "no-store"


def test_public_pages_keep_their_own_caching(client, populated):
    for path in ("/", f"/events/{populated.event.slug}", "/api/v1/events"):
        assert "no-store" not in client.get(path).headers.get("Cache-Control", ""), path


# --- 13. an unreachable database answers 503 -----------------------------------------------

UNREACHABLE = {
    # A closed port: connection refused at once.
    "postgresql": "postgresql+psycopg://postgres@127.0.0.1:{port}/eventapp",
    # A file in a folder that does not exist cannot be opened.
    "sqlite": "sqlite:///{tmp}/no/such/folder/eventapp.db",
}


@pytest.fixture(params=sorted(UNREACHABLE))
def unreachable_app(request, make_app, tmp_path):
    url = UNREACHABLE[request.param].format(port=free_port(), tmp=tmp_path)
    return make_app(SQLALCHEMY_DATABASE_URI=url)


def test_pages_answer_503_when_the_database_is_unreachable(unreachable_app, caplog):
    client = unreachable_app.test_client()

    page = client.get("/?lang=en")
    api = client.get("/api/v1/events")
    health = client.get("/healthz")

    assert (page.status_code, api.status_code, health.status_code) == (503, 503, 503)
    assert 'class="error-page"' in page.get_data(as_text=True)
    assert "temporarily unavailable" in page.get_data(as_text=True)
    assert page.headers["Retry-After"] == api.headers["Retry-After"] == "30"
    assert api.get_json()["error"]["code"] == "service_unavailable"
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 2 and all(r.exc_info is None for r in errors)
    assert all("database unavailable" in r.getMessage() for r in errors)


def test_a_logged_in_page_answers_503_too(unreachable_app, admin):
    """The session names a user whom the database cannot load."""
    client = unreachable_app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = str(admin.id)

    response = client.get("/admin/")

    assert response.status_code == 503
    assert 'class="error-page"' in response.get_data(as_text=True)


# --- against gunicorn, started the README's way ---------------------------------------------


@pytest.fixture
def gunicorn(app, database_url, instance_path) -> Iterator[tuple[str, subprocess.Popen]]:
    """gunicorn with the package's settings, as the README starts it; (url, master)."""
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "SECRET_KEY": "test-secret-key",
        "EVENTAPP_INSTANCE_PATH": instance_path,
        "RATELIMIT_ENABLED": "0",
        "MAIL_SEND_INLINE": "0",
    }
    env.pop("MAX_REQUEST_BYTES", None)
    # The README: gunicorn -c python:eventapp.gunicorn_conf --workers 4 --bind 0.0.0.0:8000
    # wsgi:app (one worker to measure).
    command = [
        "gunicorn",
        "-c",
        "python:eventapp.gunicorn_conf",
        "--workers",
        "1",
        "--bind",
        f"127.0.0.1:{port}",
        "wsgi:app",
    ]
    process = subprocess.Popen(
        [sys.executable, "-m", *command],
        cwd=ROOT,
        env=env,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    wait_until_serving(url, process)
    yield url, process
    stop(process)


def _worker_rss(master: subprocess.Popen) -> int:
    """Resident memory of the (one) worker in bytes, from /proc."""
    children = Path(f"/proc/{master.pid}/task/{master.pid}/children").read_text().split()
    assert len(children) == 1
    status = Path(f"/proc/{children[0]}/status").read_text()
    kilobytes = next(line.split()[1] for line in status.splitlines() if line.startswith("VmRSS"))
    return int(kilobytes) * 1024


def _raw_request(url: str, head: str, body_parts: list[bytes], timeout: float = 10) -> bytes:
    """Send the head and the given parts (not necessarily the whole body), then read."""
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=timeout) as sock:
        sock.sendall(head.encode())
        for part in body_parts:
            sock.sendall(part)
        answer = b""
        while b"\r\n\r\n" not in answer:
            chunk = sock.recv(65536)
            if not chunk:
                break
            answer += chunk
        return answer


@pytest.mark.slow
def test_a_100_mb_post_gets_413_at_once_without_the_worker_growing(gunicorn, make_event):
    url, master = gunicorn
    path = f"/api/v1/events/{make_event().slug}/registrations"
    db.session.rollback()  # reading the slug began a write transaction on SQLite
    before = _worker_rss(master)
    head = (
        f"POST {path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
        f"Content-Length: {100 * MB}\r\n\r\n"
    )

    started = time.monotonic()
    # Only the first 64 KiB: a server that reads the body before answering never answers.
    answer = _raw_request(url, head, [b'{"first_name": "' + b"x" * 65536])
    elapsed = time.monotonic() - started

    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert elapsed < 5
    assert _worker_rss(master) - before < 10 * MB


@pytest.mark.slow
def test_a_chunked_body_beyond_the_limit_gets_413(gunicorn, make_event):
    """Without Content-Length the limit holds while reading; the rest is never awaited."""
    url, _master = gunicorn
    slug = make_event().slug
    db.session.rollback()  # reading the slug began a write transaction on SQLite
    head = (
        f"POST /api/v1/events/{slug}/registrations HTTP/1.1\r\nHost: localhost\r\n"
        "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
    )
    piece = 64 * 1024
    chunks = [b"%x\r\n" % piece + b"x" * piece + b"\r\n" for _ in range(LIMIT // piece + 1)]

    # No closing chunk: a server without the limit would wait for it.
    answer = _raw_request(url, head, chunks)

    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert count(Registration) == 0


@pytest.mark.slow
def test_gunicorn_started_the_readme_way_sends_no_server_header(gunicorn):
    url, _master = gunicorn
    with urllib.request.urlopen(url + "/healthz") as response:
        assert response.status == 200
        assert "Server" not in response.headers
    with pytest.raises(urllib.error.HTTPError) as missing:
        urllib.request.urlopen(url + "/no/such/page")
    missing.value.close()
    assert missing.value.code == 404
    assert "Server" not in missing.value.headers
