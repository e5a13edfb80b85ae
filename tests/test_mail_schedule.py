"""Scheduled mail: reminders before and thank-you mails after an event, once per person."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from time import monotonic, sleep

import pytest
from clock import BERLIN, CONGRESS_DATE, CONGRESS_DAY
from flask import current_app
from support import outbox, smtp_settings

from eventapp import urls
from eventapp.extensions import db
from eventapp.mail.delivery import deliver_due
from eventapp.mail.schedule import (
    THANK_YOU_WINDOW,
    queue_scheduled_mail,
    reminder_window,
    thank_you_window,
)
from eventapp.models import EventStatus, OutboxStatus, RegistrationStatus
from eventapp.models.base import utcnow

ROOT = Path(__file__).resolve().parent.parent
DELIVER = [sys.executable, "-m", "flask", "--app", "wsgi", "mail", "deliver"]
# The default reminder: two days before the congress day at 09:00 in Bürstadt.
REMINDER_MOMENT = datetime.combine(CONGRESS_DATE - timedelta(days=2), time(9), BERLIN)
# The thank-you: 09:00 on the morning after the congress day.
THANK_YOU_MOMENT = datetime.combine(CONGRESS_DATE + timedelta(days=1), time(9), BERLIN)


@pytest.fixture
def config_overrides(smtp_server):
    return smtp_settings(smtp_server)


def queued(kind: str) -> list[int]:
    """Registration ids with a message of ``kind`` in the outbox."""
    db.session.expire_all()
    return sorted(m.registration_id for m in outbox() if m.kind == kind)


def received_by(smtp_server) -> list[str]:
    return sorted(e.rcpt_tos[0] for e in smtp_server.envelopes)


@pytest.fixture
def people(make_event, make_registration):
    """An event with two confirmed participants and everyone who must not get scheduled mail."""
    event = make_event()
    confirmed = [make_registration(event), make_registration(event, locale="en")]
    make_registration(event, status=RegistrationStatus.WAITLISTED)
    make_registration(event, status=RegistrationStatus.CANCELLED, cancelled_at=utcnow())
    make_registration(event, announcements_stopped_at=utcnow())
    make_registration(event, anonymized_at=utcnow(), email="erased@example.org")
    return event, confirmed


def test_reminder_is_queued_once_from_its_moment_until_the_event_starts(
    people, make_registration, smtp_server
):
    event, confirmed = people
    assert reminder_window(event).opens == REMINDER_MOMENT

    before = queue_scheduled_mail(REMINDER_MOMENT - timedelta(seconds=1))
    at = queue_scheduled_mail(REMINDER_MOMENT)
    db.session.commit()
    again = queue_scheduled_mail(REMINDER_MOMENT + timedelta(hours=5))
    db.session.commit()

    assert (before.reminders, at.reminders, again.reminders) == (0, 2, 0)
    assert at.thank_yous == 0
    assert queued("reminder") == sorted(r.id for r in confirmed)
    assert deliver_due().sent == 2
    assert received_by(smtp_server) == sorted(r.email for r in confirmed)
    [english] = [
        m for m in smtp_server.messages() if m["To"].addresses[0].addr_spec == confirmed[1].email
    ]
    assert english["Subject"].startswith("See you soon: ")

    # Someone who registers after the run still gets one, on the next run.
    late = make_registration(event)
    assert queue_scheduled_mail(REMINDER_MOMENT + timedelta(hours=6)).reminders == 1
    db.session.commit()
    # Nobody else gets one when the event has started.
    make_registration(event)
    assert queue_scheduled_mail(CONGRESS_DAY).reminders == 0
    assert queue_scheduled_mail(CONGRESS_DAY + timedelta(hours=1)).reminders == 0
    assert queued("reminder") == sorted([*(r.id for r in confirmed), late.id])


def test_a_reminder_sent_by_hand_is_not_sent_again_when_due(people, runner, smtp_server):
    event, confirmed = people

    by_hand = runner.invoke(args=["mail", "remind", "--event", event.slug])
    scheduled = queue_scheduled_mail(REMINDER_MOMENT)
    db.session.commit()
    deliver_due()

    assert by_hand.output.startswith("queued 2 reminders")
    assert scheduled.reminders == 0
    assert received_by(smtp_server) == sorted(r.email for r in confirmed)


def test_reminder_follows_the_events_days_time_and_time_zone(make_event, make_registration):
    # 03:00 in New York on the congress day; one day before at 18:30 New York time.
    event = make_event(
        timezone="America/New_York", reminder_days_before=1, reminder_time=time(18, 30)
    )
    registration = make_registration(event)
    new_york_day = CONGRESS_DAY.astimezone(event.tz).date()
    moment = datetime.combine(new_york_day - timedelta(days=1), time(18, 30), event.tz)

    assert reminder_window(event).opens == moment
    assert queue_scheduled_mail(moment - timedelta(minutes=1)).reminders == 0
    assert queue_scheduled_mail(moment).reminders == 1
    db.session.commit()
    assert queued("reminder") == [registration.id]


@pytest.mark.parametrize(
    "fields",
    [
        {"reminder_enabled": False},
        {"status": EventStatus.DRAFT},
        {"status": EventStatus.CANCELLED},
    ],
    ids=["switched-off", "draft", "cancelled"],
)
def test_no_reminder_when_switched_off_or_not_published(make_event, make_registration, fields):
    event = make_event(**fields)
    make_registration(event)

    report = queue_scheduled_mail(REMINDER_MOMENT + timedelta(hours=1))

    assert report.queued == 0
    assert outbox() == []


def test_thank_you_goes_once_to_the_people_who_came(make_event, make_registration, smtp_server):
    event = make_event(thank_you_enabled=True, slides_url="https://events.example.org/folien")
    came = make_registration(event, locale="en", checked_in_at=CONGRESS_DAY)
    make_registration(event)  # confirmed, never came
    make_registration(event, checked_in_at=CONGRESS_DAY, announcements_stopped_at=utcnow())
    make_registration(event, status=RegistrationStatus.CANCELLED, checked_in_at=CONGRESS_DAY)
    assert thank_you_window(event).opens == THANK_YOU_MOMENT

    # The evening of the event, and the night after it: not yet.
    assert queue_scheduled_mail(CONGRESS_DAY + timedelta(hours=12)).queued == 0
    assert queue_scheduled_mail(THANK_YOU_MOMENT - timedelta(seconds=1)).queued == 0
    at = queue_scheduled_mail(THANK_YOU_MOMENT)
    db.session.commit()
    again = queue_scheduled_mail(THANK_YOU_MOMENT + timedelta(days=3))
    db.session.commit()

    assert (at.thank_yous, at.reminders, again.thank_yous) == (1, 0, 0)
    assert deliver_due().sent == 1
    assert received_by(smtp_server) == [came.email]
    [message] = smtp_server.messages()
    assert message["Subject"] == f"Thank you for taking part: {event.title}"
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    with current_app.test_request_context("/"):
        manage = urls.manage_url(came)
    assert "Thank you for taking part in" in text
    assert "https://events.example.org/folien" in text
    assert 'href="https://events.example.org/folien"' in html
    assert manage in text and manage in html
    # No ticket after the event, and no link that leads nowhere.
    assert [p.get_content_type() for p in message.iter_attachments()] == []
    assert "certificate" not in text.lower()


def test_thank_you_goes_to_all_confirmed_when_nobody_was_checked_in(
    make_event, make_registration, smtp_server
):
    event = make_event(thank_you_enabled=True)
    confirmed = [make_registration(event), make_registration(event)]
    make_registration(event, status=RegistrationStatus.WAITLISTED)

    assert queue_scheduled_mail(THANK_YOU_MOMENT + timedelta(hours=2)).thank_yous == 2
    db.session.commit()
    deliver_due()

    assert received_by(smtp_server) == sorted(r.email for r in confirmed)
    text = smtp_server.messages()[0].get_body(preferencelist=("plain",)).get_content()
    # Without a slides page there is no slides paragraph.
    assert "slides" not in text.lower() and "folien" not in text.lower()


def test_thank_you_window_is_bounded_and_needs_switching_on(make_event, make_registration):
    off = make_event()
    make_registration(off, checked_in_at=CONGRESS_DAY)
    # Switched on long after the event: nobody is mailed out of the blue.
    late = make_event(thank_you_enabled=True)
    make_registration(late, checked_in_at=CONGRESS_DAY)

    assert queue_scheduled_mail(THANK_YOU_MOMENT + timedelta(hours=1)).thank_yous == 1
    db.session.rollback()
    assert queue_scheduled_mail(THANK_YOU_MOMENT + THANK_YOU_WINDOW).queued == 0
    assert queue_scheduled_mail(THANK_YOU_MOMENT + timedelta(days=60)).queued == 0
    assert outbox() == []


def test_mail_status_shows_the_scheduled_mail_and_what_was_queued(
    make_event, make_registration, runner
):
    event = make_event(slug="kongress", thank_you_enabled=True)
    make_registration(event)
    queue_scheduled_mail(REMINDER_MOMENT)
    db.session.commit()

    output = runner.invoke(args=["mail", "status"]).output

    assert "scheduled mail" in output
    reminder_day = REMINDER_MOMENT.date().isoformat()
    assert f"reminder for kongress: due {reminder_day} 09:00" in output
    assert "(Europe/Berlin), 1 queued so far" in output
    assert f"thank_you for kongress: due {THANK_YOU_MOMENT.date().isoformat()} 09:00" in output


@pytest.fixture
def worker_env(smtp_server, database_url, instance_path) -> dict[str, str]:
    """Settings for `mail deliver` processes on the test database and the test SMTP server."""
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "SECRET_KEY": "test-secret-key",
        "EVENTAPP_INSTANCE_PATH": instance_path,
        "MAIL_SERVER": smtp_server.host,
        "MAIL_PORT": str(smtp_server.port),
        "MAIL_SEND_INLINE": "0",
        "PUBLIC_BASE_URL": "http://events.example.org",
    }


@pytest.fixture
def due_now(make_event):
    """An event tomorrow: processes keep the real clock, and its reminder is due on it."""
    starts = datetime.now(UTC).replace(microsecond=0) + timedelta(days=1)
    return make_event(
        starts_at=starts, ends_at=starts + timedelta(hours=8), registration_closes_at=starts
    )


def wait_for(condition, seconds: float = 60) -> bool:
    deadline = monotonic() + seconds
    while not condition():
        if monotonic() > deadline:
            return False
        sleep(0.1)
    return True


def test_two_worker_processes_send_each_due_reminder_exactly_once(
    due_now, make_registration, smtp_server, worker_env, tmp_path
):
    emails = sorted(make_registration(due_now).email for _ in range(20))
    # The workers need the database to themselves (SQLite: no open transaction here).
    db.session.remove()
    gate = tmp_path / "go"
    # Each process loads the app, then waits at the gate, so both run the command at once.
    script = (
        "import pathlib, sys, time\n"
        "from wsgi import app\n"
        "from eventapp.mail.cli import mail_cli\n"
        "gate = pathlib.Path(sys.argv[1])\n"
        "while not gate.exists():\n"
        "    time.sleep(0.002)\n"
        "with app.app_context():\n"
        "    mail_cli.main(['deliver'], standalone_mode=False)\n"
    )
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", script, str(gate)],
            cwd=ROOT,
            env=worker_env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    # Give both time to load the app before opening the gate.
    sleep(3)
    gate.touch()
    results = [worker.communicate(timeout=120) for worker in workers]

    assert [w.returncode for w in workers] == [0, 0], results
    outputs = [out for out, _ in results]
    assert all("; scheduled: queued " in out for out in outputs), outputs
    queued_per_worker = [int(out.split("scheduled: queued ")[1].split()[0]) for out in outputs]
    assert sum(queued_per_worker) == 20
    assert received_by(smtp_server) == emails
    messages = outbox()
    assert len(messages) == 20
    assert {(m.kind, m.status) for m in messages} == {("reminder", OutboxStatus.SENT)}


def test_the_delivery_loop_queues_reminders_in_every_round(
    due_now, make_registration, smtp_server, worker_env
):
    first = [make_registration(due_now).email for _ in range(2)]
    db.session.remove()
    loop = subprocess.Popen(
        [*DELIVER, "--loop", "--interval", "0.2"],
        cwd=ROOT,
        env=worker_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert wait_for(lambda: len(smtp_server.envelopes) >= 2)
        late = make_registration(due_now).email
        db.session.remove()
        assert wait_for(lambda: len(smtp_server.envelopes) >= 3)
        sleep(1)  # a few more rounds: nothing more goes out
    finally:
        loop.terminate()
        output, errors = loop.communicate(timeout=30)

    assert loop.returncode == 0, errors
    assert received_by(smtp_server) == sorted([*first, late])
    assert "scheduled: queued 2 reminders" in output
    assert "scheduled: queued 1 reminders" in output


def test_a_reminder_queued_before_an_opt_out_is_not_sent(people, smtp_server):
    _, confirmed = people
    queue_scheduled_mail(REMINDER_MOMENT)
    confirmed[0].announcements_stopped_at = utcnow()
    db.session.commit()

    report = deliver_due()

    assert (report.sent, report.discarded) == (1, 1)
    assert received_by(smtp_server) == [confirmed[1].email]
