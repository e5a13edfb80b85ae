"""Large bulk mails: the request stores the send and queues a job; the worker queues the
messages in chunks with progress, once each, also when it runs again after a crash."""

from __future__ import annotations

from datetime import timedelta

import pytest
from support import outbox, smtp_settings
from test_bulk_mail import compose, mail_url, send

from eventapp.extensions import db
from eventapp.jobs import services as jobs
from eventapp.models import (
    AuditEntry,
    Job,
    JobStatus,
    MailBatch,
    RegistrationStatus,
    utcnow,
)
from eventapp.registration.management import bulk_queue

INLINE_MAX = 3
PEOPLE = 7


@pytest.fixture
def config_overrides(smtp_server):
    return smtp_settings(smtp_server, BULK_MAIL_INLINE_MAX=INLINE_MAX, BULK_MAIL_CONFIRM_ABOVE=100)


@pytest.fixture
def event(make_event, make_registration):
    """Seven people who get the mail, one cancelled and one who stopped announcements."""
    event = make_event()
    for n in range(PEOPLE):
        make_registration(event, first_name=f"Person{n}", last_name=f"Nachname{n:02d}")
    make_registration(event, status=RegistrationStatus.CANCELLED)
    make_registration(event, announcements_stopped_at=utcnow())
    db.session.commit()
    return event


@pytest.fixture(autouse=True)
def small_chunks(monkeypatch):
    monkeypatch.setattr(bulk_queue, "CHUNK", 3)  # seven people: three chunks


def the_batch() -> MailBatch:
    db.session.expire_all()
    return db.session.execute(db.select(MailBatch)).scalar_one()


def the_job() -> Job:
    db.session.expire_all()
    return db.session.execute(db.select(Job)).scalar_one()


def progress_of(client, event, batch) -> dict:
    url = f"/admin/events/{event.id}/mail/sends/{batch.id}/progress"
    return client.get(url).get_json()


def start_large_send(client, event):
    response = send(client, event, compose(client, event))
    assert response.status_code == 302, response.get_data(as_text=True)
    return response


def test_a_large_send_queues_a_job_and_no_message_in_the_request(admin_client, admin, event):
    response = start_large_send(admin_client, event)

    batch = the_batch()
    assert response.headers["Location"].endswith(f"/mail/sends/{batch.id}")
    assert outbox() == []
    job = the_job()
    assert (job.kind, job.status, job.params["batch_id"]) == (
        "bulk_send",
        JobStatus.QUEUED,
        batch.id,
    )
    assert job.created_by_id == admin.id
    assert batch.recipient_count == 0  # set once the worker has queued the messages
    [entry] = db.session.execute(
        db.select(AuditEntry).where(AuditEntry.action == "mail.bulk")
    ).scalars()
    # The audit entry is about the event, as for a send queued at once.
    assert entry.object_id == event.id and entry.after["recipients"] == PEOPLE

    assert progress_of(admin_client, event, batch) == {
        "queued": 0,
        "sent": 0,
        "failed": 0,
        "discarded": 0,
        "total": 0,
        "done": False,
        "queueing": {"status": "queued", "done": 0, "total": 0},
    }
    page = admin_client.get(f"/admin/events/{event.id}/mail/sends/{batch.id}?lang=en")
    assert "Waiting for the worker to queue the messages." in page.get_data(as_text=True)
    jobs_page = admin_client.get(f"/admin/events/{event.id}/jobs").get_data(as_text=True)
    assert f'id="job-{job.id}"' in jobs_page
    assert f'href="/admin/events/{event.id}/mail/sends/{batch.id}"' in jobs_page

    # The same form posted again still finds the send and queues no second job.
    again = send(admin_client, event, compose(admin_client, event) | {"send_key": batch.send_key})
    assert again.status_code == 409
    assert db.session.execute(db.select(db.func.count(Job.id))).scalar_one() == 1


