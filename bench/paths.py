"""Every path of the service under load, against /healthz, in one run per database.

Builds the data (the demo congress, or a congress of ``--sessions`` sessions; an open
event for the registration rush; an event with ticket holders and a check-in token for
the door), starts the app under gunicorn (2 workers x 4 threads) and measures each path
with ``wrk`` (1 thread, 20 keep-alive connections):

    /healthz            one ``SELECT 1``
    programme page      /events/<congress>                  (cached page, seats filled in)
    API event           /api/v1/events/<congress>           (cached document)
    warm feed           /events/<congress>/calendar.ics     (cached calendar, 200 with body)
    feed 304            the same with If-None-Match         (revalidation)
    QR PNG              /tickets/<code>.png                 (a confirmed ticket)
    registration (API)  POST /api/v1/events/rush/registrations, a new address each time
    redeem              POST /api/v1/checkin/redeem, a new valid ticket each time

gunicorn keeps each keep-alive connection on the worker that accepted it, so a single
run may load one worker only: the paths are measured in interleaved rounds (every path
once per round, after a short warm-up), and the table gives the medians of the rounds:
req/s (for registration and redeem: successful ones per second), p50, p99, the ratio to
``/healthz`` and the error counts. After the rush it checks in the database that nobody
was overbooked (confirmed <= capacity, workshop seats <= workshop capacity, waiting list
in arrival order).

gunicorn keeps each keep-alive connection on the worker that accepted it, and a worker
takes up to 1000 at once: wrk's 20 connections landed all on one worker in about half
of the runs, which then gave half the throughput (``/healthz`` 900 against 2,700 req/s
in back-to-back runs). The server here caps each worker at its share of the connections
(``--worker-connections``, 10 for 20 connections on 2 workers), so every path is measured
on both workers; ``--unbalanced`` measures without the cap.

    python bench/paths.py                                   # SQLite in a temporary folder
    python bench/paths.py --database-url postgresql://USER@HOST/DB
    python bench/paths.py --rounds 1 --seconds 3            # a quick look
    python bench/paths.py --threads 1                       # one thread per worker

The PostgreSQL database given is emptied first: use one made for the benchmark. Set
``CACHE_URL`` in the environment to measure the shared Redis page cache. Without ``wrk``
(Debian package ``wrk``) a Python load generator runs instead; it competes with the
server for the CPU, and the table says so.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from _server import ROOT, free_port, start_server

sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

HEALTHZ = "/healthz"
WORKERS, THREADS = 2, 4


@dataclass
class Target:
    """One path to measure: a GET with fixed headers, or a POST with a body per request."""

    name: str
    path: str
    headers: dict[str, str] = field(default_factory=dict)
    # "register" or "redeem": each request carries a new body.
    writes: str | None = None


@dataclass
class Setup:
    targets: list[Target]
    rush_slug: str
    workshop_id: int
    capacity: int
    workshop_capacity: int
    token: str
    codes: list[str]


def prepare(database_url: str, instance: str, args: argparse.Namespace) -> Setup:
    """A fresh schema with the programme, the rush event and the door's tickets."""
    from checkin import seed
    from feeds import build_programme
    from registration_rush import add_rush_event

    from eventapp import create_app, models
    from eventapp.demo.services import load_demo
    from eventapp.extensions import db

    # The door's event "bench", its ticket holders and a check-in token (empties the schema).
    token, codes = seed(database_url, instance, args.tickets + 1)
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "bench"})
    with app.app_context():
        if args.sessions:
            event, _registration = build_programme(db, models, args.sessions)
            event.capacity = 500
        else:
            load_demo()
            event = db.session.execute(
                db.select(models.Event).where(
                    models.Event.kind == models.EventKind.CONGRESS, models.Event.slug != "bench"
                )
            ).scalar_one()
        db.session.commit()
        slug = event.slug
        rush_slug, workshop_id = add_rush_event(db, args.capacity, args.workshop_capacity)
        db.session.remove()
        db.engine.dispose()
    # The QR image is drawn for a ticket nobody redeems during the run.
    qr_code, door_codes = codes[0], codes[1:]
    targets = [
        Target("/healthz", HEALTHZ),
        Target("programme page", f"/events/{slug}", {"Accept-Language": "de"}),
        Target("API event", f"/api/v1/events/{slug}"),
        Target("warm feed", f"/events/{slug}/calendar.ics"),
        Target("feed 304", f"/events/{slug}/calendar.ics"),
        Target("QR PNG", f"/tickets/{qr_code}.png"),
        Target("registration", f"/api/v1/events/{rush_slug}/registrations", writes="register"),
        Target("redeem", "/api/v1/checkin/redeem", writes="redeem"),
    ]
    return Setup(
        targets, rush_slug, workshop_id, args.capacity, args.workshop_capacity, token, door_codes
    )


