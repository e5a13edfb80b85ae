"""Benchmark the back office at scale: lists, door search, exports and the PDF jobs with
2 500, 5 000 and 10 000 registrations, and how each grows per doubling.

For each size it builds a fresh database (bulk inserts: one event that has just ended,
two workshops, everyone confirmed, four in five checked in), then times, in process
through the app's own request handling (no network, no server):

- the registration list: first page, filtered (search and status), sorted (organisation,
  descending);
- the door's name search (check-in API, staff token);
- the public programme page and the API's event document as anonymous visitors get them
  (stored, with the seats counted per request);
- the registrations export as CSV and as XLSX (made in the request);
- the badge job (A6 per person, and A4 sheets of four) and the certificate job, run as the
  worker runs them, with the size of the file they make;
- a bulk mail to everyone: the preview, the send request (it stores the send and queues a
  job), the job that queues the messages, and for comparison a send queued in the request.

Reads are the best of ``--repeat`` runs after one warm-up; jobs run once. The last columns
give the ratio per doubling (2.0 is linear growth).

    .venv/bin/python bench/scale.py [--sizes 2500,5000,10000] [--repeat 3]
        [--database-url postgresql://...]   # emptied and refilled: use a scratch database
        [--skip-pdf]
"""

from __future__ import annotations

import argparse
import itertools
import os
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

FIRST = ["Anna", "Jörg", "Aylin", "Marie", "Ömer", "Lena", "Paul", "Zoë", "Ben", "Clara"]
LAST = ["Müller", "Schmidt", "Öztürk", "Weiß", "Becker", "Şahin", "Wagner", "Hoffmann", "Koch"]
ORGS = [
    "Stadt Bürstadt – Amt für Soziales",
    "Nassauische Heimstätte",
    "Hochschule Darmstadt",
    "Caritas Bergstraße",
    "",
]
PASSWORD = "bench-password-123"  # noqa: S105 (a throwaway account in a scratch database)


def build(app, size: int) -> dict:
    """A fresh schema with one ended event of ``size`` confirmed registrations."""
    from sqlalchemy import insert, select

    from eventapp.accounts.services import create_token, create_user
    from eventapp.extensions import db
    from eventapp.models import (
        ENTRANCE,
        CheckIn,
        Event,
        EventKind,
        EventStatus,
        Registration,
        RegistrationStatus,
        Session,
        SessionChoice,
        SessionKind,
    )

    with app.app_context():
        db.drop_all()
        db.create_all()
        now = datetime.now(UTC)
        start = now - timedelta(hours=10)
        event = Event(
            kind=EventKind.CONGRESS,
            slug="scale",
            title="Fachkongress zur sozialen Quartiersentwicklung",
            starts_at=start,
            ends_at=start + timedelta(hours=8),
            status=EventStatus.PUBLISHED,
            venue="Bürgerhaus Bürstadt",
        )
        sessions = [
            Session(
                event=event,
                title=f"Werkstatt {letter}",
                kind=SessionKind.WORKSHOP,
                starts_at=start + timedelta(hours=2),
                ends_at=start + timedelta(hours=4),
            )
            for letter in "AB"
        ]
        db.session.add_all([event, *sessions])
        admin = create_user("office@example.org", PASSWORD, "admin")
        door = create_user("door@example.org", PASSWORD, "checkin")
        token = create_token(door, "bench")
        db.session.flush()
        rows = []
        for n in range(size):
            first, last = FIRST[n % len(FIRST)], f"{LAST[n % len(LAST)]}{n}"
            email = f"gast{n}@example.org"
            rows.append(
                {
                    "event_id": event.id,
                    "status": RegistrationStatus.CONFIRMED,
                    "first_name": first,
                    "last_name": last,
                    "email": email,
                    "email_normalized": email,
                    "organisation": ORGS[n % len(ORGS)],
                    "locale": "en" if n % 7 == 0 else "de",
                    "created_at": start - timedelta(days=30, minutes=n),
                }
            )
        db.session.execute(insert(Registration), rows)
        ids = db.session.execute(
            select(Registration.id)
            .where(Registration.event_id == event.id)
            .order_by(Registration.id)
        ).scalars()
        ids = list(ids)
        db.session.execute(
            insert(SessionChoice),
            [
                {"registration_id": rid, "session_id": sessions[n % 2].id, "status": "confirmed"}
                for n, rid in enumerate(ids)
            ],
        )
        came = start + timedelta(minutes=5)
        entered = [rid for n, rid in enumerate(ids) if n % 5]
        db.session.execute(
            insert(CheckIn),
            [
                {"registration_id": rid, "list_key": ENTRANCE, "checked_in_at": came}
                for rid in entered
            ],
        )
        db.session.execute(
            Registration.__table__.update()
            .where(Registration.id.in_(select(CheckIn.registration_id)))
            .values(checked_in_at=came)
        )
        db.session.commit()
        return {"event_id": event.id, "slug": event.slug, "admin": admin.email, "token": token}


