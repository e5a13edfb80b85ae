"""gunicorn settings: ``gunicorn -c python:eventapp.gunicorn_conf … wsgi:app``.

gunicorn has no setting for its ``Server: gunicorn`` header, which tells every
visitor which server to look up vulnerabilities for. Its responses are sent
without that line. With ``PROMETHEUS_MULTIPROC_DIR`` set, the hooks below keep the
workers' metric files right (README, "Metrics").
"""

import os
from pathlib import Path

from gunicorn.http import wsgi

_default_headers = wsgi.Response.default_headers


def _default_headers_without_server(self):
    return [line for line in _default_headers(self) if not line.lower().startswith("server:")]


wsgi.Response.default_headers = _default_headers_without_server


# Metrics under several workers (``PROMETHEUS_MULTIPROC_DIR``, see the README's "Metrics"):
# prometheus_client keeps each worker's values in files of that folder.
_METRIC_FILES = ("counter_*.db", "gauge_*.db", "histogram_*.db", "summary_*.db")


def on_starting(server):
    """Start the counts afresh: files left by an earlier run would be added to this one's."""
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if folder:
        for pattern in _METRIC_FILES:
            for path in Path(folder).glob(pattern):
                path.unlink(missing_ok=True)


def child_exit(server, worker):
    """A worker that ended leaves its counts in place; its live gauges are dropped."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
