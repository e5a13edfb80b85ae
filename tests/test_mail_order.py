"""Mail to one person leaves in the order it was written, even when an earlier one fails."""

from __future__ import annotations

import logging
import threading
from datetime import timedelta

import pytest
from support import SmtpSink, announcement, free_port, outbox, record

from eventapp.extensions import db
from eventapp.mail.delivery import claim, deliver_due, due_messages
from eventapp.mail.services import enqueue_bulk
from eventapp.models import OutboxStatus
from eventapp.models.base import utcnow

RETRY_SECONDS = 600
HOLD_SECONDS = 300


class DeferringSink(SmtpSink):
    """An SMTP server that answers the first attempt to the addresses in ``defer`` with a 451."""

    def __init__(self, port: int) -> None:
        super().__init__(port)
        self.defer: set[str] = set()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.defer:
            self.defer.discard(address)
            return "451 4.3.0 try again later"
        return await super().handle_RCPT(server, session, envelope, address, rcpt_options)


@pytest.fixture
def smtp_server():
    sink = DeferringSink(free_port())
    sink.start()
    yield sink
    sink.stop()


@pytest.fixture
def config_overrides(smtp_server):
    return {
        "MAIL_SERVER": smtp_server.host,
        "MAIL_PORT": smtp_server.port,
        "MAIL_SUPPRESS_SEND": False,
        "MAIL_RETRY_BASE_SECONDS": RETRY_SECONDS,
        "MAIL_ORDER_HOLD_SECONDS": HOLD_SECONDS,
    }


def arrived(smtp_server) -> list[tuple[str, str]]:
    """(recipient, subject) of each message in the order the server accepted them."""
    return [(m["To"].addresses[0].addr_spec, m["Subject"]) for m in smtp_server.messages()]


def statuses() -> list[OutboxStatus]:
    db.session.expire_all()
    return [m.status for m in outbox()]


@pytest.fixture
def confirmation_refused_once(make_event, make_registration, smtp_server):
    """A confirmation whose first attempt the server refused (451), and a later mail queued.

    Returns (registration, moment of the failed attempt).
    """
    registration = make_registration(make_event(), locale="en")
    smtp_server.defer.add(registration.email)
    record(registration, "registered", status="confirmed")
    start = utcnow()
    first = deliver_due(now=start)
    assert (first.sent, first.retrying) == (0, 1)
    enqueue_bulk(
        [registration],
        announcement(registration.event, "Parking at the venue", "Please use the car park."),
    )
    db.session.commit()
    return registration, start


def test_a_later_mail_waits_for_the_failed_confirmation_and_follows_it(
    confirmation_refused_once, smtp_server
):
    registration, start = confirmation_refused_once

    waiting = deliver_due(now=start + timedelta(seconds=1))

    assert waiting.handled == 0
    assert smtp_server.envelopes == []
    assert statuses() == [OutboxStatus.PENDING, OutboxStatus.PENDING]
    assert outbox()[1].attempts == 0

    # The retry is due: both go, the confirmation first.
    retried = deliver_due(now=start + timedelta(seconds=RETRY_SECONDS))

    assert retried.sent == 2
    assert [subject.split(":")[0] for _, subject in arrived(smtp_server)] == [
        "Registration confirmed",
        "Parking at the venue",
    ]
    assert {to for to, _ in arrived(smtp_server)} == {registration.email}
    assert statuses() == [OutboxStatus.SENT, OutboxStatus.SENT]


def test_after_the_hold_time_the_later_mail_goes_and_the_log_says_why(
    confirmation_refused_once, smtp_server, caplog
):
    registration, start = confirmation_refused_once
    confirmation, later = outbox()
    # Past the hold time, before the confirmation's next attempt.
    moment = later.created_at + timedelta(seconds=HOLD_SECONDS + 1)
    assert moment < confirmation.next_attempt_at

    with caplog.at_level(logging.WARNING, logger="eventapp.mail.delivery"):
        report = deliver_due(now=moment)

    assert report.sent == 1
    assert arrived(smtp_server) == [(registration.email, "Parking at the venue")]
    assert statuses() == [OutboxStatus.PENDING, OutboxStatus.SENT]
    assert f"mail {later.id} goes before the earlier mail {confirmation.id}" in caplog.text

    deliver_due(now=start + timedelta(seconds=RETRY_SECONDS))
    assert statuses() == [OutboxStatus.SENT, OutboxStatus.SENT]
    assert len(smtp_server.envelopes) == 2


def test_one_claim_takes_only_the_earliest_message_per_person(make_event, make_registration):
    event = make_event()
    ada, grace = make_registration(event, locale="en"), make_registration(event, locale="en")
    for kind in ("registered", "workshops_changed", "workshops_changed"):
        record(ada, kind, status="confirmed")
    record(grace, "registered", status="confirmed")
    ada_first, *_, grace_first = outbox()

    claimed = claim("worker-1", limit=10)
    # The others wait while Ada's first message is being sent.
    other_worker = claim("worker-2", limit=10)

    assert claimed == [ada_first.id, grace_first.id]
    assert other_worker == []


def test_two_workers_keep_each_persons_mail_in_order(
    app, make_event, make_registration, smtp_server
):
    event = make_event()
    people = [make_registration(event, locale="en") for _ in range(8)]
    for kind in ("registered", "workshops_changed", "cancelled"):
        for registration in people:
            record(registration, kind, status="confirmed")
    start = threading.Barrier(2)
    errors: list[Exception] = []

    def worker() -> None:
        try:
            with app.app_context():
                start.wait(timeout=10)
                deliver_due(batch=100)
        except Exception as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert errors == []
    assert statuses() == [OutboxStatus.SENT] * 24
    for registration in people:
        subjects = [s for to, s in arrived(smtp_server) if to == registration.email]
        assert [s.split(":")[0] for s in subjects] == [
            "Registration confirmed",
            "Your workshops have changed",
            "Registration cancelled",
        ]


def test_the_order_check_uses_the_recipient_index(app):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("the plan is read from SQLite; PostgreSQL's planner picks by table size")
    query = due_messages(utcnow(), 10).compile(
        dialect=db.engine.dialect, compile_kwargs={"literal_binds": True}
    )
    plan = db.session.execute(db.text(f"EXPLAIN QUERY PLAN {query}")).all()

    details = " | ".join(row[-1] for row in plan)
    assert "ix_outbox_message_recipient" in details, details
    assert "SCAN outbox_message " not in details + " ", details