def test_the_worker_queues_every_message_once_and_the_mail_goes_out(
    admin_client, event, runner, smtp_server
):
    start_large_send(admin_client, event)
    db.session.commit()

    result = runner.invoke(args=["jobs", "work"])
    assert result.exit_code == 0, result.output
    assert "jobs: done 1, failed 0" in result.output

    batch = the_batch()
    messages = outbox()
    assert len(messages) == PEOPLE and batch.recipient_count == PEOPLE
    assert len({m.registration_id for m in messages}) == PEOPLE
    assert {m.batch_id for m in messages} == {batch.id}
    job = the_job()
    assert (job.status, job.progress_done, job.progress_total) == (JobStatus.DONE, PEOPLE, PEOPLE)
    assert job.result_file is None and job.expires_at is None
    assert progress_of(admin_client, event, batch)["queueing"] == {
        "status": "done",
        "done": PEOPLE,
        "total": PEOPLE,
    }

    result = runner.invoke(args=["mail", "deliver"])
    assert result.exit_code == 0, result.output
    assert sorted(e.rcpt_tos[0] for e in smtp_server.envelopes) == sorted(
        m.recipient for m in messages
    )
    answer = progress_of(admin_client, event, batch)
    assert (answer["sent"], answer["queued"], answer["done"]) == (PEOPLE, 0, True)
    page = admin_client.get(f"/admin/events/{event.id}/mail/sends/{batch.id}?lang=en")
    assert f"for {PEOPLE} recipients" in page.get_data(as_text=True)
    jobs_page = admin_client.get(f"/admin/events/{event.id}/jobs?lang=en").get_data(as_text=True)
    assert "Deleted after" not in jobs_page  # it never made a file


class Crash(BaseException):
    """The worker's process dies (not an error the job could catch and report)."""


def test_a_run_again_after_a_crash_midway_queues_the_rest_and_nobody_twice(
    admin_client, event, runner, monkeypatch
):
    monkeypatch.setattr(jobs, "PROGRESS_EVERY", 0)
    start_large_send(admin_client, event)
    db.session.commit()
    write = jobs.Progress._write

    def write_then_die(self):
        write(self)
        if self.done:  # after the first chunk is committed and its progress written
            raise Crash

    monkeypatch.setattr(jobs.Progress, "_write", write_then_die)
    with pytest.raises(Crash):
        jobs.work()
    db.session.rollback()
    monkeypatch.setattr(jobs.Progress, "_write", write)

    assert len(outbox()) == 3
    batch = the_batch()
    job = the_job()
    assert (job.status, job.progress_done, job.progress_total) == (JobStatus.RUNNING, 3, PEOPLE)
    assert progress_of(admin_client, event, batch)["queueing"] == {
        "status": "running",
        "done": 3,
        "total": PEOPLE,
    }
    page = admin_client.get(f"/admin/events/{event.id}/mail/sends/{batch.id}?lang=en")
    assert "Being queued: 3 of 7" in page.get_data(as_text=True)
    sends = admin_client.get(f"/admin/events/{event.id}/mail/sends?lang=en")
    assert "Being queued: 3 of 7" in sends.get_data(as_text=True)

    # No heartbeat any more: the next worker takes the job over and finishes it.
    db.session.execute(db.update(Job).values(heartbeat_at=utcnow() - timedelta(minutes=30)))
    db.session.commit()
    result = runner.invoke(args=["jobs", "work"])
    assert result.exit_code == 0, result.output

    messages = outbox()
    assert len(messages) == PEOPLE
    assert len({m.registration_id for m in messages}) == PEOPLE
    assert the_job().status == JobStatus.DONE and the_batch().recipient_count == PEOPLE


def test_a_send_up_to_the_limit_is_queued_in_the_request_as_before(
    admin_client, make_event, make_registration
):
    small = make_event()
    for _ in range(INLINE_MAX):
        make_registration(small)
    db.session.commit()
    response = send(admin_client, small, compose(admin_client, small))
    assert response.status_code == 302

    batch = the_batch()
    assert len(outbox()) == INLINE_MAX and batch.recipient_count == INLINE_MAX
    assert db.session.execute(db.select(db.func.count(Job.id))).scalar_one() == 0
    assert "queueing" not in progress_of(admin_client, small, batch)
    compose_page = admin_client.get(mail_url(small))
    assert compose_page.status_code == 200


def test_the_inline_limit_is_read_from_the_environment(monkeypatch, tmp_path):
    from eventapp.config import ConfigurationError, from_environment

    monkeypatch.setenv("BULK_MAIL_INLINE_MAX", "1000")
    assert from_environment(str(tmp_path))["BULK_MAIL_INLINE_MAX"] == 1000
    monkeypatch.delenv("BULK_MAIL_INLINE_MAX")
    assert from_environment(str(tmp_path))["BULK_MAIL_INLINE_MAX"] == 200
    for wrong in ("viele", "-1"):
        monkeypatch.setenv("BULK_MAIL_INLINE_MAX", wrong)
        with pytest.raises(ConfigurationError, match="BULK_MAIL_INLINE_MAX"):
            from_environment(str(tmp_path))


def test_the_jobs_page_does_not_start_a_bulk_mail_job_on_its_own(admin_client, event):
    response = admin_client.post(f"/admin/events/{event.id}/jobs", data={"kind": "bulk_send"})
    assert response.status_code == 400
    assert db.session.execute(db.select(db.func.count(Job.id))).scalar_one() == 0
