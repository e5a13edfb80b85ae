"""Plain helpers shared by several test modules; fixtures live in conftest.py."""

from __future__ import annotations

import re
import socket
import subprocess
import threading
import time
import urllib.request
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from email.message import EmailMessage
from typing import Any

from flask.testing import FlaskClient

from eventapp.accounts import services as accounts
from eventapp.extensions import db
from eventapp.models import (
    AuditEntry,
    ChoiceStatus,
    OutboxMessage,
    RegistrationChange,
    Session,
    SessionChoice,
)

# The password of every account that the make_user fixture creates.
PASSWORD = "correct horse battery"

# --- logging in ------------------------------------------------------------------------


def csrf_token_in(html: str) -> str:
    """The CSRF token of the (first) form on a page."""
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


def login(client, user) -> None:
    """Log ``user`` in through the login form (CSRF off)."""
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 302


def login_with_csrf(client, user) -> str:
    """Log ``user`` in with the token the login page gives; returns a token of the new session.

    The login page's own token stops working at login (the session starts anew).
    """
    token = csrf_token_in(client.get("/login").get_data(as_text=True))
    data = {"email": user.email, "password": PASSWORD, "csrf_token": token}
    assert client.post("/login", data=data).status_code == 302
    # A context of its own: the test app's shared ``g`` would keep the page's language.
    with client.application.app_context():
        return csrf_token_in(client.get("/logout").get_data(as_text=True))


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def api_headers(user, name: str = "", **extra: str) -> dict[str, str]:
    """Headers carrying a new API token of ``user`` (committed), plus ``extra`` headers."""
    token = accounts.create_token(user, name)
    db.session.commit()
    return {**bearer(token), **extra}


