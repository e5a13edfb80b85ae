"""Benchmark door check-in: redeem ok/s, p50/p99 latency and the ratio to /healthz.

Runs the app under gunicorn on a fresh database (SQLite in a temporary folder, or
``DATABASE_URL``, which is emptied first: use one made for the benchmark), seeds one
event with enough registrations, and lets ``--connections`` scanners redeem tickets for
``--seconds``, every request a real check-in (a write) of a ticket not scanned before.
For comparison it measures a trivial endpoint of the same app (``/healthz``) in the
same run with the same load. The load comes from ``wrk`` when it is installed (one
Lua script gives every request its own ticket), else from Python threads.

Offline scanners: it also measures the door data download for the whole event
(``--door-tickets``, default 10 000: bytes and time, full and a delta) and the sync of
``--offline-scans`` (default 500) queued offline scans sent one after the other by one
device, as the scanner page does (time, scans per second).

    .venv/bin/python bench/checkin.py [--connections 20] [--seconds 10] [--workers 2]
        [--threads 4] [--door-tickets 10000] [--offline-scans 500] [--no-wrk]
    DATABASE_URL=postgresql://USER@HOST/DB .venv/bin/python bench/checkin.py

``seed`` (tickets and a token) and ``redeem_request`` (one scan as method, path,
headers and body) are importable for other benchmarks.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from _server import ROOT, free_port, start_server

sys.path.insert(0, str(ROOT))

REDEEM_PATH = "/api/v1/checkin/redeem"
EVENT_SLUG = "bench"
HOUR_US = 3600 * 1_000_000


def seed(database_url: str, instance: str, registrations: int) -> tuple[str, list[str]]:
    """A fresh schema with one event, its registrations and a check-in token.

    Returns the token and the registrations' ticket codes.
    """
    os.environ["EVENTAPP_INSTANCE_PATH"] = instance
    from sqlalchemy import update

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
            slug=EVENT_SLUG,
            title="Bench",
            starts_at=start,
            ends_at=start + timedelta(hours=8),
            status=EventStatus.PUBLISHED,
        )
        db.session.add(event)
        people = []
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
            people.append(registration)
        user = create_user("bench@example.org", "bench-password", "checkin")
        token = create_token(user, "bench")
        db.session.commit()
        # Registered long before the door opens: a delta repeats only the last two
        # minutes' changes (the overlap of door versions), not the seeding.
        db.session.execute(
            update(Registration).values(door_version=Registration.door_version - HOUR_US)
        )
        db.session.commit()
        ticket_codes = [r.ticket_code for r in people]
        db.engine.dispose()
    return token, ticket_codes


def redeem_request(
    token: str, code: str, *, device: str = "bench", **extra: str
) -> tuple[str, str, dict[str, str], bytes]:
    """One scan at the entrance as a scanner sends it: (method, path, headers, body).

    ``extra`` adds fields to the body (``nonce``, ``scanned_at``, ``direction``).
    """
    body = {"code": code, "event": EVENT_SLUG, "list": "entrance", **extra}
    headers = {
        "Authorization": f"Bearer {token}",
        "X-Device": device,
        "Content-Type": "application/json",
    }
    return "POST", REDEEM_PATH, headers, json.dumps(body).encode()


@dataclass
class Load:
    """What one load run measured."""

    seconds: float
    requests: int
    ok: int
    p50_ms: float
    p99_ms: float
    errors: int  # sockets failing, timeouts, non-2xx answers

    @property
    def ok_per_second(self) -> float:
        return self.ok / self.seconds


# --- load with wrk --------------------------------------------------------------------

# Each wrk thread walks its own stride of the codes, so no ticket is scanned twice.
# ``ok`` counts answers that checked someone in (for /healthz: any 200).
WRK_SCRIPT = """
local codes = {}
for line in io.lines(os.getenv("BENCH_CODES")) do codes[#codes + 1] = line end
local template = os.getenv("BENCH_BODY")
local token = os.getenv("BENCH_TOKEN")
local redeem = os.getenv("BENCH_MODE") == "redeem"
local threads = {}
local count = 0

function setup(thread)
  thread:set("first", count)
  count = count + 1
  table.insert(threads, thread)
end

function init(args)
  stride = tonumber(args[1])
  index = first + 1
  ok = 0
  headers = {["Authorization"] = "Bearer " .. token, ["X-Device"] = "bench",
             ["Content-Type"] = "application/json"}
end

function request()
  if not redeem then return wrk.format("GET", "/healthz") end
  local code = codes[index] or "exhausted"
  index = index + stride
  return wrk.format("POST", "/api/v1/checkin/redeem", headers, (template:gsub("CODE", code)))
end

function response(status, headers, body)
  if status == 200 and (not redeem or body:find('"status":%s*"ok"')) then ok = ok + 1 end
end

function done(summary, latency, requests)
  local total_ok = 0
  for _, thread in ipairs(threads) do total_ok = total_ok + thread:get("ok") end
  local e = summary.errors
  io.write(string.format("BENCH %d %d %d %d %d %d\\n", summary.duration, summary.requests,
    total_ok, latency:percentile(50), latency:percentile(99),
    e.connect + e.read + e.write + e.timeout + e.status))
end
"""


def wrk_load(
    base: str, token: str, codes: list[str], connections: int, seconds: int, mode: str
) -> Load:
    """Run wrk against ``/healthz`` or redeem (``mode``) for ``seconds``."""
    threads = min(connections, os.cpu_count() or 2, 4)
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp, "load.lua")
        script.write_text(WRK_SCRIPT)
        codes_file = Path(tmp, "codes.txt")
        codes_file.write_text("\n".join(codes) + "\n")
        _method, _path, _headers, body = redeem_request(token, "CODE")
        env = {
            **os.environ,
            "BENCH_CODES": str(codes_file),
            "BENCH_BODY": body.decode(),
            "BENCH_TOKEN": token,
            "BENCH_MODE": mode,
        }
        command = [
            "wrk", "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s",
            "--timeout", "30s", "-s", str(script), base, "--", str(threads),
        ]  # fmt: skip
        output = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
    match = re.search(r"^BENCH (\d+) (\d+) (\d+) (\d+) (\d+) (\d+)$", output.stdout, re.M)
    if match is None:
        raise SystemExit("wrk gave no figures:\n" + output.stdout + output.stderr)
    duration_us, requests, ok, p50_us, p99_us, errors = map(int, match.groups())
    return Load(duration_us / 1e6, requests, ok, p50_us / 1000, p99_us / 1000, errors)


# --- load with Python threads (no wrk) ------------------------------------------------


def thread_load(
    base: str, token: str, codes: list[str], connections: int, seconds: int, mode: str
) -> Load:
    """The same measurement from Python threads (slower client: figures are lower)."""
    latencies: list[float] = []
    counts = {"ok": 0, "errors": 0}
    lock = threading.Lock()
    queue = list(reversed(codes))
    deadline = time.perf_counter() + seconds

    def call() -> bool:
        if mode != "redeem":
            with urllib.request.urlopen(base + "/healthz", timeout=30) as response:
                return response.status == 200
        with lock:
            code = queue.pop() if queue else "exhausted"
        method, path, headers, body = redeem_request(token, code)
        request = urllib.request.Request(base + path, data=body, headers=headers, method=method)
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read())["status"] == "ok"

    def worker() -> None:
        while time.perf_counter() < deadline:
            began = time.perf_counter()
            try:
                ok, failed = call(), False
            except OSError:
                ok, failed = False, True
            elapsed = time.perf_counter() - began
            with lock:
                latencies.append(elapsed)
                counts["ok"] += ok
                counts["errors"] += failed

    threads = [threading.Thread(target=worker) for _ in range(connections)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    latencies.sort()

    def percentile(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000

    return Load(
        time.perf_counter() - began,
        len(latencies),
        counts["ok"],
        percentile(0.50),
        percentile(0.99),
        counts["errors"],
    )


# --- offline scanners -----------------------------------------------------------------


def get_json(url: str, token: str) -> tuple[int, float, dict]:
    """(bytes, seconds, body) of one GET with the token."""
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    began = time.perf_counter()
    with urllib.request.urlopen(request, timeout=120) as response:
        raw = response.read()
    return len(raw), time.perf_counter() - began, json.loads(raw)


def door_download(base: str, token: str) -> tuple[tuple, tuple]:
    """The full download (best of three) and a delta: (bytes, seconds, tickets).

    The delta repeats what changed in the last two minutes (the overlap of door
    versions), here the check-ins of the redeem run.
    """
    url = f"{base}/api/v1/events/{EVENT_SLUG}/checkin/data?list=entrance"
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
        method, path, headers, body = redeem_request(
            token, code, device="offline bench", nonce=f"offline-{n}", scanned_at=scanned_at
        )
        request = urllib.request.Request(base + path, data=body, headers=headers, method=method)
        with urllib.request.urlopen(request, timeout=60) as response:
            not_ok += json.loads(response.read())["status"] != "ok"
    return time.perf_counter() - began, len(codes), not_ok


# --- the run ----------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--connections", type=int, default=20)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--tickets", type=int, default=20_000, help="codes for the redeem run")
    parser.add_argument("--door-tickets", type=int, default=10_000)
    parser.add_argument("--offline-scans", type=int, default=500)
    parser.add_argument("--no-wrk", action="store_true", help="load from Python threads")
    args = parser.parse_args()
    use_wrk = not args.no_wrk and shutil.which("wrk") is not None
    load = wrk_load if use_wrk else thread_load
    registrations = max(args.door_tickets, args.tickets + args.offline_scans)

    with tempfile.TemporaryDirectory() as tmp:
        database_url = os.environ.get("DATABASE_URL") or f"sqlite:///{tmp}/bench.db"
        from eventapp.config import database_url as normalize

        token, all_codes = seed(normalize(database_url, tmp), tmp, registrations)
        codes = all_codes[: args.tickets]
        queued = all_codes[args.tickets : args.tickets + args.offline_scans]
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        server = start_server(database_url, port, args.workers, args.threads, tmp)
        try:
            load(base, token, [], args.connections, 2, "healthz")  # warm every worker up
            health = load(base, token, [], args.connections, args.seconds, "healthz")
            redeem = load(base, token, codes, args.connections, args.seconds, "redeem")
            door = door_download(base, token)
            sync = offline_sync(base, token, queued)
        finally:
            server.terminate()
            server.wait(timeout=15)

    backend = database_url.split(":", 1)[0].split("+", 1)[0]
    print(
        f"backend {backend}, gunicorn {args.workers} workers x {args.threads} threads, "
        f"{args.connections} connections, {args.seconds} s each, "
        f"load from {'wrk' if use_wrk else 'Python threads'}"
    )
    for label, run in (("redeem: ", redeem), ("healthz:", health)):
        not_ok = run.requests - run.ok
        print(
            f"{label} {run.ok_per_second:8.1f} ok/s  p50 {run.p50_ms:6.1f} ms"
            f"  p99 {run.p99_ms:6.1f} ms  ({run.requests} requests, {not_ok} not ok,"
            f" {run.errors} errors)"
        )
    print(f"ratio redeem/healthz: {redeem.ok_per_second / health.ok_per_second:.2f}")
    if redeem.requests > len(codes):
        print(f"warning: {redeem.requests - len(codes)} requests found no fresh ticket")
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


if __name__ == "__main__":
    main()
