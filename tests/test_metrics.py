"""``/metrics``: the token, the text format, request latency per endpoint, the database counts."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.exc import OperationalError
from support import bearer, free_port, wait_until_serving

from eventapp.config import ConfigurationError, from_environment
from eventapp.extensions import db
from eventapp.metrics.collectors import DatabaseCollector, watch_job_queue
from eventapp.models import (
    CheckIn,
    OutboxMessage,
    OutboxStatus,
    RegistrationStatus,
)

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "metrics-token-for-the-tests-0123456789"
# Samples as {(sample name, sorted label pairs): value}.
Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


@pytest.fixture
def config_overrides():
    return {"METRICS_TOKEN": TOKEN}


def scrape(client) -> Samples:
    response = client.get("/metrics", headers=bearer(TOKEN))
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    return parse(response.get_data(as_text=True))


def parse(text: str) -> Samples:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float | None:
    return samples.get((name, tuple(sorted(labels.items()))))


def requests_counted(samples: Samples, endpoint: str, method="GET", status="2xx") -> float:
    count = value(
        samples,
        "eventapp_request_duration_seconds_count",
        endpoint=endpoint,
        method=method,
        status=status,
    )
    return count or 0.0


# --- access -------------------------------------------------------------------------------


def test_metrics_are_not_found_while_no_token_is_set(make_app):
    client = make_app(METRICS_TOKEN=None).test_client()
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", headers=bearer(TOKEN)).status_code == 404
    assert client.get("/metrics", headers=bearer("")).status_code == 404


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "",
        "Bearer",
        f"Bearer {TOKEN[:-1]}",
        f"Bearer {TOKEN}x",
        f"Bearer {TOKEN.upper()}",
        f"Basic {TOKEN}",
        TOKEN,
    ],
)
def test_a_missing_or_wrong_token_gets_401_and_no_metrics(client, authorization):
    headers = {} if authorization is None else {"Authorization": authorization}
    response = client.get("/metrics", headers=headers)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert "eventapp_" not in response.get_data(as_text=True)


def test_the_right_token_opens_them_whatever_the_schemes_case(client):
    headers = {"Authorization": f"bearer {TOKEN}"}
    assert client.get("/metrics", headers=headers).status_code == 200


def test_the_token_must_be_long_enough_to_resist_guessing(tmp_path, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "s" * 40)
    for weak in ("short", "x" * 23, "with a space in it, long enough"):
        monkeypatch.setenv("METRICS_TOKEN", weak)
        with pytest.raises(ConfigurationError, match="METRICS_TOKEN"):
            from_environment(str(tmp_path))
    monkeypatch.setenv("METRICS_TOKEN", "")
    assert from_environment(str(tmp_path))["METRICS_TOKEN"] is None
    monkeypatch.setenv("METRICS_TOKEN", TOKEN)
    assert from_environment(str(tmp_path))["METRICS_TOKEN"] == TOKEN


def test_the_multiprocess_folder_must_exist(tmp_path, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "s" * 40)
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path / "missing"))
    with pytest.raises(ConfigurationError, match="PROMETHEUS_MULTIPROC_DIR"):
        from_environment(str(tmp_path))
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    assert from_environment(str(tmp_path))["PROMETHEUS_MULTIPROC_DIR"] == str(tmp_path)


# --- the format and request latency ---------------------------------------------------------


def test_the_output_parses_as_prometheus_text_with_every_family(client, make_event):
    make_event()
    client.get("/healthz")
    names = {
        family.name
        for family in text_string_to_metric_families(
            client.get("/metrics", headers=bearer(TOKEN)).get_data(as_text=True)
        )
    }
    assert {
        "eventapp_request_duration_seconds",
        "eventapp_registrations",
        "eventapp_checked_in",
        "eventapp_inside",
        "eventapp_outbox_pending_messages",
        "eventapp_outbox_oldest_pending_age_seconds",
        "eventapp_outbox_failed_messages",
        "eventapp_database_up",
    } <= names


def test_request_latency_is_recorded_by_endpoint_name_not_by_path(client, populated):
    before = scrape(client)
    slug = populated.event.slug
    ticket = populated.confirmed.ticket_code
    assert client.get(f"/events/{slug}").status_code == 200
    assert client.get(f"/tickets/{ticket}").status_code == 200
    after = scrape(client)
    for endpoint in ("public.event", "tickets.ticket"):
        assert requests_counted(after, endpoint) == requests_counted(before, endpoint) + 1
    assert value(
        after,
        "eventapp_request_duration_seconds_bucket",
        endpoint="public.event",
        method="GET",
        status="2xx",
        le="+Inf",
    ) == requests_counted(after, "public.event")
    labels = {"endpoint": "public.event", "method": "GET", "status": "2xx"}
    sum_before = value(before, "eventapp_request_duration_seconds_sum", **labels) or 0.0
    assert value(after, "eventapp_request_duration_seconds_sum", **labels) > sum_before
    label_values = {v for (_name, labels) in after for _key, v in labels}
    assert not [v for v in label_values if "/" in v or ticket in v]


def test_unknown_paths_and_methods_share_one_label_each(client):
    before = scrape(client)
    for n in range(3):
        assert client.get(f"/nowhere-{n}-secret").status_code == 404
    assert client.open("/healthz", method="BREW").status_code == 405
    after = scrape(client)
    assert (
        requests_counted(after, "unmatched", status="4xx")
        == requests_counted(before, "unmatched", status="4xx") + 3
    )
    assert requests_counted(after, "unmatched", method="other", status="4xx") >= 1
    text = client.get("/metrics", headers=bearer(TOKEN)).get_data(as_text=True)
    assert "secret" not in text
    assert "BREW" not in text


def test_server_errors_are_counted_as_5xx(app, client):
    def broken():
        raise RuntimeError("a bug")

    app.add_url_rule("/broken", "broken", broken)
    app.config["PROPAGATE_EXCEPTIONS"] = False  # answer as in production: a 500 page
    before = requests_counted(scrape(client), "broken", status="5xx")
    assert client.get("/broken").status_code == 500
    assert requests_counted(scrape(client), "broken", status="5xx") == before + 1


def test_requests_are_not_timed_while_metrics_are_off(make_app):
    from eventapp.metrics.requests import RequestClock

    app = make_app(METRICS_TOKEN=None)
    assert not isinstance(app.wsgi_app, RequestClock)
    assert all("observe" not in f.__name__ for f in app.after_request_funcs.get(None, []))


# --- counts from the database ---------------------------------------------------------------


def test_registrations_and_check_ins_are_counted_by_event_and_status(
    client, make_event, make_registration
):
    congress = make_event(slug="fachkongress")
    visit = make_event(slug="besuch-lampertheim")
    people = [make_registration(congress) for _ in range(3)]
    make_registration(congress, status=RegistrationStatus.WAITLISTED)
    make_registration(congress, status=RegistrationStatus.CANCELLED, cancelled_at=datetime.now(UTC))
    db.session.add_all(
        [
            CheckIn(registration=people[0], list_key="entrance"),
            CheckIn(registration=people[1], list_key="entrance", left_at=datetime.now(UTC)),
            # A workshop's list is not the entrance.
            CheckIn(registration=people[2], list_key="session:1"),
        ]
    )
    db.session.commit()

    samples = scrape(client)
    registrations = {
        (event, status): value(samples, "eventapp_registrations", event=event, status=status)
        for event in ("fachkongress", "besuch-lampertheim")
        for status in ("confirmed", "waitlisted", "cancelled")
    }
    assert registrations == {
        ("fachkongress", "confirmed"): 3,
        ("fachkongress", "waitlisted"): 1,
        ("fachkongress", "cancelled"): 1,
        ("besuch-lampertheim", "confirmed"): 0,
        ("besuch-lampertheim", "waitlisted"): 0,
        ("besuch-lampertheim", "cancelled"): 0,
    }
    assert value(samples, "eventapp_checked_in", event="fachkongress") == 2
    assert value(samples, "eventapp_inside", event="fachkongress") == 1
    assert value(samples, "eventapp_checked_in", event=visit.slug) == 0
    assert value(samples, "eventapp_inside", event=visit.slug) == 0


def outbox_message(status=OutboxStatus.PENDING, age=timedelta(0), **fields) -> OutboxMessage:
    created = datetime.now(UTC) - age
    values = {
        "kind": "registration_confirmed",
        "recipient": "erika.beispiel@example.org",
        "status": status,
        "created_at": created,
        "next_attempt_at": created,
        **fields,
    }
    return OutboxMessage(**values)


def test_outbox_depth_and_the_oldest_pending_age_follow_the_rows(client):
    samples = scrape(client)
    assert value(samples, "eventapp_outbox_pending_messages") == 0
    assert value(samples, "eventapp_outbox_oldest_pending_age_seconds") == 0
    assert value(samples, "eventapp_outbox_failed_messages") == 0

    db.session.add_all(
        [
            # Waiting for a retry after an error ten minutes old: still pending.
            outbox_message(
                age=timedelta(minutes=10),
                attempts=2,
                next_attempt_at=datetime.now(UTC) + timedelta(minutes=5),
            ),
            outbox_message(age=timedelta(seconds=5)),
            outbox_message(OutboxStatus.SENT, age=timedelta(days=2)),
            outbox_message(OutboxStatus.DISCARDED, age=timedelta(days=3)),
            outbox_message(OutboxStatus.FAILED, age=timedelta(days=1)),
            outbox_message(OutboxStatus.FAILED, age=timedelta(hours=1)),
        ]
    )
    db.session.commit()
    samples = scrape(client)
    assert value(samples, "eventapp_outbox_pending_messages") == 2
    assert 600 <= value(samples, "eventapp_outbox_oldest_pending_age_seconds") < 660
    assert value(samples, "eventapp_outbox_failed_messages") == 2


def test_the_job_queue_is_reported_once_a_queue_is_watched(app, client):
    assert not [key for key in scrape(client) if key[0] == "eventapp_job_queue_depth"]
    watch_job_queue(app, lambda: {"queued": 4, "running": 1})
    samples = scrape(client)
    assert value(samples, "eventapp_job_queue_depth", state="queued") == 4
    assert value(samples, "eventapp_job_queue_depth", state="running") == 1


def test_request_metrics_are_still_served_when_the_database_cannot_be_read(client, monkeypatch):
    def unreachable(self):
        raise OperationalError("SELECT", {}, Exception("connection refused"))

    client.get("/healthz")
    monkeypatch.setattr(DatabaseCollector, "_outbox", unreachable)
    samples = scrape(client)
    assert value(samples, "eventapp_database_up") == 0
    assert requests_counted(samples, "public.healthz") >= 1
    assert value(samples, "eventapp_outbox_pending_messages") is None


def test_no_personal_data_and_no_secret_appears_in_the_output(client, populated):
    people = (populated.confirmed, populated.waitlisted, populated.cancelled)
    db.session.add(CheckIn(registration=populated.confirmed, list_key="entrance"))
    db.session.add(outbox_message(recipient=populated.confirmed.email))
    db.session.commit()
    for person in people:
        client.get(f"/registrations/{person.manage_token}")
        client.get(f"/tickets/{person.ticket_code}")
    text = client.get("/metrics", headers=bearer(TOKEN)).get_data(as_text=True)
    assert value(parse(text), "eventapp_checked_in", event=populated.event.slug) == 1
    leaked = [
        getattr(person, field)
        for person in people
        for field in (
            "email",
            "first_name",
            "last_name",
            "organisation",
            "manage_token",
            "ticket_code",
            "calendar_token",
        )
        if getattr(person, field) and getattr(person, field) in text
    ]
    assert leaked == []
    assert "@" not in text
    assert TOKEN not in text


# --- several gunicorn workers ----------------------------------------------------------------


@pytest.mark.slow
def test_a_scrape_adds_up_the_requests_of_every_gunicorn_worker(
    app, make_event, database_url, instance_path, tmp_path
):
    """Each worker writes its own counts; whichever worker answers the scrape reports all."""
    make_event(slug="fachkongress")
    folder = tmp_path / "prometheus"
    folder.mkdir()
    # Left by an earlier run: gunicorn's start must clear it, or its counts would add up.
    (folder / "histogram_999999.db").write_bytes(b"stale")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "SECRET_KEY": "test-secret-key",
        "EVENTAPP_INSTANCE_PATH": instance_path,
        "RATELIMIT_ENABLED": "0",
        "MAIL_SEND_INLINE": "0",
        "METRICS_TOKEN": TOKEN,
        "PROMETHEUS_MULTIPROC_DIR": str(folder),
    }
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "-c",
        "python:eventapp.gunicorn_conf",
        "--workers",
        "2",
        "--threads",
        "2",
        "--bind",
        f"127.0.0.1:{port}",
        "--log-level",
        "warning",
        "wsgi:app",
    ]
    process = subprocess.Popen(command, cwd=ROOT, env=env)
    try:
        wait_until_serving(url, process)
        assert not (folder / "histogram_999999.db").exists()

        sent = 0
        lock = threading.Lock()

        def fetch(times: int) -> None:
            nonlocal sent
            for _ in range(times):
                # A new connection each time, so that either worker may accept it.
                with urllib.request.urlopen(f"{url}/events/fachkongress", timeout=10) as response:
                    assert response.status == 200
                with lock:
                    sent += 1

        # Until both workers have served some (each then has a file of its own), bounded.
        for _round in range(20):
            threads = [threading.Thread(target=fetch, args=(5,)) for _ in range(8)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            if len(list(folder.glob("histogram_*.db"))) >= 2:
                break
        assert len(list(folder.glob("histogram_*.db"))) >= 2

        def scrape_live() -> Samples:
            request = urllib.request.Request(f"{url}/metrics", headers=bearer(TOKEN))
            with urllib.request.urlopen(request, timeout=10) as response:
                return parse(response.read().decode())

        # Two scrapes on new connections, answered by either worker, report the same total.
        for samples in (scrape_live(), scrape_live()):
            assert requests_counted(samples, "public.event") == sent
            assert (
                value(samples, "eventapp_registrations", event="fachkongress", status="confirmed")
                == 0
            )
    finally:
        process.terminate()
        process.wait(timeout=15)