def log_in_browser(page, base: str, email: str, landing: str) -> None:
    """Log in through the form in a Playwright page and wait for the ``landing`` URL glob."""
    page.goto(f"{base}/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("#login-form button[type=submit]")
    page.wait_for_url(f"{base}{landing}")


# --- data ------------------------------------------------------------------------------


def workshop(event, letter: str = "A") -> Session:
    """Workshop A or B of an event made by make_programme."""
    return next(s for s in event.sessions if s.title.startswith(f"Werkstatt {letter}"))


def choose(registration, session, status=ChoiceStatus.CONFIRMED) -> SessionChoice:
    choice = SessionChoice(registration=registration, session=session, status=status)
    db.session.add(choice)
    db.session.commit()
    return choice


def record(registration, kind: str = "registered", **detail) -> None:
    """A change in a registration's history, as the services write it."""
    db.session.add(RegistrationChange(registration=registration, kind=kind, detail=detail))
    db.session.commit()


def count(model) -> int:
    return db.session.execute(db.select(db.func.count()).select_from(model)).scalar_one()


def api_error(response) -> dict:
    """The contract's error object of a JSON answer, checked for its shape."""
    body = response.get_json()
    assert set(body) == {"error"}
    assert {"code", "message"} <= set(body["error"])
    return body["error"]


def wait_until_serving(url: str, process: subprocess.Popen, seconds: float = 60) -> None:
    """Wait until the server at ``url`` answers ``/healthz``; kill it if it never does."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=2):
                return
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise RuntimeError("the test server did not start") from None
            time.sleep(0.2)


def stop(process: subprocess.Popen, seconds: float = 15) -> None:
    """End a test server: gracefully, or killed when a busy machine makes it linger."""
    process.terminate()
    try:
        process.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=seconds)


def audit_actions() -> list[str]:
    return list(db.session.execute(db.select(AuditEntry.action).order_by(AuditEntry.id)).scalars())


def outbox() -> list[OutboxMessage]:
    return list(db.session.execute(db.select(OutboxMessage).order_by(OutboxMessage.id)).scalars())


# --- mail --------------------------------------------------------------------------------


def announcement(event, subject: str, body: str, **texts: str):
    """A stored bulk mail of ``event`` (German text, optional ``subject_en``/``body_en``)."""
    from eventapp.models import MailBatch, new_token

    batch = MailBatch(
        event_id=event.id,
        kind="announcement",
        send_key=new_token(),
        subject_de=subject,
        body_de=body,
        **texts,
    )
    db.session.add(batch)
    db.session.flush()
    return batch


def with_workshop(make_programme, make_registration, **fields):
    """A programme and a registration with a seat in workshop A: (event, workshop, registration)."""
    event = make_programme()
    chosen = workshop(event)
    registration = make_registration(
        event,
        choices=[SessionChoice(session=chosen, status=ChoiceStatus.CONFIRMED)],
        **fields,
    )
    return event, chosen, registration


def part(message: EmailMessage, content_type: str) -> EmailMessage:
    found = [p for p in message.walk() if p.get_content_type() == content_type]
    assert len(found) == 1, f"expected one {content_type}, got {len(found)}"
    return found[0]


# --- responses and concurrency -------------------------------------------------------------


def readable_text(response) -> str:
    """A response's text with CLDR's (narrow) no-break spaces read as plain ones."""
    return response.get_data(as_text=True).replace("\u202f", " ").replace("\u00a0", " ")


def all_at_once(calls: list[Callable[[], Any]]) -> list[Any]:
    """Run the calls in threads released together by a barrier, so they really overlap."""
    barrier = threading.Barrier(len(calls))

    def run(call):
        barrier.wait()
        return call()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))


# --- servers on loopback ---------------------------------------------------------------


# Addresses that lead elsewhere since the work moved to background jobs (a redirect, not a page).
MOVED_TO_JOBS = frozenset({"admin.export_badges", "admin.export_certificates"})


def prepared_job(event, user, kind: str = "registrations", **params: str):
    """A job of ``event`` run to its end by the worker, with its file."""
    from eventapp.jobs import services as jobs

    job = jobs.enqueue(kind, event, user, params)
    db.session.commit()
    jobs.work(limit=5)
    db.session.refresh(job)
    return job


def prepared_file(client, event_id: int, kind: str, **params: str):
    """Start a background job from the back office as an organizer would, run it as the
    worker does, and download its file (the response)."""
    from eventapp.jobs import services as jobs

    started = client.post(f"/admin/events/{event_id}/jobs", data={"kind": kind, **params})
    assert started.status_code == 303, started.status_code
    jobs.work(limit=5)
    newest = client.get(f"/admin/events/{event_id}/jobs/progress").get_json()["jobs"][0]
    assert newest["status"] == "done", newest
    response = client.get(newest["download_url"])
    response.get_data()  # read the file, then let it go
    response.close()
    return response


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def smtp_settings(sink: SmtpSink, **more: Any) -> dict[str, Any]:
    """Settings that send the app's mail to ``sink`` for real (not suppressed), plus ``more``."""
    return {"MAIL_SERVER": sink.host, "MAIL_PORT": sink.port, "MAIL_SUPPRESS_SEND": False, **more}


class SmtpSink:
    """What an aiosmtpd server on loopback received; addresses in ``reject`` get a 550.

    ``smtputf8``: the server offers SMTPUTF8 (non-ASCII addresses) in its EHLO answer.
    """

    def __init__(self, port: int, *, smtputf8: bool = False) -> None:
        self.host = "127.0.0.1"
        self.port = port
        self.smtputf8 = smtputf8
        self.envelopes: list[Any] = []
        self.reject: set[str] = set()
        self._controller: Any = None

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.reject:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"

    def messages(self) -> list[Any]:
        """The received messages, parsed with the standard library."""
        import email
        import email.policy

        return [
            email.message_from_bytes(envelope.content, policy=email.policy.default)
            for envelope in self.envelopes
        ]

    def start(self) -> None:
        from aiosmtpd.controller import Controller

        # aiosmtpd binds to ::1 unless told otherwise and cannot take port 0.
        self._controller = Controller(
            self, hostname=self.host, port=self.port, enable_SMTPUTF8=self.smtputf8
        )
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None


class OwnContextClient(FlaskClient):
    """A test client whose every request has an app context of its own, as in production.

    The ``app`` fixture keeps one app context open, which requests would otherwise share;
    Flask-Login keeps the request's user in ``g``, so one client's login would log in the
    next client's request, whatever cookie it holds. Use the ``own_context_clients`` fixture.
    """

    def open(self, *args, **kwargs):
        # End the test's own transaction first: on SQLite it holds the write lock.
        db.session.commit()
        with self.application.app_context():
            return super().open(*args, **kwargs)
