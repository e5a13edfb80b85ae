"""Prometheus metrics on ``/metrics``: request latency per endpoint, and the database's counts.

``requests`` times every request (only while ``METRICS_TOKEN`` is set); ``collectors``
reads registrations, check-ins and the outbox at scrape time; ``views`` answers the scrape.
"""

from flask import Blueprint

bp = Blueprint("metrics", __name__)

from eventapp.metrics import views  # noqa: E402, F401
