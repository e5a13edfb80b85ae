"""What metrics cost: request throughput with and without request timing, and one scrape.

Seeds one event with 10 000 registrations (check-ins, outbox rows) on a fresh database
(SQLite in a temporary folder, or ``DATABASE_URL``), then starts two gunicorn servers on
it: one without ``METRICS_TOKEN`` (nothing is timed) and one with it and
``PROMETHEUS_MULTIPROC_DIR`` (every request timed, the workers' files pooled). Both are
loaded in interleaved rounds with 20 keep-alive connections, and medians are compared;
then ``/metrics`` is scraped repeatedly. Prints figures only.

    .venv/bin/python bench/metrics.py [--registrations 10000] [--seconds 5] [--rounds 3]
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from _server import ROOT, free_port, start_server

sys.path.insert(0, str(ROOT))

TOKEN = secrets.token_urlsafe(32)
SLUG = "fachkongress-buerstadt"
PATHS = ("/healthz", f"/events/{SLUG}", f"/api/v1/events/{SLUG}")


def seed(database_url: str, instance: str, registrations: int) -> None:
    """A fresh schema: one event, its registrations, a tenth checked in, some mail."""
    os.environ["EVENTAPP_INSTANCE_PATH"] = instance
    from eventapp import create_app
    from eventapp.extensions import db
    from eventapp.models import (
        CheckIn,
        Event,
        EventKind,
        EventStatus,
        OutboxMessage,
        OutboxStatus,
        Registration,
        RegistrationStatus,
    )

    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "bench", "MAIL_SEND_INLINE": False}
    )
    with app.app_context():
        db.drop_all()
        db.create_all()
        start = datetime.now(UTC) + timedelta(days=30)
        event = Event(
            kind=EventKind.CONGRESS,
            slug=SLUG,
            title="Fachkongress zur sozialen Quartiersentwicklung",
            starts_at=start,
            ends_at=start + timedelta(hours=8),
            capacity=registrations,
            status=EventStatus.PUBLISHED,
        )
        db.session.add(event)
        people = []
        for n in range(registrations):
            person = Registration(
                event=event,
                status=RegistrationStatus.CONFIRMED if n % 10 else RegistrationStatus.WAITLISTED,
                first_name="Gast",
                last_name=str(n),
                email=f"gast{n}@example.org",
                email_normalized=f"gast{n}@example.org",
            )
            people.append(person)
            if n % 10 == 1:
                db.session.add(CheckIn(registration=person, list_key="entrance"))
            if n % 50 == 0:
                status = OutboxStatus.PENDING if n % 100 else OutboxStatus.SENT
                db.session.add(OutboxMessage(kind="registration_confirmed", recipient=person.email,
                                             registration=person, status=status))  # fmt: skip
        db.session.add_all(people)
        db.session.commit()
        db.engine.dispose()


@contextlib.contextmanager
def environment(values: dict[str, str]) -> Iterator[None]:
    """``values`` in the environment that a server started inside inherits; empty: unset."""
    saved = {key: os.environ.pop(key, None) for key in values}
    os.environ.update({key: value for key, value in values.items() if value})
    try:
        yield
    finally:
        for key, value in saved.items():
            os.environ.pop(key, None)
            if value is not None:
                os.environ[key] = value


def load(port: int, path: str, seconds: float, connections: int) -> tuple[float, list[float], int]:
    """``connections`` keep-alive clients on ``path``: (req/s, latencies, errors)."""
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds

    def client() -> None:
        nonlocal errors
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine: list[float] = []
        failed = 0
        while time.perf_counter() < deadline:
            began = time.perf_counter()
            try:
                connection.request("GET", path)
                response = connection.getresponse()
                response.read()
                failed += response.status != 200
            except (OSError, http.client.HTTPException):
                failed += 1
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            mine.append(time.perf_counter() - began)
        connection.close()
        with lock:
            latencies.extend(mine)
            errors += failed

    threads = [threading.Thread(target=client) for _ in range(connections)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return len(latencies) / (time.perf_counter() - began), latencies, errors


OBSERVE = """
import time
from eventapp.metrics.requests import REQUEST_DURATION
child = REQUEST_DURATION.labels("public.event", "GET", "2xx")
began = time.perf_counter()
for _ in range(100_000):
    child.observe(0.01)