def best_of(call, repeat: int) -> tuple[float, float]:
    """(wall, CPU) seconds of the fastest run, after a warm-up (caches, prepared statements)."""
    call()
    times = []
    for _ in range(repeat):
        began, cpu = time.perf_counter(), time.process_time()
        call()
        times.append((time.perf_counter() - began, time.process_time() - cpu))
    return min(times)


def get_ok(client, url: str, **kwargs):
    response = client.get(url, **kwargs)
    if response.status_code != 200:
        raise SystemExit(f"GET {url} answered {response.status_code}")
    response.get_data()
    response.close()
    return response


def run_job(app, event_id: int, kind: str, params: dict) -> tuple[tuple[float, float], int]:
    """Queue a job and run it as the worker does: ((wall, CPU) seconds, bytes of the file)."""
    from eventapp.extensions import db
    from eventapp.jobs import services as jobs
    from eventapp.models import Event, Job

    with app.app_context():
        event = db.session.get(Event, event_id)
        job_id = jobs.enqueue(kind, event, None, dict(params)).id
        db.session.commit()
        began, cpu = time.perf_counter(), time.process_time()
        report = jobs.work(limit=1)
        seconds = (time.perf_counter() - began, time.process_time() - cpu)
        job = db.session.get(Job, job_id)
        if report.done != 1:
            raise SystemExit(f"job {kind} {params} did not finish: {job.error}")
        return seconds, job.result_size


def timed(call) -> tuple[float, float]:
    began, cpu = time.perf_counter(), time.process_time()
    call()
    return time.perf_counter() - began, time.process_time() - cpu


def bulk_mail(app, client, base: str, event_id: int, size: int) -> dict[str, tuple]:
    """A bulk mail to all ``size`` people: preview, send (a job), the job; then inline."""
    import re

    from eventapp.extensions import db
    from eventapp.jobs import services as jobs
    from eventapp.models import MailBatch, OutboxMessage

    def compose() -> dict[str, str]:
        page = client.get(f"{base}/mail").get_data(as_text=True)
        key = re.search(r'name="send_key" type="hidden" value="([^"]+)"', page).group(1)
        return {
            "status": "active",
            "subject": "Anreise",
            "body": "{greeting}\n\nBis bald.",
            "send_key": key,
        }

    def preview(data: dict[str, str]) -> None:
        page = client.post(f"{base}/mail", data={**data, "action": "preview"})
        found = re.search(r'name="previewed" type="hidden" value="([0-9a-f]{64})"', page.text)
        data["previewed"] = found.group(1)

    def send(data: dict[str, str]) -> None:
        answer = client.post(
            f"{base}/mail", data={**data, "action": "send", "confirmed_count": str(size)}
        )
        if answer.status_code != 302:
            raise SystemExit(f"the bulk mail was not sent: {answer.status_code}")

    figures: dict[str, tuple] = {}
    data = compose()
    figures["bulk mail: preview"] = timed(lambda: preview(data))
    figures["bulk mail: send request"] = timed(lambda: send(data))
    with app.app_context():
        figures["bulk mail: queueing job"] = timed(lambda: jobs.work(limit=1))
        batch = db.session.execute(db.select(MailBatch).order_by(MailBatch.id.desc())).scalar()
        if batch.recipient_count != size:
            raise SystemExit(f"the job queued {batch.recipient_count} of {size} messages")
    limit, app.config["BULK_MAIL_INLINE_MAX"] = app.config["BULK_MAIL_INLINE_MAX"], size
    data = compose()
    preview(data)
    figures["bulk mail: send queued in the request"] = timed(lambda: send(data))
    app.config["BULK_MAIL_INLINE_MAX"] = limit
    with app.app_context():
        db.session.execute(db.delete(OutboxMessage))
        db.session.commit()
    return figures