def check_paths(base: str, targets: list[Target]) -> None:
    """Each GET answers as expected before it is measured; the 304 gets its ETag."""
    for target in targets:
        if target.name == "feed 304":
            with urllib.request.urlopen(base + target.path, timeout=30) as response:
                target.headers["If-None-Match"] = response.headers["ETag"]
    for target in targets:
        if target.writes:
            continue
        request = urllib.request.Request(base + target.path, headers=target.headers)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                status = response.status
        except urllib.error.HTTPError as error:
            status = error.code
        expected = 304 if target.name == "feed 304" else 200
        if status != expected:
            raise SystemExit(f"{target.name}: {target.path} answered {status}, not {expected}")


# --- wrk -----------------------------------------------------------------------------------

# Reports what paths.py reads: medians need the figures of each run, the statuses of the
# writes and how many bodies were used (the next run starts after them).
LUA_REPORT = """
local threads = {}
function setup(thread) table.insert(threads, thread) end
function done(summary, latency, requests)
  local sent, counts = 0, {}
  for _, thread in ipairs(threads) do
    sent = sent + (thread:get("sent") or 0)
    for key, n in pairs(thread:get("counts") or {}) do counts[key] = (counts[key] or 0) + n end
  end
  local parts = {}
  for key, n in pairs(counts) do table.insert(parts, string.format('"%s": %d', key, n)) end
  local e = summary.errors
  io.write(string.format(
    '\\nPATHS-RESULT {"requests": %d, "seconds": %f, "p50_ms": %f, "p99_ms": %f,'
    .. ' "status_errors": %d, "socket_errors": %d, "sent": %d, "counts": {%s}}\\n',
    summary.requests, summary.duration / 1e6, latency:percentile(50) / 1000,
    latency:percentile(99) / 1000, e.status, e.connect + e.read + e.write + e.timeout,
    sent, table.concat(parts, ", ")))
end
"""

LUA_WRITES = """
sent, counts = 0, {}
local mode, offset, codes = nil, 0, {}
function init(args)
  mode, offset = args[1], tonumber(args[2])
  if mode == "redeem" then for line in io.lines(args[3]) do table.insert(codes, line) end end
end
function request()
  sent = sent + 1
  local n = offset + sent
  local body
  if mode == "register" then
    body = string.format('{"first_name": "Rush", "last_name": "%d", "email": "rush%d@example.org",'
      .. ' "consent_privacy": true, "session_ids": [WORKSHOP]}', n, n)
  else
    body = string.format('{"code": "%s", "event": "bench", "list": "entrance"}',
      codes[n] or "no-ticket-left")
  end
  return wrk.format("POST", nil, nil, body)
end
function response(status, headers, body)
  local key = tostring(status)
  if mode == "redeem" and status == 200 then
    key = body:match('"status"%s*:%s*"([%w_]+)"') or key
  end
  counts[key] = (counts[key] or 0) + 1
end
"""


class Wrk:
    """Runs wrk for one target; remembers how many bodies each kind of write used."""

    label = "wrk, 1 thread"

    def __init__(self, base: str, setup: Setup, workdir: str, connections: int) -> None:
        self.base = base
        self.connections = connections
        self.offsets = {"register": 0, "redeem": 0}
        self.codes_file = os.path.join(workdir, "codes.txt")
        Path(self.codes_file).write_text("\n".join(setup.codes) + "\n")
        self.get_script = os.path.join(workdir, "get.lua")
        Path(self.get_script).write_text(LUA_REPORT)
        self.post_script = os.path.join(workdir, "post.lua")
        writes = LUA_WRITES.replace("WORKSHOP", str(setup.workshop_id))
        Path(self.post_script).write_text(writes + LUA_REPORT)
        self.token = setup.token

    def run(self, target: Target, seconds: float) -> dict:
        command = ["wrk", "-t1", f"-c{self.connections}", f"-d{seconds:g}s", "--timeout", "10s"]
        headers = dict(target.headers)
        if target.writes:
            headers["Content-Type"] = "application/json"
            if target.writes == "redeem":
                headers["Authorization"] = f"Bearer {self.token}"
                headers["X-Device"] = "bench"
        for name, value in headers.items():
            command += ["-H", f"{name}: {value}"]
        script = self.post_script if target.writes else self.get_script
        command += ["-s", script, self.base + target.path]
        if target.writes:
            command += ["--", target.writes, str(self.offsets[target.writes]), self.codes_file]
        output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
        line = next(x for x in output.splitlines() if x.startswith("PATHS-RESULT "))
        result = json.loads(line.removeprefix("PATHS-RESULT "))
        if target.writes:
            self.offsets[target.writes] += result["sent"]
        return result


# --- the Python load generator (without wrk) ---------------------------------------------