print((time.perf_counter() - began) / 100_000)
"""


def observe_cost(multiproc_dir: str | None) -> float:
    """Seconds that recording one request costs, in a fresh interpreter (one mode each)."""
    env = {k: v for k, v in os.environ.items() if k != "PROMETHEUS_MULTIPROC_DIR"}
    if multiproc_dir:
        env["PROMETHEUS_MULTIPROC_DIR"] = multiproc_dir
    output = subprocess.run(
        [sys.executable, "-c", OBSERVE], cwd=ROOT, env=env, capture_output=True, text=True,
        check=True,
    ).stdout  # fmt: skip
    return float(output.strip().splitlines()[-1])


def percentile(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100)[q - 1] if len(values) > 1 else values[0]


def scrape(port: int) -> tuple[float, int]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    began = time.perf_counter()
    connection.request("GET", "/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    response = connection.getresponse()
    body = response.read()
    elapsed = time.perf_counter() - began
    connection.close()
    if response.status != 200:
        raise SystemExit(f"/metrics answered {response.status}")
    return elapsed, len(body)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--registrations", type=int, default=10_000)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=20)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--paths", nargs="+", default=PATHS, help="paths to load (default: all)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        database_url = os.environ.get("DATABASE_URL") or f"sqlite:///{tmp}/bench.db"
        from eventapp.config import database_url as normalize

        seed(normalize(database_url, tmp), tmp, args.registrations)
        folder = os.path.join(tmp, "prometheus")
        os.mkdir(folder)
        servers = {}
        for name, extra in (
            ("off", {"METRICS_TOKEN": "", "PROMETHEUS_MULTIPROC_DIR": ""}),
            ("on", {"METRICS_TOKEN": TOKEN, "PROMETHEUS_MULTIPROC_DIR": folder}),
        ):
            port = free_port()
            with environment(extra):
                process = start_server(database_url, port, args.workers, args.threads, tmp)
            servers[name] = (port, process)
        try:
            results: dict[tuple[str, str], list[tuple[float, float, float, int]]] = {}
            for round_number in range(args.rounds):
                # Each server goes first in every other round: the first one loaded tends to
                # find the machine quieter.
                order = list(servers.items())[:: -1 if round_number % 2 else 1]
                for path in args.paths:
                    for name, (port, _process) in order:
                        load(port, path, 1.0, args.connections)  # warm up
                        rate, latencies, errors = load(port, path, args.seconds, args.connections)
                        results.setdefault((path, name), []).append(
                            (rate, percentile(latencies, 50), percentile(latencies, 99), errors)
                        )
            engine = "PostgreSQL" if "postgresql" in database_url else "SQLite"
            print(
                f"{engine}, {args.workers} workers x {args.threads} threads, "
                f"{args.connections} connections, medians of {args.rounds} rounds "
                f"of {args.seconds:g} s"
            )
            print(f"{'path':34} {'metrics':7} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} "
                  f"{'errors':>6} {'x healthz':>9}")  # fmt: skip
            for path in args.paths:
                for name in servers:
                    rows = results[(path, name)]
                    rate = statistics.median(r[0] for r in rows)
                    healthz = statistics.median(r[0] for r in results[("/healthz", name)])
                    print(
                        f"{path:34} {name:7} {rate:8.0f} "
                        f"{statistics.median(r[1] for r in rows) * 1000:8.1f} "
                        f"{statistics.median(r[2] for r in rows) * 1000:8.1f} "
                        f"{sum(r[3] for r in rows):6d} {rate / healthz:9.2f}"
                    )
            port = servers["on"][0]
            timings = [scrape(port) for _ in range(30)]
            seconds = [t for t, _size in timings]
            print(
                f"/metrics with {args.registrations} registrations: "
                f"p50 {percentile(seconds, 50) * 1000:.1f} ms, "
                f"p99 {percentile(seconds, 99) * 1000:.1f} ms, {timings[-1][1]} bytes"
            )
            alone = os.path.join(tmp, "observe")
            os.mkdir(alone)
            print(
                "recording one request: "
                f"{observe_cost(None) * 1e6:.1f} us in one process, "
                f"{observe_cost(alone) * 1e6:.1f} us with PROMETHEUS_MULTIPROC_DIR"
            )
        finally:
            for _port, process in servers.values():
                process.terminate()
                process.wait(timeout=15)


if __name__ == "__main__":
    main()
