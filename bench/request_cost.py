"""CPU per request, in one process, of /healthz, an API registration and a scan, for one
or more checkouts of the project, measured in interleaved rounds.

A load test under gunicorn (``paths.py``) answers how many requests a second a server
takes; on a noisy machine two of its runs differ by more than a change of a tenth. Here
each checkout runs in a process of its own, with the app called in-process (Flask's test
client, one thread) on a PostgreSQL database of its own, and the processes take turns:
every round runs ``--requests`` of each kind in each process, in alternating order. A
request's cost is the process's CPU time plus the CPU time of the database server's
processes for that database (both read from the operating system), so time spent
waiting for the server is not counted, and the server's work is. The table gives the
medians of the rounds and the ratio to ``/healthz``, as ``paths.py`` does.

    python bench/request_cost.py --database-url postgresql://USER@HOST/DB [CHECKOUT ...]

Without a checkout it measures this one. For each checkout, databases named after the one
given, with ``_cost0``, ``_cost1`` … appended, are made (or made again) on the same server,
through its ``postgres`` database.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
PATHS = ("healthz", "registration", "scan")


def _database_cpu(admin_url: str, database: str) -> float:
    """Seconds of CPU used so far by the server processes connected to ``database``."""
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as connection:
        pids = [
            row[0]
            for row in connection.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
                (database,),
            )
        ]
    ticks = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:  # ended meanwhile
            continue
        ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def worker(database_url: str, admin_url: str, tickets: int) -> None:
    """In a checkout's process: build the data, then answer each line ``N`` on standard
    input with the cost of N requests of each kind, as a line of JSON."""
    sys.path[:0] = [str(Path.cwd()), str(Path.cwd() / "bench")]
    from checkin import seed
    from registration_rush import add_rush_event

    from eventapp import create_app
    from eventapp.extensions import db

    instance = tempfile.mkdtemp(prefix="request-cost-")
    token, codes = seed(database_url, instance, tickets)
    os.environ.update(
        {
            "DATABASE_URL": database_url,
            "SECRET_KEY": "bench",
            "EVENTAPP_INSTANCE_PATH": instance,
            "RATELIMIT_ENABLED": "0",
            "MAIL_SEND_INLINE": "0",
        }
    )
    app = create_app()
    with app.app_context():
        slug, workshop = add_rush_event(db, 1000, 500)
        db.session.remove()
    client = app.test_client()
    counters = {"registration": 0, "scan": 0}
    scanner = {"Authorization": f"Bearer {token}", "X-Device": "bench"}

    def healthz() -> None:
        assert client.get("/healthz").status_code == 200

    def registration() -> None:
        counters["registration"] += 1
        n = counters["registration"]
        response = client.post(
            f"/api/v1/events/{slug}/registrations",
            json={
                "first_name": "Rush",
                "last_name": str(n),
                "email": f"rush{n}@example.org",
                "consent_privacy": True,
                "session_ids": [workshop],
            },
        )
        assert response.status_code == 201, response.get_data(as_text=True)

    def scan() -> None:
        counters["scan"] += 1
        response = client.post(
            "/api/v1/checkin/redeem",
            json={"code": codes[counters["scan"]], "event": "bench", "list": "entrance"},
            headers=scanner,
        )
        assert response.json["status"] == "ok", response.get_data(as_text=True)

    requests = {"healthz": healthz, "registration": registration, "scan": scan}
    database = urlsplit(database_url).path.lstrip("/")
    for send in requests.values():  # warm up: compiled statements, prepared ones
        for _ in range(30):
            send()
    print("ready", flush=True)
    for line in sys.stdin:
        count, costs = int(line), {}
        for name, send in requests.items():
            cpu, server = time.process_time(), _database_cpu(admin_url, database)
            for _ in range(count):
                send()
            costs[name] = (
                (time.process_time() - cpu) / count * 1000,
                (_database_cpu(admin_url, database) - server) / count * 1000,
            )
        print(json.dumps(costs), flush=True)


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + name))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkouts", nargs="*", help="folders of checkouts (default: this one)")
    parser.add_argument("--database-url", required=True, help="PostgreSQL URL")
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--requests", type=int, default=150, help="of each kind per round")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    given = args.database_url.replace("postgresql+psycopg://", "postgresql://")
    # The server's own database, to make the others and to look at its processes.
    admin_url = _with_database(given, "postgres")
    if args.worker:
        tickets = args.rounds * args.requests + 100
        worker(os.environ["REQUEST_COST_DATABASE"], admin_url, tickets)
        return
    import psycopg

    checkouts = [Path(c).resolve() for c in args.checkouts] or [ROOT]
    base = urlsplit(given).path.lstrip("/")
    processes = []
    for number, checkout in enumerate(checkouts):
        name = f"{base}_cost{number}"
        with psycopg.connect(admin_url, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
            connection.execute(f'CREATE DATABASE "{name}"')
        command = [sys.executable, str(Path(__file__).resolve()), "--worker"]
        command += ["--database-url", args.database_url]
        command += ["--rounds", str(args.rounds), "--requests", str(args.requests)]
        environment = {
            **os.environ,
            "REQUEST_COST_DATABASE": _with_database(args.database_url, name),
        }
        processes.append(
            subprocess.Popen(
                command,
                cwd=checkout,
                env=environment,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
            )
        )
    print(f"building the data for {len(checkouts)} checkout(s) ...", flush=True)
    for process in processes:
        while (line := process.stdout.readline()) and line.strip() != "ready":
            pass
        if not line:
            raise SystemExit("a checkout's process ended before it was ready")
    results: list[list[dict]] = [[] for _ in checkouts]
    order = list(range(len(checkouts)))
    for number in range(args.rounds):
        print(f"round {number + 1} of {args.rounds} ...", flush=True)
        for index in order if number % 2 == 0 else reversed(order):
            processes[index].stdin.write(f"{args.requests}\n")
            processes[index].stdin.flush()
            results[index].append(json.loads(processes[index].stdout.readline()))
    for process in processes:
        process.stdin.close()
        process.wait()
    print(
        f"\nCPU per request in one process (the app's process plus the database server's), "
        f"medians of {args.rounds} interleaved rounds of {args.requests} requests each"
    )
    for checkout, rounds in zip(checkouts, results, strict=True):
        print(f"{checkout}")
        print(f"  {'path':13s}{'app ms':>8s}{'server ms':>11s}{'total ms':>10s}{'ratio':>8s}")
        healthz = statistics.median(sum(r["healthz"]) for r in rounds)
        for path in PATHS:
            app = statistics.median(r[path][0] for r in rounds)
            server = statistics.median(r[path][1] for r in rounds)
            total = statistics.median(sum(r[path]) for r in rounds)
            print(f"  {path:13s}{app:8.2f}{server:11.2f}{total:10.2f}{healthz / total:7.3f}x")


if __name__ == "__main__":
    main()