class PythonLoad:
    """asyncio keep-alive connections, a body per request for the writes; shares the CPU."""

    label = "Python asyncio client (no wrk): competes with the server for the CPU"

    def __init__(self, base: str, setup: Setup, _workdir: str, connections: int) -> None:
        self.port = int(base.rsplit(":", 1)[1])
        self.connections = connections
        self.setup = setup
        self.offsets = {"register": 0, "redeem": 0}

    def _body(self, kind: str, n: int) -> bytes:
        if kind == "register":
            return json.dumps(
                {
                    "first_name": "Rush",
                    "last_name": str(n),
                    "email": f"rush{n}@example.org",
                    "consent_privacy": True,
                    "session_ids": [self.setup.workshop_id],
                }
            ).encode()
        code = self.setup.codes[n - 1] if n <= len(self.setup.codes) else "no-ticket-left"
        return json.dumps({"code": code, "event": "bench", "list": "entrance"}).encode()

    def run(self, target: Target, seconds: float) -> dict:
        import asyncio
        import time

        headers = dict(target.headers)
        if target.writes == "redeem":
            headers["Authorization"] = f"Bearer {self.setup.token}"
            headers["X-Device"] = "bench"
        latencies: list[float] = []
        counts: dict[str, int] = {}
        state = {"sent": 0, "errors": 0}
        offset = self.offsets.get(target.writes or "", 0)

        async def connection(deadline: float) -> None:
            reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
            try:
                while time.perf_counter() < deadline:
                    state["sent"] += 1
                    lines = [f"{name}: {value}" for name, value in headers.items()]
                    body = b""
                    method = "GET"
                    if target.writes:
                        method = "POST"
                        body = self._body(target.writes, offset + state["sent"])
                        lines += ["Content-Type: application/json", f"Content-Length: {len(body)}"]
                    head = "\r\n".join(
                        [f"{method} {target.path} HTTP/1.1", "Host: 127.0.0.1", *lines]
                    )
                    began = time.perf_counter()
                    writer.write(head.encode() + b"\r\n\r\n" + body)
                    answer = await reader.readuntil(b"\r\n\r\n")
                    status = int(answer.split(b" ", 2)[1])
                    length = 0
                    for line in answer.split(b"\r\n"):
                        if line.lower().startswith(b"content-length:"):
                            length = int(line.split(b":", 1)[1])
                    content = await reader.readexactly(length)
                    latencies.append((time.perf_counter() - began) * 1000)
                    if target.writes:
                        key = str(status)
                        if target.writes == "redeem" and status == 200:
                            key = json.loads(content).get("status", key)
                        counts[key] = counts.get(key, 0) + 1
                    elif status >= 400:
                        state["errors"] += 1
            finally:
                writer.close()

        async def load() -> float:
            began = time.perf_counter()
            deadline = began + seconds
            await asyncio.gather(*(connection(deadline) for _ in range(self.connections)))
            return time.perf_counter() - began

        elapsed = asyncio.run(load())
        if target.writes:
            self.offsets[target.writes] += state["sent"]
        cuts = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else latencies * 99
        return {
            "requests": len(latencies),
            "seconds": elapsed,
            "p50_ms": statistics.median(latencies),
            "p99_ms": cuts[98],
            "status_errors": state["errors"],
            "socket_errors": 0,
            "sent": state["sent"],
            "counts": counts,
        }


# --- the table ----------------------------------------------------------------------------

SUCCESS = {"register": "201", "redeem": "ok"}


def rate(target: Target, result: dict) -> float:
    """Requests per second; for a write only the successful ones."""
    done = result["counts"].get(SUCCESS[target.writes], 0) if target.writes else None
    return (result["requests"] if done is None else done) / result["seconds"]


