"""What the benchmarks share: a free port and the app under gunicorn on a given database."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(
    database_url: str,
    port: int,
    workers: int,
    threads: int,
    instance: str,
    worker_connections: int | None = None,
) -> subprocess.Popen:
    """Start gunicorn on 127.0.0.1:``port`` and return once ``/healthz`` answers.

    ``worker_connections`` caps the connections a worker holds at once: a worker then
    leaves the rest of a burst of keep-alive connections to the others.
    """
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "SECRET_KEY": "bench",
        "EVENTAPP_INSTANCE_PATH": instance,
        "RATELIMIT_ENABLED": "0",
        "MAIL_SEND_INLINE": "0",
    }
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "-c",
        "python:eventapp.gunicorn_conf",
        "--workers",
        str(workers),
        "--threads",
        str(threads),
        "--bind",
        f"127.0.0.1:{port}",
        "--log-level",
        "warning",
        "wsgi:app",
    ]
    if worker_connections:
        command[-1:-1] = ["--worker-connections", str(worker_connections)]
    process = subprocess.Popen(command, cwd=ROOT, env=env)
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
                return process
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise SystemExit("the server did not start") from None
            time.sleep(0.2)
