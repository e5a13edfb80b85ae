"""Outbox delivery against a real SMTP server: retries, failures, workers, reminders, inline."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from support import SmtpSink, free_port, outbox, record

from eventapp.extensions import db
from eventapp.mail.delivery import deliver_due
from eventapp.mail.inline import wait_for_inline_delivery
from eventapp.mail.services import failed_messages, outbox_counts
from eventapp.models import (
    OutboxMessage,
    OutboxStatus,
    Registration,
    RegistrationChange,
    RegistrationStatus,
)
from eventapp.models.base import utcnow


@pytest.fixture
def smtp_port() -> int:
    return free_port()


@pytest.fixture
def config_overrides(smtp_port):
    """SMTP on a loopback port where nothing listens until a test starts a server there."""
    return {
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": smtp_port,
        "MAIL_SUPPRESS_SEND": False,
        "MAIL_MAX_ATTEMPTS": 3,
        "MAIL_RETRY_BASE_SECONDS": 60,
    }


@pytest.fixture
def smtp_up(smtp_port):
    sink = SmtpSink(smtp_port)
    sink.start()
    yield sink
    sink.stop()


def messages() -> list[OutboxMessage]:
    db.session.expire_all()
    return outbox()


def test_registration_commits_while_smtp_is_down_and_mail_goes_out_once_it_is_back(
    make_event, make_registration, runner, smtp_port
):
    registration = make_registration(make_event())
    record(registration, status="confirmed")

    report = deliver_due()

    assert report.retrying == 1
    [message] = messages()
    assert db.session.get(Registration, registration.id) is not None
    assert message.status == OutboxStatus.PENDING
    assert message.attempts == 1
    assert "Connection refused" in message.last_error
    assert message.next_attempt_at > utcnow() + timedelta(seconds=50)

    sink = SmtpSink(smtp_port)
    sink.start()
    try:
        # Not due yet: the backoff holds it back.
        assert runner.invoke(args=["mail", "deliver"]).output.startswith("sent 0")
        message.next_attempt_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
        first = runner.invoke(args=["mail", "deliver"])
        second = runner.invoke(args=["mail", "deliver"])
    finally:
        sink.stop()

    assert first.exit_code == 0, first.output
    assert first.output.startswith("sent 1")
    assert second.output.startswith("sent 0")
    assert [e.rcpt_tos for e in sink.envelopes] == [[registration.email]]
    [message] = messages()
    assert message.status == OutboxStatus.SENT
    assert message.sent_at is not None


def test_backoff_doubles_and_the_message_fails_after_max_attempts(
    make_event, make_registration, runner
):
    record(make_registration(make_event()), status="confirmed")
    start = utcnow()

    deliver_due(now=start)
    [message] = messages()
    assert message.next_attempt_at == start + timedelta(seconds=60)
    assert deliver_due(now=start + timedelta(seconds=59)).handled == 0

    later = start + timedelta(seconds=60)
    deliver_due(now=later)
    [message] = messages()
    assert message.attempts == 2
    assert message.next_attempt_at == later + timedelta(seconds=120)

    waiting = runner.invoke(args=["mail", "status"]).output
    assert "waiting for a retry:" in waiting
    assert f"#{message.id} registration_confirmed" in waiting
    assert "attempt 3" in waiting

    report = deliver_due(now=later + timedelta(seconds=120))
    assert report.failed == 1
    [message] = messages()
    assert message.status == OutboxStatus.FAILED
    assert message.attempts == 3
    assert message.last_error
    assert db.session.execute(failed_messages()).scalars().all() == [message]
    assert outbox_counts()["failed"] == 1
    # Failed means kept, not dropped: no later run picks it up by itself.
    assert deliver_due(now=later + timedelta(days=30)).handled == 0

    status = runner.invoke(args=["mail", "status"])
    assert "failed: 1" in status.output
    assert f"#{message.id} registration_confirmed" in status.output

    retried = runner.invoke(args=["mail", "retry", "--all-failed"])
    assert retried.output.strip() == "requeued 1"
    [message] = messages()
    assert (message.status, message.attempts) == (OutboxStatus.PENDING, 0)


def test_retry_by_id_and_usage_errors(make_event, make_registration, runner):
    record(make_registration(make_event()), status="confirmed")
    [message] = messages()

    not_failed = runner.invoke(args=["mail", "retry", str(message.id)])
    neither = runner.invoke(args=["mail", "retry"])
    message.status = OutboxStatus.FAILED
    db.session.commit()
    retried = runner.invoke(args=["mail", "retry", str(message.id)])

    assert not_failed.exit_code != 0
    assert neither.exit_code == 2
    assert retried.exit_code == 0
    assert messages()[0].status == OutboxStatus.PENDING


def test_a_permanent_rejection_fails_at_once(make_event, make_registration, smtp_up):
    registration = make_registration(make_event())
    smtp_up.reject.add(registration.email)
    record(registration, status="confirmed")

    report = deliver_due()

    assert report.failed == 1
    [message] = messages()
    assert message.status == OutboxStatus.FAILED
    assert "550" in message.last_error


def test_two_workers_in_parallel_send_each_message_once(
    app, make_event, make_registration, smtp_up
):
    event = make_event()
    registrations = [make_registration(event) for _ in range(24)]
    for registration in registrations:
        db.session.add(RegistrationChange(registration=registration, kind="registered"))
    db.session.commit()
    start = threading.Barrier(2)
    reports = []
    errors = []

    def worker() -> None:
        try:
            with app.app_context():
                start.wait(timeout=10)
                reports.append(deliver_due(batch=100))
        except Exception as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert errors == []
    received = sorted(e.rcpt_tos[0] for e in smtp_up.envelopes)
    assert received == sorted(r.email for r in registrations)
    assert sum(r.sent for r in reports) == 24
    assert {m.status for m in messages()} == {OutboxStatus.SENT}


def test_a_claim_holds_until_its_lease_runs_out(make_event, make_registration, smtp_up):
    record(make_registration(make_event()), status="confirmed")
    [message] = messages()
    # A worker that claimed the message and died before sending it.
    message.claimed_by = "crashed-worker"
    message.claimed_until = utcnow() + timedelta(minutes=5)
    db.session.commit()

    assert deliver_due().handled == 0
    report = deliver_due(now=utcnow() + timedelta(minutes=6))

    assert report.sent == 1
    assert len(smtp_up.envelopes) == 1


def test_reminder_goes_to_each_confirmed_participant_once(
    make_event, make_registration, runner, smtp_up
):
    event = make_event()
    confirmed = [make_registration(event), make_registration(event, locale="en")]
    make_registration(event, status=RegistrationStatus.WAITLISTED)
    make_registration(event, status=RegistrationStatus.CANCELLED)

    first = runner.invoke(args=["mail", "remind", "--event", event.slug])
    second = runner.invoke(args=["mail", "remind", "--event", event.slug])
    deliver_due()
    third = runner.invoke(args=["mail", "remind", "--event", event.slug])
    deliver_due()

    assert first.output.strip() == "queued 2 reminders"
    assert second.output.strip() == "queued 0 reminders"
    assert third.output.strip() == "queued 0 reminders"
    assert sorted(e.rcpt_tos[0] for e in smtp_up.envelopes) == sorted(r.email for r in confirmed)
    assert {m.kind for m in messages()} == {"reminder"}
    assert runner.invoke(args=["mail", "remind", "--event", "nope"]).exit_code == 1


def test_reminder_for_a_registration_cancelled_meanwhile_is_discarded(
    make_event, make_registration, runner, smtp_up
):
    event = make_event()
    registration = make_registration(event)
    runner.invoke(args=["mail", "remind", "--event", event.slug])
    registration.status = RegistrationStatus.CANCELLED
    db.session.commit()

    report = deliver_due()

    assert report.discarded == 1
    assert smtp_up.envelopes == []
    assert messages()[0].status == OutboxStatus.DISCARDED


class TestInline:
    @pytest.fixture
    def config_overrides(self, smtp_port):
        return {
            "MAIL_SERVER": "127.0.0.1",
            "MAIL_PORT": smtp_port,
            "MAIL_SUPPRESS_SEND": False,
            "MAIL_SEND_INLINE": True,
        }

    def test_commit_starts_a_background_sender(self, app, make_event, make_registration, smtp_up):
        registration = make_registration(make_event())
        record(registration, status="confirmed")

        assert wait_for_inline_delivery(app, timeout=60)
        assert [e.rcpt_tos for e in smtp_up.envelopes] == [[registration.email]]
        assert messages()[0].status == OutboxStatus.SENT

    def test_smtp_down_neither_blocks_nor_fails_the_commit(
        self, app, make_event, make_registration
    ):
        registration = make_registration(make_event())
        record(registration, status="confirmed")

        assert wait_for_inline_delivery(app, timeout=60)
        [message] = messages()
        assert message.status == OutboxStatus.PENDING
        assert message.attempts == 1
        assert message.last_error

    def test_a_request_delivers_after_its_commit(self, app, client, make_event, smtp_up):
        event = make_event()
        response = client.post(
            f"/events/{event.slug}/register?lang=en",
            data={
                "first_name": "Ada",
                "last_name": "Lovelace",
                "email": "ada@example.org",
                "consent_privacy": "y",
            },
        )
        assert response.status_code == 303, response.get_data(as_text=True)
        # The request shares this test's app context, so its session outlives the
        # request (and holds SQLite's write lock) until it is ended here.
        db.session.rollback()

        assert wait_for_inline_delivery(app, timeout=60)
        assert [e.rcpt_tos for e in smtp_up.envelopes] == [["ada@example.org"]]
        [mail] = smtp_up.messages()
        assert mail["Content-Language"] == "en"


class TestSuppressed:
    @pytest.fixture
    def config_overrides(self, smtp_port):
        return {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": smtp_port, "MAIL_SUPPRESS_SEND": True}

    def test_suppressed_sending_marks_messages_sent_without_a_server(
        self, make_event, make_registration
    ):
        record(make_registration(make_event()), status="confirmed")

        report = deliver_due()

        assert report.sent == 1
        assert messages()[0].status == OutboxStatus.SENT


class TestFileBackend:
    @pytest.fixture
    def config_overrides(self, smtp_port):
        # Nothing listens on the SMTP port: a message that went there would fail.
        return {
            "MAIL_BACKEND": "file",
            "MAIL_SERVER": "127.0.0.1",
            "MAIL_PORT": smtp_port,
            "MAIL_SUPPRESS_SEND": False,
        }

    def test_file_backend_writes_parseable_eml_files_and_marks_them_sent(
        self, app, make_event, make_registration
    ):
        import email
        import email.policy
        from pathlib import Path

        folder = Path(app.instance_path) / "mail"
        before = set(folder.glob("*.eml")) if folder.exists() else set()
        event = make_event()
        ada = make_registration(event, locale="en", first_name="Ada")
        grace = make_registration(event, locale="de", first_name="Grace")
        record(ada, status="confirmed")
        record(grace, status="confirmed")

        report = deliver_due()

        assert (report.sent, report.retrying, report.failed) == (2, 0, 0)
        assert [m.status for m in messages()] == [OutboxStatus.SENT, OutboxStatus.SENT]
        written = sorted(set(folder.glob("*.eml")) - before)
        assert len(written) == 2
        parsed = [
            email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            for path in written
        ]
        assert {m["To"].addresses[0].addr_spec for m in parsed} == {ada.email, grace.email}
        assert {m["X-Envelope-To"] for m in parsed} == {ada.email, grace.email}
        for message in parsed:
            assert event.title in message["Subject"]
            assert message.get_body(preferencelist=("plain",)).get_content()
        assert not list(folder.glob(".*.tmp"))

    def test_a_mail_folder_that_cannot_be_written_keeps_the_message_for_a_retry(
        self, app, make_event, make_registration, monkeypatch
    ):
        from pathlib import Path

        import eventapp.mail.delivery

        # A file where the folder should be: fails for root too, unlike permissions.
        blocker = Path(app.instance_path) / "mail-blocked"
        blocker.write_text("not a folder")
        monkeypatch.setattr(eventapp.mail.delivery, "MAIL_FOLDER", "mail-blocked")
        try:
            record(make_registration(make_event()), status="confirmed")
            report = deliver_due()
        finally:
            blocker.unlink()
        [message] = messages()
        assert report.retrying == 1
        assert (message.status, message.attempts) == (OutboxStatus.PENDING, 1)
        assert "Error" in message.last_error
