"""What a scrape reports: request metrics, plus counts read from the database right then.

The database gauges are a few grouped ``COUNT`` queries per scrape, so every worker and
instance reports the same truth and nothing has to be kept in step with the services.
Labels carry event slugs and statuses only, never anything about a person.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime

from flask import Flask, current_app
from prometheus_client import CollectorRegistry, ProcessCollector
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from sqlalchemy.exc import SQLAlchemyError

from eventapp.extensions import db
from eventapp.metrics.requests import REQUEST_DURATION
from eventapp.models import (
    ENTRANCE,
    CheckIn,
    Event,
    OutboxMessage,
    OutboxStatus,
    Registration,
    RegistrationStatus,
)

# The job queue's depth by state, e.g. {"queued": 3, "running": 1}; see ``watch_job_queue``.
JobQueueDepth = Callable[[], Mapping[str, int]]
_EXTENSION = "eventapp.metrics"

# This process's CPU, memory and open files; only without multiprocess mode, where each
# scrape would see just the one worker that answers it.
_PROCESS = ProcessCollector(registry=None)


def watch_job_queue(app: Flask, depth: JobQueueDepth) -> None:
    """Report ``eventapp_job_queue_depth{state}`` from ``depth()`` at each scrape.

    There is no job table yet: whoever adds the background jobs calls this in
    ``create_app`` with a function that counts them (one cheap grouped query).
    """
    app.extensions[_EXTENSION] = {"job_queue": depth}


class DatabaseCollector(Collector):
    """Registrations, check-ins, the outbox and the job queue, counted at scrape time."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        started = time.perf_counter()
        try:
            families = [
                *self._registrations_and_check_ins(),
                *self._outbox(),
                *self._job_queue(),
            ]
            up = 1
        except SQLAlchemyError:
            # The request metrics matter most when the database is in trouble: answer with
            # them instead of failing the whole scrape.
            current_app.logger.warning("metrics: the database could not be read", exc_info=True)
            db.session.rollback()
            families, up = [], 0
        yield from families
        yield GaugeMetricFamily(
            "eventapp_database_up", "1 if the scrape could read the database, else 0.", value=up
        )
        yield GaugeMetricFamily(
            "eventapp_metrics_database_seconds",
            "Time the scrape spent counting in the database.",
            value=time.perf_counter() - started,
        )

    def _registrations_and_check_ins(self) -> list[GaugeMetricFamily]:
        registrations = GaugeMetricFamily(
            "eventapp_registrations",
            "Registrations by event and status.",
            labels=("event", "status"),
        )
        checked_in = GaugeMetricFamily(
            "eventapp_checked_in", "People admitted at the entrance, by event.", labels=("event",)
        )
        inside = GaugeMetricFamily(
            "eventapp_inside",
            "People admitted at the entrance and not scanned out since, by event.",
            labels=("event",),
        )
        counts: dict[tuple[int, str], dict[str, int]] = {}
        rows = db.session.execute(
            db.select(Event.id, Event.slug, Registration.status, db.func.count(Registration.id))
            .outerjoin(Registration, Registration.event_id == Event.id)
            .group_by(Event.id, Event.slug, Registration.status)
        )
        for event_id, slug, status, number in rows:
            # Every status of every event, zeros included: an alert on a rate needs the series.
            per_status = counts.setdefault((event_id, slug), dict.fromkeys(RegistrationStatus, 0))
            if status is not None:
                per_status[status] = number
        for (_id, slug), per_status in sorted(counts.items(), key=lambda item: item[0][1]):
            for status, number in per_status.items():
                registrations.add_metric((slug, str(status)), number)
        admitted = {
            event_id: (total, present)
            for event_id, total, present in db.session.execute(
                db.select(
                    Registration.event_id,
                    db.func.count(CheckIn.id),
                    db.func.count(CheckIn.id).filter(CheckIn.left_at.is_(None)),
                )
                .select_from(CheckIn)
                .join(Registration, CheckIn.registration_id == Registration.id)
                .where(CheckIn.list_key == ENTRANCE)
                .group_by(Registration.event_id)
            )
        }
        for event_id, slug in sorted(counts, key=lambda key: key[1]):
            total, present = admitted.get(event_id, (0, 0))
            checked_in.add_metric((slug,), total)
            inside.add_metric((slug,), present)
        return [registrations, checked_in, inside]

    def _outbox(self) -> list[GaugeMetricFamily]:
        rows = {
            status: (number, oldest)
            for status, number, oldest in db.session.execute(
                db.select(
                    OutboxMessage.status,
                    db.func.count(OutboxMessage.id),
                    db.func.min(OutboxMessage.created_at),
                )
                .where(OutboxMessage.status.in_((OutboxStatus.PENDING, OutboxStatus.FAILED)))
                .group_by(OutboxMessage.status)
            )
        }
        pending, oldest = rows.get(OutboxStatus.PENDING, (0, None))
        failed, _oldest_failed = rows.get(OutboxStatus.FAILED, (0, None))
        age = (datetime.now(UTC) - oldest).total_seconds() if oldest is not None else 0.0
        return [
            GaugeMetricFamily(
                "eventapp_outbox_pending_messages",
                "Mails in the outbox not sent yet (due now or waiting for a retry).",
                value=pending,
            ),
            GaugeMetricFamily(
                "eventapp_outbox_oldest_pending_age_seconds",
                "Age of the oldest mail not sent yet; 0 when none waits.",
                value=max(age, 0.0),
            ),
            GaugeMetricFamily(
                "eventapp_outbox_failed_messages",
                "Mails given up after every retry (`mail retry` sends them again).",
                value=failed,
            ),
        ]

    def _job_queue(self) -> list[GaugeMetricFamily]:
        depth = current_app.extensions.get(_EXTENSION, {}).get("job_queue")
        if depth is None:
            return []
        family = GaugeMetricFamily(
            "eventapp_job_queue_depth", "Background jobs by state.", labels=("state",)
        )
        for state, number in sorted(depth().items()):
            family.add_metric((state,), number)
        return [family]


def scrape_registry(app: Flask) -> CollectorRegistry:
    """A registry for one scrape: every worker's request metrics and the database's counts."""
    registry = CollectorRegistry(auto_describe=False)
    folder = app.config.get("PROMETHEUS_MULTIPROC_DIR")
    if folder:
        MultiProcessCollector(registry, path=folder)
    else:
        registry.register(REQUEST_DURATION)
        registry.register(_PROCESS)
    registry.register(DatabaseCollector())
    return registry
