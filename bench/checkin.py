"""Benchmark door check-in: redeem requests per second and p95 latency with 20 scanners.

Runs the app under gunicorn on a fresh database (SQLite in a temporary folder, or
``DATABASE_URL``), seeds one event with enough registrations, and lets 20 concurrent
scanners each redeem their own tickets, every request a real check-in (a write).
For comparison it measures a trivial endpoint of the same app (``/healthz``) in the
same run and prints the ratio.

Offline scanners: it also measures the door data download for the whole event
(``--door-tickets``, default 10 000: bytes and time, full and an empty delta) and the
sync of ``--offline-scans`` (default 500) queued offline scans sent one after the other
by one device, as the scanner page does (time, scans per second).

    .venv/bin/python bench/checkin.py [--scanners 20] [--requests 2000] [--workers 4]
        [--door-tickets 10000] [--offline-scans 500]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import threading
import time
import urllib.request
from datetime import UTC, datetime, timedelta

from _server import ROOT, free_port, start_server

sys.path.insert(0, str(ROOT))


def seed(database_url: str, instance: str, registrations: int) -> tuple[str, list[str]]:
    """A fresh schema with one event, its registrations and a check-in token."""
    os.environ["EVENTAPP_INSTANCE_PATH"] = instance
    from eventapp import create_app
    from eventapp.accounts.services import create_token, create_user
    from eventapp.extensions import db
    from eventapp.models import Event, EventKind, EventStatus, Registration, RegistrationStatus

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "bench"})
    with app.app_context():
        db.drop_all()
        db.create_all()
        start = datetime.now(UTC) + timedelta(days=30)
        event = Event(
            kind=EventKind.CONGRESS,
            slug="bench",
            title="Bench",
            starts_at=start,
            ends_at=start + timedelta(hours=8),
            status=EventStatus.PUBLISHED,
        )
        db.session.add(event)
        codes = []
        for n in range(registrations):
            registration = Registration(
                event=event,
                status=RegistrationStatus.CONFIRMED,
                first_name="Gast",
                last_name=str(n),
                email=f"gast{n}@example.org",
                email_normalized=f"gast{n}@example.org",
            )
            db.session.add(registration)
            codes.append(registration)
        user = create_user("bench@example.org", "bench-password", "checkin")
        token = create_token(user, "bench")
        db.session.commit()
        ticket_codes = [r.ticket_code for r in codes]
        db.engine.dispose()
    return token, ticket_codes


def run(calls: list, scanners: int) -> tuple[float, list[float], int]:
    """Run the calls on ``scanners`` threads; (seconds, latencies, failures)."""
    latencies: list[float] = []
    failures = 0
    lock = threading.Lock()
    queue = list(reversed(calls))

    def worker() -> None:
        nonlocal failures
        while True:
            with lock:
                if not queue:
                    return
                call = queue.pop()
            began = time.perf_counter()
            ok = call()
            elapsed = time.perf_counter() - began
            with lock:
                latencies.append(elapsed)
                failures += 0 if ok else 1

    threads = [threading.Thread(target=worker) for _ in range(scanners)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - began, latencies, failures


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1] if len(values) > 1 else values[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scanners", type=int, default=20)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--door-tickets", type=int, default=10_000)
    parser.add_argument("--offline-scans", type=int, default=500)
    args = parser.parse_args()
    registrations = max(args.door_tickets, args.requests + args.offline_scans)

    with tempfile.TemporaryDirectory() as tmp:
        database_url = os.environ.get("DATABASE_URL") or f"sqlite:///{tmp}/bench.db"
        from eventapp.config import database_url as normalize

        token, all_codes = seed(normalize(database_url, tmp), tmp, registrations)
        codes = all_codes[: args.requests]
        queued = all_codes[args.requests : args.requests + args.offline_scans]
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        server = start_server(database_url, port, args.workers, 4, tmp)
        try:

            def redeem(code: str):
                body = json.dumps({"code": code, "event": "bench", "list": "entrance"}).encode()
                request = urllib.request.Request(
                    base + "/api/v1/checkin/redeem",
                    data=body,
                    headers={"Authorization": f"Bearer {token}", "X-Device": "bench",
                             "Content-Type": "application/json"},
                    method="POST",
                )  # fmt: skip

                def call() -> bool:
                    with urllib.request.urlopen(request, timeout=60) as response:
                        return json.loads(response.read())["status"] == "ok"

                return call

            def health() -> bool:
                with urllib.request.urlopen(base + "/healthz", timeout=60) as response:
                    return response.status == 200

            # Warm up every worker before measuring.
            run([health] * (args.workers * 10), args.scanners)
            trivial_s, trivial_lat, trivial_fail = run([health] * args.requests, args.scanners)
            redeem_s, redeem_lat, redeem_fail = run([redeem(c) for c in codes], args.scanners)
            door = door_download(base, token)
            sync = offline_sync(base, token, queued)
        finally:
            server.terminate()
            server.wait(timeout=15)

    backend = database_url.split(":", 1)[0]
    redeem_rps = len(redeem_lat) / redeem_s
    trivial_rps = len(trivial_lat) / trivial_s
    print(f"backend {backend}, {args.workers} gunicorn workers, {args.scanners} scanners")
    print(
        f"redeem:  {redeem_rps:8.1f} req/s  p95 {p95(redeem_lat) * 1000:7.1f} ms"
        f"  ({len(redeem_lat)} requests, {redeem_fail} not ok)"
    )
    print(
        f"healthz: {trivial_rps:8.1f} req/s  p95 {p95(trivial_lat) * 1000:7.1f} ms"
        f"  ({len(trivial_lat)} requests, {trivial_fail} failed)"
    )
    print(f"ratio redeem/healthz: {redeem_rps / trivial_rps:.2f}")
    full, delta = door
    for label, (size, seconds, count) in (("full: ", full), ("delta:", delta)):
        print(
            f"door data {label} {count:6d} tickets {size / 1024:8.1f} KiB  {seconds * 1000:7.1f} ms"
        )
    seconds, sent, not_ok = sync
    print(
        f"offline sync:    {sent} queued scans in {seconds:.2f} s  {sent / seconds:7.1f} scans/s"
        f"  ({not_ok} not ok)"
    )


def get_json(url: str, token: str) -> tuple[int, float, dict]:
    """(bytes, seconds, body) of one GET with the token."""
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    began = time.perf_counter()
    with urllib.request.urlopen(request, timeout=120) as response:
        raw = response.read()
    return len(raw), time.perf_counter() - began, json.loads(raw)


def door_download(base: str, token: str) -> tuple[tuple, tuple]:
    """The full download (best of three) and an empty delta: (bytes, seconds, tickets)."""
    url = base + "/api/v1/events/bench/checkin/data?list=entrance"
    runs = [get_json(url, token) for _ in range(3)]
    size, _s, body = runs[0]
    full = (size, min(r[1] for r in runs), len(body["tickets"]))
    size, seconds, delta = get_json(f"{url}&since={body['version']}", token)
    return full, (size, seconds, len(delta["tickets"]))


def offline_sync(base: str, token: str, codes: list[str]) -> tuple[float, int, int]:
    """Send queued offline scans one after the other, with their original times."""
    scanned_at = (datetime.now(UTC) - timedelta(minutes=10)).isoformat()
    not_ok = 0
    began = time.perf_counter()
    for n, code in enumerate(codes):
        body = json.dumps(
            {"code": code, "event": "bench", "list": "entrance", "nonce": f"offline-{n}",
             "scanned_at": scanned_at}
        ).encode()  # fmt: skip
        request = urllib.request.Request(
            base + "/api/v1/checkin/redeem",
            data=body,
            headers={"Authorization": f"Bearer {token}", "X-Device": "offline bench",
                     "Content-Type": "application/json"},
            method="POST",
        )  # fmt: skip
        with urllib.request.urlopen(request, timeout=60) as response:
            not_ok += json.loads(response.read())["status"] != "ok"
    return time.perf_counter() - began, len(codes), not_ok


if __name__ == "__main__":
    main()
