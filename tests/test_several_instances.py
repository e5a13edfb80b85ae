"""Several instances behind nginx act as one service (README, "Running on several machines").

Debian's nginx runs the shipped site (deploy/nginx/eventapp.conf, TLS included) in front of
two gunicorn instances, started with the shipped production settings
(deploy/eventapp.env.example) on one PostgreSQL database and one Redis: a cache database
and a rate-limit database. Clients reach nginx from different loopback addresses
(127.0.0.0/8 is all the machine's own), so nginx sees different client addresses.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import ssl
import subprocess
import sys
import time
import urllib.parse
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest
import redis
from clock import CONGRESS_DAY
from deployment import (
    ROOT,
    nginx_command,
    production_settings,
    render_site,
    self_signed_certificate,
    write_nginx_conf,
)
from flask import Flask
from loopback import Answer, fetch, form_fields, post_form
from support import PASSWORD, SmtpSink, all_at_once, csrf_token_in, free_port, stop
from werkzeug.security import generate_password_hash

from eventapp import create_app
from eventapp.config import database_url as normalize
from eventapp.extensions import db
from eventapp.models import (
    Event,
    EventKind,
    EventStatus,
    OutboxMessage,
    OutboxStatus,
    Registration,
    RegistrationStatus,
    Role,
    Session,
    SessionKind,
    User,
)

pytestmark = pytest.mark.slow

REDIS = "redis://127.0.0.1:6379"
CACHE_DB, RATELIMIT_DB = 10, 11
RATE_LIMIT = 5
CLIENTS, SEATS = 60, 25
ADMIN = "office@example.org"
OLD_TITLE, NEW_TITLE = "Werkstatt Quartiersarbeit", "Werkstatt Nachbarschaftshilfe"


# --- the service: PostgreSQL, Redis, two gunicorn instances, nginx ----------------------------


@dataclass
class Service:
    app: Flask  # on the same database, for setting up and reading rows
    nginx: str  # https://127.0.0.1:<port>
    nginx_http: str
    instances: list[str]  # http://127.0.0.1:<port> of each gunicorn, direct
    access_logs: list[Path]
    settings: dict[str, str]
    tls: ssl.SSLContext
    race_slug: str
    open_slug: str
    session_id: int

    def requests_served(self) -> list[int]:
        """Requests each instance has logged, once the logs stand still.

        gunicorn writes the line just after the answer, so a client may be a moment ahead.
        """
        counts = None
        while True:
            now = [len(log.read_text().splitlines()) for log in self.access_logs]
            if now == counts:
                return now
            counts = now
            time.sleep(0.2)

    def served_since(self, before: list[int], total: int) -> list[int]:
        """Requests each instance logged since ``before``, once ``total`` are logged (or 10 s)."""
        deadline = time.monotonic() + 10
        while True:
            served = [a - b for a, b in zip(self.requests_served(), before, strict=True)]
            if sum(served) >= total or time.monotonic() > deadline:
                return served
            time.sleep(0.05)


def _postgres_server_url() -> str:
    """The maintenance database of the test server (TEST_DATABASE_URL's, else the local one)."""
    url = os.environ.get("TEST_DATABASE_URL") or "postgresql://postgres@127.0.0.1:5432/postgres"
    return urllib.parse.urlsplit(url)._replace(path="/postgres").geturl()


@pytest.fixture(scope="module")
def database() -> Iterator[str]:
    server = _postgres_server_url()
    name = f"eventapp_instances_{os.getpid()}"
    with psycopg.connect(server, autocommit=True) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        connection.execute(f"CREATE DATABASE {name}")
    try:
        yield urllib.parse.urlsplit(server)._replace(path=f"/{name}").geturl()
    finally:
        with psycopg.connect(server, autocommit=True) as connection:
            connection.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def _seed(app) -> tuple[str, str, int]:
    """An organizer, an event of 25 seats for the race, and an open event with a workshop."""
    with app.app_context():
        db.session.add(
            User(
                email=ADMIN,
                password_hash=generate_password_hash(PASSWORD, "pbkdf2:sha256:1000"),
                role=Role.ADMIN,
            )
        )
        common = {
            "kind": EventKind.CONGRESS,
            "starts_at": CONGRESS_DAY,
            "ends_at": CONGRESS_DAY + timedelta(hours=8),
            "venue": "Bürgerhaus Bürstadt",
            "address": "Nibelungenstraße 1, 68642 Bürstadt",
            "municipality": "Bürstadt",
            "status": EventStatus.PUBLISHED,
            "waitlist_enabled": True,
            "registration_opens_at": datetime(2020, 1, 1, tzinfo=UTC),
            "registration_closes_at": CONGRESS_DAY,
        }
        race = Event(slug="wettlauf", title="Fachkongress Wettlauf", capacity=SEATS, **common)
        other = Event(slug="offen", title="Fachkongress Offen", capacity=500, **common)
        workshop = Session(
            event=other,
            title=OLD_TITLE,
            kind=SessionKind.WORKSHOP,
            starts_at=CONGRESS_DAY + timedelta(hours=2),
            ends_at=CONGRESS_DAY + timedelta(hours=3),
            capacity=30,
        )
        db.session.add_all([race, other, workshop])
        db.session.commit()
        return race.slug, other.slug, workshop.id


def _gunicorn(port: int, settings: dict[str, str], log: Path) -> subprocess.Popen:
    command = [
        sys.executable, "-m", "gunicorn", "-c", "python:eventapp.gunicorn_conf",
        "--workers", "2", "--threads", "4", "--bind", f"127.0.0.1:{port}",
        "--access-logfile", str(log), "--log-level", "warning", "wsgi:app",
    ]  # fmt: skip
    return subprocess.Popen(command, cwd=ROOT, env=settings)


def _wait_for(url: str, processes: list[subprocess.Popen], tls=None, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            if fetch(url + "/healthz", tls=tls).status == 200:
                return
        except OSError:
            pass
        if any(p.poll() is not None for p in processes) or time.monotonic() > deadline:
            raise RuntimeError(f"{url} did not start")
        time.sleep(0.2)


@pytest.fixture(scope="module")
def service(database, tmp_path_factory) -> Iterator[Service]:
    folder = tmp_path_factory.mktemp("instances")
    for number in (CACHE_DB, RATELIMIT_DB):
        redis.Redis.from_url(f"{REDIS}/{number}").flushdb()
    https_port, http_port = free_port(), free_port()
    settings = {
        **os.environ,
        # As shipped (EVENTAPP_ENV=production, TRUSTED_PROXY_COUNT=1, MAIL_SEND_INLINE=0, …),
        **production_settings(),
        # but this machine's database, Redis, key, address and (for the workers) mail server.
        "DATABASE_URL": database,
        "CACHE_URL": f"{REDIS}/{CACHE_DB}",
        "RATELIMIT_STORAGE_URI": f"{REDIS}/{RATELIMIT_DB}",
        "SECRET_KEY": secrets.token_urlsafe(48),
        "PUBLIC_BASE_URL": f"https://127.0.0.1:{https_port}",
        "REGISTRATION_RATE_LIMIT": f"{RATE_LIMIT} per minute",
        "MAIL_USE_TLS": "0",
        "EVENTAPP_INSTANCE_PATH": str(folder / "cli"),
    }
    for name in ("GUNICORN_CMD_ARGS", "MAIL_USERNAME", "MAIL_PASSWORD", "TEST_DATABASE_URL"):
        settings.pop(name, None)
    assert settings["TRUSTED_PROXY_COUNT"] == "1"

    migrate = [sys.executable, "-m", "flask", "--app", "wsgi", "db", "upgrade"]
    subprocess.run(migrate, cwd=ROOT, env=settings, check=True, capture_output=True)
    with pytest.MonkeyPatch.context() as patch:
        # Its instance folder and key are this test's, never the checkout's.
        patch.setenv("EVENTAPP_INSTANCE_PATH", str(folder / "setup"))
        patch.setenv("SECRET_KEY", settings["SECRET_KEY"])
        setup_app = create_app(
            {
                "SQLALCHEMY_DATABASE_URI": normalize(database, ""),
                "MAIL_SEND_INLINE": False,
                "RATELIMIT_ENABLED": False,
            }
        )
    race_slug, open_slug, session_id = _seed(setup_app)

    processes: list[subprocess.Popen] = []
    try:
        ports = [free_port(), free_port()]
        logs = [folder / f"instance-{n}.log" for n in (1, 2)]
        for n, (port, log) in enumerate(zip(ports, logs, strict=True)):
            own = {**settings, "EVENTAPP_INSTANCE_PATH": str(folder / f"instance-{n}")}
            processes.append(_gunicorn(port, own, log))
        instances = [f"http://127.0.0.1:{port}" for port in ports]
        for url in instances:
            _wait_for(url, processes)

        certificate, key = self_signed_certificate(folder)
        site = render_site(
            http_port=http_port,
            https_port=https_port,
            app_ports=ports,
            certificate=certificate,
            key=key,
        )
        prefix = folder / "nginx"
        conf = write_nginx_conf(prefix, site)
        processes.append(subprocess.Popen(nginx_command(prefix, conf)))
        tls = ssl.create_default_context(cafile=str(certificate))
        nginx = f"https://127.0.0.1:{https_port}"
        _wait_for(nginx, processes, tls=tls)
        yield Service(
            app=setup_app,
            nginx=nginx,
            nginx_http=f"http://127.0.0.1:{http_port}",
            instances=instances,
            access_logs=logs,
            settings=settings,
            tls=tls,
            race_slug=race_slug,
            open_slug=open_slug,
            session_id=session_id,
        )
    finally:
        for process in reversed(processes):
            stop(process)
        with setup_app.app_context():
            db.engine.dispose()


def register(service: Service, slug: str, n: int, client: str, **headers: str) -> Answer:
    body = {
        "first_name": "Person",
        "last_name": str(n),
        "email": f"person{n}.{slug}@example.org",
        "consent_privacy": True,
    }
    return fetch(
        f"{service.nginx}/api/v1/events/{slug}/registrations",
        method="POST",
        body=json.dumps(body),
        headers={"Content-Type": "application/json", **headers},
        client=client,
        tls=service.tls,
    )


def log_in(base: str) -> str:
    """Log the organizer in on one instance; the session cookie."""
    page = fetch(f"{base}/login")
    fields = {"email": ADMIN, "password": PASSWORD, "csrf_token": csrf_token_in(page.text)}
    answer = post_form(f"{base}/login", fields, cookie=page.cookie())
    assert answer.status == 302, answer.text
    return answer.cookie()


# --- the proofs -------------------------------------------------------------------------------


def test_nginx_serves_tls_static_files_and_spreads_requests_over_both_instances(service):
    before = service.requests_served()
    for _ in range(6):
        assert fetch(f"{service.nginx}/healthz", tls=service.tls).status == 200
    assert service.served_since(before, 6) == [3, 3]
    after = service.requests_served()

    redirect = fetch(f"{service.nginx_http}/events")
    assert redirect.status == 301
    assert redirect.headers["Location"] == "https://127.0.0.1/events"

    static = fetch(f"{service.nginx}/static/css/site.css", tls=service.tls)
    assert static.status == 200
    assert static.headers["Cache-Control"] == "public, max-age=3600"
    assert static.text == (ROOT / "eventapp" / "static" / "css" / "site.css").read_text()
    # nginx answered alone: neither instance saw the request.
    assert service.requests_served() == after


def test_sixty_registrations_through_both_instances_fill_twenty_five_seats(service):
    before = service.requests_served()
    calls = [
        # Each its own client address: the rate limit is per client, not per proxy.
        lambda n=n: register(service, service.race_slug, n, client=f"127.0.1.{n + 1}")
        for n in range(CLIENTS)
    ]
    answers = all_at_once(calls)
    refused = [a.text for a in answers if a.status != 201]
    assert refused == []
    assert Counter(json.loads(a.text)["status"] for a in answers) == {
        "confirmed": SEATS,
        "waitlisted": CLIENTS - SEATS,
    }
    served = service.served_since(before, CLIENTS)
    assert sum(served) == CLIENTS and min(served) > 0
    with service.app.app_context():
        statuses = db.session.execute(
            db.select(Registration.status).join(Event).where(Event.slug == service.race_slug)
        ).scalars()
        assert Counter(statuses) == {
            RegistrationStatus.CONFIRMED: SEATS,
            RegistrationStatus.WAITLISTED: CLIENTS - SEATS,
        }


def test_one_rate_limit_per_client_address_counts_across_both_instances(service):
    before = service.requests_served()
    answers = [
        register(service, service.open_slug, n, client="127.0.0.2") for n in range(RATE_LIMIT)
    ]
    assert [a.status for a in answers] == [201] * RATE_LIMIT
    # Round robin: the attempts alternated between the instances.
    assert sorted(service.served_since(before, RATE_LIMIT)) == [2, 3]

    assert register(service, service.open_slug, 100, client="127.0.0.2").status == 429
    # A client's own X-Forwarded-For buys no new budget: nginx appends the real address.
    spoofed = {"X-Forwarded-For": "203.0.113.9"}
    assert register(service, service.open_slug, 101, client="127.0.0.2", **spoofed).status == 429
    assert register(service, service.open_slug, 102, client="127.0.0.3").status == 201
    # The access logs name the client, not nginx.
    service.served_since(before, RATE_LIMIT + 3)
    logged = "".join(log.read_text() for log in service.access_logs)
    assert len(re.findall(r"^127\.0\.0\.2 ", logged, re.M)) == RATE_LIMIT + 2


def test_logging_out_on_one_instance_ends_the_session_on_the_other(service):
    first, second = service.instances
    cookie = log_in(first)
    assert fetch(f"{second}/admin/", headers={"Cookie": cookie}).status == 200

    # The logout form's token belongs to the cookie that page sets (a login empties the
    # session, its CSRF secret included); the login's cookie is kept as the copy.
    page = fetch(f"{first}/logout", headers={"Cookie": cookie})
    fields = {"csrf_token": csrf_token_in(page.text)}
    assert post_form(f"{first}/logout", fields, cookie=page.cookie()).status == 302

    # The same cookie, copied before the logout, no longer opens the back office.
    answer = fetch(f"{second}/admin/", headers={"Cookie": cookie})
    assert answer.status == 302
    assert urllib.parse.urlsplit(answer.headers["Location"]).path == "/login"


def test_a_programme_edit_on_one_instance_shows_at_once_on_the_other(service):
    first, second = service.instances
    page_url = f"{second}/events/{service.open_slug}"
    feed_url = f"{second}/events/{service.open_slug}/calendar.ics"
    fetch(f"{first}/events/{service.open_slug}")  # rendered on the first, stored in Redis
    page, feed = fetch(page_url), fetch(feed_url)
    assert OLD_TITLE in page.text and OLD_TITLE in feed.text
    cache = redis.Redis.from_url(f"{REDIS}/{CACHE_DB}")
    assert list(cache.scan_iter("eventapp:page:*")), "the page is not in the shared cache"

    cookie = log_in(first)
    edit_url = f"{first}/admin/sessions/{service.session_id}/edit"
    form = fetch(edit_url, headers={"Cookie": cookie})
    fields = form_fields(form.text, "session-form")
    fields = [(name, NEW_TITLE if name == "title" else value) for name, value in fields]
    saved = post_form(edit_url, fields, cookie=form.cookie())
    assert saved.status == 302, saved.text

    page_now = fetch(page_url, headers={"If-None-Match": page.headers["ETag"]})
    feed_now = fetch(feed_url, headers={"If-None-Match": feed.headers["ETag"]})
    for before, now in ((page, page_now), (feed, feed_now)):
        assert now.status == 200
        assert now.headers["ETag"] != before.headers["ETag"]
        assert NEW_TITLE in now.text and OLD_TITLE not in now.text


def test_two_mail_workers_send_each_message_once(service, tmp_path):
    for n in range(20):
        answer = register(service, service.open_slug, 200 + n, client=f"127.0.2.{n + 1}")
        assert answer.status == 201
    with service.app.app_context():
        waiting = Counter(
            db.session.execute(
                db.select(OutboxMessage.recipient).where(
                    OutboxMessage.status == OutboxStatus.PENDING
                )
            ).scalars()
        )
    assert len(waiting) >= 20 and set(waiting.values()) == {1}

    sink = SmtpSink(free_port())
    sink.start()
    settings = {**service.settings, "MAIL_SERVER": sink.host, "MAIL_PORT": str(sink.port)}
    command = [
        sys.executable, "-m", "flask", "--app", "wsgi", "mail", "deliver",
        "--loop", "--batch", "2", "--interval", "0.5",
    ]  # fmt: skip
    workers = [
        subprocess.Popen(
            command,
            cwd=ROOT,
            env={**settings, "EVENTAPP_INSTANCE_PATH": str(tmp_path / f"worker-{n}")},
            stdout=subprocess.PIPE,
            text=True,
        )
        for n in (1, 2)
    ]
    try:
        deadline = time.monotonic() + 60
        while len(sink.envelopes) < len(waiting) and time.monotonic() < deadline:
            time.sleep(0.2)
        time.sleep(1)  # a message sent twice would arrive now
    finally:
        for worker in workers:
            stop(worker)
        sink.stop()
    received = Counter(to for envelope in sink.envelopes for to in envelope.rcpt_tos)
    assert received == waiting
    reports = []
    for worker in workers:
        with worker.stdout:
            reports.append(worker.stdout.read())
    sent = [sum(map(int, re.findall(r"sent (\d+)", report))) for report in reports]
    assert sum(sent) == len(waiting)
    assert min(sent) > 0, f"one worker sent everything: {sent}"
