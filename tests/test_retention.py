"""Automatic retention: the mail worker erases each event's personal data once, after its
retention period; two workers at once erase it once; the period is set per event and stated
in the privacy notice and on the dashboard."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from support import all_at_once

from eventapp.extensions import db
from eventapp.models import AuditEntry, Event, Registration, RegistrationStatus, utcnow
from eventapp.registration import retention

ROOT = Path(__file__).resolve().parent.parent


def ended(make_event, days_ago: float, **fields) -> Event:
    """An event that ended ``days_ago`` days ago (registration long closed)."""
    end = utcnow() - timedelta(days=days_ago)
    return make_event(
        starts_at=end - timedelta(hours=8),
        ends_at=end,
        registration_closes_at=end - timedelta(days=1),
        **fields,
    )


def erased_entries() -> list[AuditEntry]:
    return list(
        db.session.execute(
            db.select(AuditEntry)
            .where(AuditEntry.action == retention.ACTION)
            .order_by(AuditEntry.object_id)
        ).scalars()
    )


def fresh(model, id_):
    db.session.expire_all()
    return db.session.get(model, id_)


def test_a_worker_round_erases_a_due_event_once_with_an_audit_entry(
    runner, make_event, make_registration
):
    event = ended(make_event, 91)
    confirmed = make_registration(event, first_name="Greta")
    cancelled = make_registration(event, status=RegistrationStatus.CANCELLED)

    result = runner.invoke(args=["mail", "deliver"])

    assert result.exit_code == 0, result.output
    assert "erased the personal data of 1 event(s)" in result.output
    assert fresh(Event, event.id).personal_data_erased_at is not None
    for registration, status in ((confirmed, "confirmed"), (cancelled, "cancelled")):
        kept = fresh(Registration, registration.id)
        assert kept.anonymized_at is not None and kept.status == status
    assert fresh(Registration, confirmed.id).first_name == ""
    [entry] = erased_entries()
    assert (entry.user_id, entry.object_type, entry.object_id) == (None, "event", event.id)
    assert entry.after == {"registrations": 2, "retention_days": 90}

    again = runner.invoke(args=["mail", "deliver"])
    assert again.exit_code == 0 and "erased" not in again.output
    assert len(erased_entries()) == 1


def test_nothing_is_erased_before_the_retention_period_is_over(make_event, make_registration):
    short = ended(make_event, 10, retention_days=7)
    default = ended(make_event, 89)
    running = make_event()
    people = [make_registration(event) for event in (short, default, running)]

    assert retention.erase_due() == [short.id]
    assert [fresh(Registration, p.id).anonymized_at is not None for p in people] == [
        True,
        False,
        False,
    ]
    assert retention.erase_due(utcnow() + timedelta(days=2)) == [default.id]
    assert fresh(Registration, people[2].id).anonymized_at is None
    assert fresh(Event, running.id).personal_data_erased_at is None
    assert [entry.object_id for entry in erased_entries()] == [short.id, default.id]


def test_two_rounds_at_the_same_time_erase_each_event_once(app, make_event, make_registration):
    events = [ended(make_event, 100) for _ in range(3)]
    for event in events:
        make_registration(event)
        make_registration(event)
    # Outside a request SQLite begins IMMEDIATE: this session must not hold the write lock.
    db.session.commit()

    def round_():
        with app.app_context():
            return retention.erase_due()

    results = all_at_once([round_, round_])

    assert sorted(results[0] + results[1]) == sorted(e.id for e in events)
    entries = erased_entries()
    assert [entry.object_id for entry in entries] == sorted(e.id for e in events)
    assert all(entry.after["registrations"] == 2 for entry in entries)
    anonymized = db.session.execute(
        db.select(db.func.count(Registration.id)).where(Registration.anonymized_at.isnot(None))
    ).scalar()
    assert anonymized == 6


def test_an_event_that_cannot_be_erased_is_left_whole_and_the_others_go_on(
    monkeypatch, make_event, make_registration
):
    broken, fine = ended(make_event, 100), ended(make_event, 100)
    people = [make_registration(broken), make_registration(fine)]
    purge = retention.purge_event

    def failing_purge(event, *args):
        if event.id == broken.id:
            raise RuntimeError("disk full")
        return purge(event, *args)

    monkeypatch.setattr(retention, "purge_event", failing_purge)
    assert retention.erase_due() == [fine.id]
    assert fresh(Event, broken.id).personal_data_erased_at is None  # tried again next round
    assert fresh(Registration, people[0].id).anonymized_at is None
    assert [entry.object_id for entry in erased_entries()] == [fine.id]


@pytest.mark.slow
def test_two_worker_loops_erase_due_events_once(database_url, instance_path, make_event):
    """``mail deliver --loop`` in two processes, as two workers would run it."""
    events = [ended(make_event, 120, slug=f"alt-{n}") for n in range(2)]
    db.session.commit()
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "DATABASE_URL": database_url,
        "SECRET_KEY": "test-secret-key",
        "EVENTAPP_INSTANCE_PATH": instance_path,
        "MAIL_SEND_INLINE": "0",
    }
    command = [
        sys.executable,
        "-m",
        "flask",
        "--app",
        "wsgi",
        "mail",
        "deliver",
        "--loop",
        "--interval",
        "0.2",
    ]
    workers = [subprocess.Popen(command, cwd=ROOT, env=env) for _ in range(2)]
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            done = len(erased_entries())
            # Outside requests SQLite begins IMMEDIATE: never hold the lock the workers need.
            db.session.rollback()
            if done >= len(events):
                break
            time.sleep(0.2)
        time.sleep(1)  # a second claim would come now
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            worker.wait(timeout=15)
    db.session.rollback()
    assert [entry.object_id for entry in erased_entries()] == sorted(e.id for e in events)
    assert all(fresh(Event, e.id).personal_data_erased_at is not None for e in events)


def test_the_purge_command_marks_the_event_as_erased(runner, make_event, make_registration):
    event = ended(make_event, 40)
    make_registration(event)
    result = runner.invoke(
        args=["registrations", "purge", "--event", event.slug, "--after-days", "30"]
    )
    assert result.exit_code == 0, result.output
    assert fresh(Event, event.id).personal_data_erased_at is not None
    # The worker does not erase (or audit) it a second time.
    assert retention.erase_due(utcnow() + timedelta(days=400)) == []


# --- the period in the event form, the privacy notice and the dashboard ------------------


def event_form(event, **changes) -> dict[str, str]:
    local = "%Y-%m-%dT%H:%M"
    values = {
        "kind": event.kind.value,
        "title": event.title,
        "slug": event.slug,
        "timezone": event.timezone,
        "starts_at": event.local(event.starts_at).strftime(local),
        "ends_at": event.local(event.ends_at).strftime(local),
        "capacity": str(event.capacity),
        "retention_days": str(event.retention_days),
        "waitlist_enabled": "y",
    }
    values.update(changes)
    return values


@pytest.mark.parametrize("days", ["0", "3651", "-5", "neunzig"])
def test_a_retention_period_outside_1_to_3650_days_is_refused(admin_client, make_event, days):
    event = make_event()
    response = admin_client.post(
        f"/admin/events/{event.id}/edit", data=event_form(event, retention_days=days)
    )
    assert response.status_code == 422
    assert 'id="retention_days-error"' in response.get_data(as_text=True)
    assert fresh(Event, event.id).retention_days == 90


def test_the_retention_period_is_edited_and_audited(admin_client, make_event):
    event = make_event()
    form = admin_client.get(f"/admin/events/{event.id}/edit").get_data(as_text=True)
    assert 'name="retention_days"' in form and 'value="90"' in form
    response = admin_client.post(
        f"/admin/events/{event.id}/edit", data=event_form(event, retention_days="30")
    )
    assert response.status_code == 302
    assert fresh(Event, event.id).retention_days == 30
    entry = db.session.execute(
        db.select(AuditEntry).where(AuditEntry.action == "event.update")
    ).scalar_one()
    assert (entry.before["retention_days"], entry.after["retention_days"]) == (90, 30)


def test_the_privacy_notice_states_the_retention_period(client, make_event):
    event = make_event(title="Exkursion Lampertheim", retention_days=30)
    make_event()  # the default period: not listed apart

    general = client.get("/privacy?lang=en").get_data(as_text=True)
    assert 'id="retention" data-days="90"' in general
    assert "Exkursion Lampertheim" in general and "30 days after its end" in general

    own = client.get(f"/privacy?lang=de&event={event.slug}").get_data(as_text=True)
    assert 'id="retention" data-days="30"' in own and "30 Tage nach dem Ende" in own
    assert 'id="retention-events"' not in own
    register = client.get(f"/events/{event.slug}/register").get_data(as_text=True)
    assert f"/privacy?event={event.slug}" in register


def test_the_dashboard_says_when_the_data_will_be_and_was_erased(admin_client, make_event):
    event = ended(make_event, 95)
    before = admin_client.get(f"/admin/events/{event.id}/").get_data(as_text=True)
    assert 'id="retention" data-erased="false"' in before
    retention.erase_due()
    after = admin_client.get(f"/admin/events/{event.id}/").get_data(as_text=True)
    assert 'id="retention" data-erased="true"' in after
