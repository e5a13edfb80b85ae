"""Registration rush: N registrations from K concurrent clients against gunicorn.

Starts the app under gunicorn on a fresh database (SQLite by default, PostgreSQL with
``--database-url``), creates an event with a capacity and a workshop, fires the
registrations through the JSON API, then checks that nobody was overbooked and that
the waiting lists are in arrival order. Prints registrations per second, p50/p95
latency, and the same figures for a trivial endpoint (``/healthz``) of the same app
measured in the same run.

    python bench/registration_rush.py -n 300 -k 20
    python bench/registration_rush.py --database-url postgresql://USER@HOST/DB

The database given is emptied first: use one made for the benchmark.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

from _server import ROOT, free_port, start_server

sys.path.insert(0, str(ROOT))


def add_rush_event(db, capacity: int, workshop_capacity: int, slug: str = "rush"):
    """One open event with a waiting list and one workshop; returns (slug, workshop id)."""
    from eventapp.models import Event, EventKind, EventStatus, Session, SessionKind

    start = datetime.now(UTC) + timedelta(days=30)
    event = Event(
        kind=EventKind.CONGRESS,
        slug=slug,
        title="Rush",
        starts_at=start,
        ends_at=start + timedelta(hours=8),
        capacity=capacity,
        status=EventStatus.PUBLISHED,
        waitlist_enabled=True,
    )
    workshop = Session(
        event=event,
        title="Workshop",
        kind=SessionKind.WORKSHOP,
        starts_at=start + timedelta(hours=2),
        ends_at=start + timedelta(hours=3),
        capacity=workshop_capacity,
    )
    db.session.add_all([event, workshop])
    db.session.commit()
    return event.slug, workshop.id


def prepare(database_url: str, capacity: int, workshop_capacity: int) -> tuple[str, int]:
    """A fresh schema with one open event and one workshop; returns (slug, workshop id)."""
    from eventapp import create_app
    from eventapp.config import database_url as normalize
    from eventapp.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": normalize(database_url, ""), "TESTING": True})
    with app.app_context():
        db.drop_all()
        db.create_all()
        result = add_rush_event(db, capacity, workshop_capacity)
        db.session.remove()
        db.engine.dispose()
    return result


def verify(
    database_url: str, n: int, capacity: int, workshop_capacity: int, slug: str = "rush"
) -> list[str]:
    """Problems found in the event's stored registrations; empty when no one was overbooked."""
    from eventapp import create_app
    from eventapp.config import database_url as normalize
    from eventapp.extensions import db
    from eventapp.models import Event, Registration, SessionChoice
    from eventapp.registration import services

    problems: list[str] = []
    app = create_app({"SQLALCHEMY_DATABASE_URI": normalize(database_url, ""), "TESTING": True})
    with app.app_context():
        people = (
            db.session.execute(
                db.select(Registration)
                .join(Event)
                .where(Event.slug == slug)
                .order_by(Registration.created_at, Registration.id)
            )
            .scalars()
            .all()
        )
        statuses = [p.status.value for p in people]
        expected = ["confirmed"] * min(capacity, n) + ["waitlisted"] * max(n - capacity, 0)
        if statuses != expected:
            problems.append(
                f"event: {statuses.count('confirmed')} confirmed, "
                f"{statuses.count('waitlisted')} waitlisted, not in arrival order"
            )
        positions = [services.waitlist_position(p) for p in people if p.status == "waitlisted"]
        if positions != list(range(1, len(positions) + 1)):
            problems.append("event waiting positions have gaps or duplicates")
        choices = (
            db.session.execute(
                db.select(SessionChoice)
                .join(Registration)
                .join(Event)
                .where(Event.slug == slug, Registration.status == "confirmed")
                .order_by(SessionChoice.created_at, SessionChoice.id)
            )
            .scalars()
            .all()
        )
        seats = sum(c.status == "confirmed" for c in choices)
        if seats != min(workshop_capacity, len(choices)):
            problems.append(f"workshop: {seats} seats given for a capacity of {workshop_capacity}")
        db.session.remove()
        db.engine.dispose()
    return problems