def measure(app, size: int, repeat: int, skip_pdf: bool) -> dict[str, float | tuple]:
    began = time.perf_counter()
    seeded = build(app, size)
    figures: dict[str, float | tuple] = {"build the data (s)": time.perf_counter() - began}
    client = app.test_client()
    login = client.post("/login", data={"email": seeded["admin"], "password": PASSWORD})
    assert login.status_code == 302, login.status_code
    base = f"/admin/events/{seeded['event_id']}"
    reads = {
        "list: first page": f"{base}/registrations",
        "list: filtered": f"{base}/registrations?q=Müller&status=confirmed",
        "list: sorted": f"{base}/registrations?sort=organisation&dir=desc",
        "door search": f"/api/v1/events/{seeded['slug']}/checkin/search?q=Öztürk",
        "export CSV": f"{base}/registrations.csv",
        "export XLSX": f"{base}/registrations.xlsx",
        # Anonymous visitors: the stored page and document, seats counted per request.
        "programme page (stored)": f"/events/{seeded['slug']}",
        "API event (stored)": f"/api/v1/events/{seeded['slug']}",
    }
    headers = {"Authorization": f"Bearer {seeded['token']}"}
    for name, url in reads.items():
        kwargs = {"headers": headers} if name == "door search" else {}
        other = name == "door search" or "(stored)" in name
        reader = app.test_client() if other else client
        figures[name] = best_of(
            lambda reader=reader, url=url, kwargs=kwargs: get_ok(reader, url, **kwargs), repeat
        )
    if not skip_pdf:
        for name, kind, params in (
            ("badge job A6", "badges", {"layout": "a6"}),
            ("badge job A4 sheets", "badges", {"layout": "a4"}),
            ("certificate job", "certificates", {}),
        ):
            seconds, size_bytes = run_job(app, seeded["event_id"], kind, params)
            figures[name] = seconds
            figures[f"{name}: KB per person"] = size_bytes / 1024 / size
    figures.update(bulk_mail(app, client, base, seeded["event_id"], size))
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="2500,5000,10000")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL"))
    parser.add_argument("--skip-pdf", action="store_true", help="Leave out the PDF jobs.")
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]

    with tempfile.TemporaryDirectory() as instance:
        os.environ["EVENTAPP_INSTANCE_PATH"] = instance
        from eventapp import create_app, freeze_startup_objects
        from eventapp.config import database_url as normalize
        from eventapp.extensions import db

        url = normalize(args.database_url, instance) if args.database_url else None
        url = url or f"sqlite:///{instance}/scale.db"
        app = create_app(
            {
                "SQLALCHEMY_DATABASE_URI": url,
                "SECRET_KEY": "bench",
                "RATELIMIT_ENABLED": False,
                "WTF_CSRF_ENABLED": False,
                "MAIL_SEND_INLINE": False,
            }
        )
        # As the served app is (wsgi.py).
        freeze_startup_objects()
        backend = "PostgreSQL" if url.startswith("postgresql") else "SQLite"
        print(f"Scale benchmark on {backend}: sizes {', '.join(map(str, sizes))}", flush=True)
        results = {}
        for size in sizes:
            results[size] = measure(app, size, args.repeat, args.skip_pdf)
            print(f"  {size} registrations measured", flush=True)
        with app.app_context():
            db.drop_all()
            db.engine.dispose()

    names = list(results[sizes[0]])
    width = max(len(name) for name in names) + 2
    ratios = [f"{b}/{a}" for a, b in itertools.pairwise(sizes)]
    for title, index in (("Wall-clock time", 0), ("CPU time of this process", 1)):
        print()
        print(title)
        header = "".join(f"{size:>12}" for size in sizes)
        print(f"{'':<{width}}{header}" + "".join(f"{ratio:>14}" for ratio in ratios))
        for name in names:
            values = [results[size][name] for size in sizes]
            if not isinstance(values[0], tuple):
                if index == 0:  # sizes and set-up once, under the wall-clock table
                    print(f"{name:<{width}}" + "".join(f"{value:>12.2f}" for value in values))
                continue
            values = [value[index] for value in values]
            cells = "".join(f"{value * 1000:>9.1f} ms" for value in values)
            growth = "".join(
                f"{(b / a if a else float('nan')):>14.2f}" for a, b in itertools.pairwise(values)
            )
            print(f"{name:<{width}}{cells}{growth}")
    print()
    print("Reads: best of runs; jobs: one run each, as the worker does it. Growth per doubling:")
    print("2.0 is linear, and a read must stay at or below it. On PostgreSQL the CPU time leaves")
    print("out the database server's; on a busy machine trust the CPU table more than the wall.")


if __name__ == "__main__":
    main()