def report(title: str, targets: list[Target], results: dict[str, list[dict]]) -> None:
    base = statistics.median(rate(targets[0], r) for r in results[targets[0].name])
    print(f"\n{title}")
    print(
        f"{'path':<15} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'ratio':>7} {'errors':>7}"
        "  statuses"
    )
    for target in targets:
        runs = results[target.name]
        req_s = statistics.median(rate(target, r) for r in runs)
        p50 = statistics.median(r["p50_ms"] for r in runs)
        p99 = statistics.median(r["p99_ms"] for r in runs)
        errors = sum(r["status_errors"] + r["socket_errors"] for r in runs)
        statuses = ""
        if target.writes:
            counts: dict[str, int] = {}
            for r in runs:
                for key, n in r["counts"].items():
                    counts[key] = counts.get(key, 0) + n
            success = SUCCESS[target.writes]
            errors = sum(n for key, n in counts.items() if key != success)
            errors += sum(r["socket_errors"] for r in runs)
            statuses = "  " + ", ".join(f"{key}: {n}" for key, n in sorted(counts.items()))
        print(
            f"{target.name:<15} {req_s:8.0f} {p50:8.1f} {p99:8.1f} {req_s / base:6.2f}x"
            f" {errors:7d}{statuses}"
        )
    print("req/s: medians of the rounds; registration and redeem: successful requests only.")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="PostgreSQL URL (emptied first); default SQLite")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=10.0, help="per path and round")
    parser.add_argument("--warm-up", type=float, default=2.0, help="seconds per path, once")
    parser.add_argument("--connections", type=int, default=20)
    parser.add_argument(
        "--sessions", type=int, default=0, help="a congress of N sessions (default: the demo)"
    )
    parser.add_argument("--capacity", type=int, default=1000, help="of the rush event")
    parser.add_argument("--workshop-capacity", type=int, default=500)
    parser.add_argument(
        "--tickets",
        type=int,
        help="ticket holders for the redeem runs (default: 1000 per second of redeem load)",
    )
    parser.add_argument("--python-client", action="store_true", help="even if wrk is there")
    parser.add_argument("--only", help="comma-separated path names to measure (and /healthz)")
    parser.add_argument(
        "--threads",
        type=int,
        default=THREADS,
        help=f"per worker (default {THREADS}, the measure of the goals; 1 shows what the "
        "threads of one worker cost each other)",
    )
    parser.add_argument(
        "--unbalanced", action="store_true", help="no cap on a worker's connections"
    )
    args = parser.parse_args()
    if args.tickets is None:
        args.tickets = int(1000 * (args.rounds * args.seconds + args.warm_up))

    from registration_rush import verify

    from eventapp.config import database_url as normalize

    instance = tempfile.mkdtemp(prefix="paths-bench-")
    raw_url = args.database_url or "sqlite:///" + os.path.join(instance, "bench.db")
    database_url = normalize(raw_url, instance)
    print("building the data ...", flush=True)
    setup = prepare(database_url, instance, args)
    targets = setup.targets
    if args.only:
        wanted = {name.strip() for name in args.only.split(",")} | {HEALTHZ}
        targets = [t for t in targets if t.name in wanted]
    port = free_port()
    share = None if args.unbalanced else -(-args.connections // WORKERS)
    server = start_server(raw_url, port, WORKERS, args.threads, instance, share)
    base = f"http://127.0.0.1:{port}"
    use_wrk = shutil.which("wrk") and not args.python_client
    load = (Wrk if use_wrk else PythonLoad)(base, setup, instance, args.connections)
    results: dict[str, list[dict]] = {t.name: [] for t in targets}
    try:
        check_paths(base, targets)
        print("warming up ...", flush=True)
        for target in targets:
            load.run(target, args.warm_up)
        for number in range(args.rounds):
            print(f"round {number + 1} of {args.rounds} ...", flush=True)
            for target in targets:
                results[target.name].append(load.run(target, args.seconds))
    finally:
        server.terminate()
        server.wait(timeout=30)

    kind = "PostgreSQL" if args.database_url else "SQLite"
    programme = f"{args.sessions} sessions" if args.sessions else "demo programme"
    cache = "Redis (CACHE_URL)" if os.environ.get("CACHE_URL") else "per-process"
    balance = f"at most {share} connections each" if share else "connections unbalanced"
    report(
        f"{kind}, {programme}, gunicorn {WORKERS} workers x {args.threads} threads ({balance}), "
        f"page cache: {cache}\n{load.label}, {args.connections} connections, "
        f"{args.rounds} interleaved rounds of {args.seconds:g} s",
        targets,
        results,
    )
    if any(t.writes == "register" for t in targets):
        registered = stored_registrations(database_url, setup.rush_slug)
        problems = verify(
            database_url, registered, setup.capacity, setup.workshop_capacity, setup.rush_slug
        )
        if problems:
            print("OVERBOOKED or out of order: " + "; ".join(problems))
            raise SystemExit(1)
        print(
            f"no overbooking: the rush event holds at most {setup.capacity} confirmed, its "
            f"workshop at most {setup.workshop_capacity} seats; waiting list in arrival order"
        )
    if load.offsets["redeem"] > len(setup.codes):
        print(f"note: the redeem runs used up the {len(setup.codes)} tickets (--tickets)")


def stored_registrations(database_url: str, slug: str) -> int:
    """How many registrations the event has (the warm-up's and the rounds')."""
    from eventapp import create_app
    from eventapp.extensions import db
    from eventapp.models import Event, Registration

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "bench"})
    with app.app_context():
        count = db.session.execute(
            db.select(db.func.count(Registration.id)).join(Event).where(Event.slug == slug)
        ).scalar_one()
        db.session.remove()
        db.engine.dispose()
    return count


if __name__ == "__main__":
    main()