def timed(request: urllib.request.Request) -> tuple[int, float]:
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            response.read()
            status = response.status
    except urllib.error.HTTPError as error:
        status = error.code
    return status, time.perf_counter() - started


def run(
    requests: list[urllib.request.Request], clients: int
) -> tuple[list[int], list[float], float]:
    """Send the requests from ``clients`` threads; statuses, latencies and wall time."""
    barrier = threading.Barrier(clients)
    lock = threading.Lock()
    queue = list(reversed(requests))
    results: list[tuple[int, float]] = []

    def client() -> None:
        barrier.wait()
        while True:
            with lock:
                if not queue:
                    return
                request = queue.pop()
            outcome = timed(request)
            with lock:
                results.append(outcome)

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=clients) as pool:
        for _ in range(clients):
            pool.submit(client)
    elapsed = time.perf_counter() - started
    return [s for s, _ in results], [t for _, t in results], elapsed


def summary(label: str, statuses: list[int], latencies: list[float], elapsed: float) -> float:
    rate = len(statuses) / elapsed
    cuts = statistics.quantiles(latencies, n=100)
    print(
        f"{label:<14} {len(statuses):>5} req  {rate:>8.1f} req/s  "
        f"p50 {cuts[49] * 1000:>7.1f} ms  p95 {cuts[94] * 1000:>7.1f} ms  "
        f"statuses {sorted(set(statuses))}"
    )
    return rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--registrations", type=int, default=300)
    parser.add_argument("-k", "--clients", type=int, default=20)
    parser.add_argument("--capacity", type=int, help="event capacity (default: n/2)")
    parser.add_argument("--workshop-capacity", type=int, help="default: capacity/2")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--database-url", help="PostgreSQL URL; default: a fresh SQLite file")
    args = parser.parse_args()
    n = args.registrations
    capacity = args.capacity or max(n // 2, 1)
    workshop_capacity = args.workshop_capacity or max(capacity // 2, 1)

    with tempfile.TemporaryDirectory() as tmp:
        database_url = args.database_url or f"sqlite:///{tmp}/bench.db"
        slug, workshop_id = prepare(database_url, capacity, workshop_capacity)
        port = free_port()
        server = start_server(database_url, port, args.workers, args.threads, tmp)
        base = f"http://127.0.0.1:{port}"
        try:
            trivial = [urllib.request.Request(f"{base}/healthz") for _ in range(n)]
            run(trivial[: args.clients], args.clients)  # warm up every worker
            health_rate = summary("healthz", *run(trivial, args.clients))
            registrations = [
                urllib.request.Request(
                    f"{base}/api/v1/events/{slug}/registrations",
                    data=json.dumps(
                        {
                            "first_name": "Rush",
                            "last_name": str(i),
                            "email": f"rush{i}@example.org",
                            "consent_privacy": True,
                            "session_ids": [workshop_id],
                        }
                    ).encode(),
                    headers={"Content-Type": "application/json"},
                    method="POST",
                )
                for i in range(n)
            ]
            statuses, latencies, elapsed = run(registrations, args.clients)
            rate = summary("registrations", statuses, latencies, elapsed)
        finally:
            server.terminate()
            server.wait(timeout=30)
        backend = database_url.split(":", 1)[0]
        ratio = rate / health_rate
        print(
            f"backend {backend}, {args.workers} workers x {args.threads} threads, "
            f"{args.clients} clients; registrations/healthz throughput ratio {ratio:.2f}"
        )
        problems = verify(database_url, n, capacity, workshop_capacity)
        failed = [s for s in statuses if s != 201]
        if failed:
            problems.append(f"{len(failed)} registrations were not accepted: {sorted(set(failed))}")
        if problems:
            print("FAILED: " + "; ".join(problems))
            raise SystemExit(1)
        print(
            f"OK: {capacity} confirmed, {n - capacity} waitlisted in arrival order; "
            f"workshop seats {workshop_capacity} of {capacity} confirmed choices, none overbooked"
        )


if __name__ == "__main__":
    main()
