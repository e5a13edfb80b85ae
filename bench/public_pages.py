"""Public pages under load: gunicorn (2 workers x 4 threads) on SQLite and on PostgreSQL.

Builds a 300-session congress, starts the app under gunicorn and drives it with a
small asyncio load generator (``wrk`` is not installed here): 20 concurrent keep-alive
connections, anonymous GETs. Paths are measured in interleaved rounds (gunicorn keeps a
keep-alive connection on the worker that accepted it, so one run may load one worker
only); the table gives the median of the rounds' req/s, p50 and p99 over all rounds,
and the ratio to ``/healthz`` measured in the same rounds.

    python bench/public_pages.py [--rounds 3] [--seconds 5] [--sessions 300]
    python bench/public_pages.py --database-url postgresql://USER@HOST/DB

The PostgreSQL database given is emptied first: use one made for the benchmark.
Set ``CACHE_URL`` in the environment to measure the shared Redis cache.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time

from _server import ROOT, free_port, start_server

sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))


def prepare(database_url: str, sessions: int) -> dict[str, str]:
    """A fresh schema with a programme; returns the paths to measure.

    ``sessions`` 0: the demo congress and site visits (``flask demo load``, the programme
    the issue measured); otherwise the feeds benchmark's congress with that many sessions.
    """
    from feeds import build_programme

    from eventapp import create_app, models
    from eventapp.config import database_url as normalize
    from eventapp.demo.services import load_demo
    from eventapp.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": normalize(database_url, ""), "TESTING": True})
    with app.app_context():
        db.drop_all()
        db.create_all()
        if sessions:
            event, _registration = build_programme(db, models, sessions)
            event.capacity = 500
        else:
            load_demo()
            event = db.session.execute(
                db.select(models.Event).where(models.Event.kind == models.EventKind.CONGRESS)
            ).scalar_one()
        db.session.commit()
        session_id = event.sessions[0].id
        paths = {
            "/healthz": "/healthz",
            "programme page": f"/events/{event.slug}",
            "API event": f"/api/v1/events/{event.slug}",
            "event list": "/",
            "session page": f"/events/{event.slug}/sessions/{session_id}",
        }
        db.session.remove()
        db.engine.dispose()
    return paths


async def _connection(port: int, path: str, deadline: float, latencies: list[float], errors: list):
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    request = (
        f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept-Language: de\r\n"
        "Connection: keep-alive\r\n\r\n"
    ).encode()
    try:
        while time.perf_counter() < deadline:
            began = time.perf_counter()
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head.split(b" ", 2)[1])
            length = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            await reader.readexactly(length)
            latencies.append((time.perf_counter() - began) * 1000)
            if status != 200:
                errors.append(status)
    finally:
        writer.close()


async def _load(port: int, path: str, seconds: float, connections: int):
    latencies: list[float] = []
    errors: list[int] = []
    began = time.perf_counter()
    deadline = began + seconds
    await asyncio.gather(
        *(_connection(port, path, deadline, latencies, errors) for _ in range(connections))
    )
    return len(latencies) / (time.perf_counter() - began), latencies, errors


def measure(port: int, paths: dict[str, str], rounds: int, seconds: float, connections: int):
    rates: dict[str, list[float]] = {name: [] for name in paths}
    latencies: dict[str, list[float]] = {name: [] for name in paths}
    errors: dict[str, list[int]] = {name: [] for name in paths}
    for path in paths.values():  # warm up every worker's caches and pools
        asyncio.run(_load(port, path, 1.0, connections))
    for _ in range(rounds):
        for name, path in paths.items():
            rate, lat, errs = asyncio.run(_load(port, path, seconds, connections))
            rates[name].append(rate)
            latencies[name].extend(lat)
            errors[name].extend(errs)
    return rates, latencies, errors


def report(label: str, rates, latencies, errors) -> None:
    base = statistics.median(rates["/healthz"])
    print(f"\n{label}")
    print(f"{'path':<16} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'ratio':>7} {'errors':>7}")
    for name in rates:
        rate = statistics.median(rates[name])
        cuts = statistics.quantiles(latencies[name], n=100)
        print(
            f"{name:<16} {rate:8.0f} {statistics.median(latencies[name]):8.1f} {cuts[98]:8.1f}"
            f" {rate / base:6.2f}x {len(errors[name]):7d}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="PostgreSQL URL (emptied first); default SQLite")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--connections", type=int, default=20)
    parser.add_argument(
        "--sessions", type=int, default=0, help="a synthetic congress of N sessions (default: demo)"
    )
    args = parser.parse_args()

    instance = tempfile.mkdtemp(prefix="pages-bench-")
    database_url = args.database_url or "sqlite:///" + os.path.join(instance, "bench.db")
    paths = prepare(database_url, args.sessions)
    port = free_port()
    server = start_server(database_url, port, workers=2, threads=4, instance=instance)
    try:
        rates, latencies, errors = measure(port, paths, args.rounds, args.seconds, args.connections)
    finally:
        server.terminate()
        server.wait(timeout=30)
    kind = "PostgreSQL" if args.database_url else "SQLite"
    cache = os.environ.get("CACHE_URL") or "per-process"
    programme = f"{args.sessions} sessions" if args.sessions else "demo programme"
    report(
        f"{kind}, {programme}, gunicorn 2x4, "
        f"{args.connections} keep-alive connections (asyncio client), "
        f"{args.rounds} interleaved rounds of {args.seconds:g} s, cache: {cache}",
        rates,
        latencies,
        errors,
    )


if __name__ == "__main__":
    main()
