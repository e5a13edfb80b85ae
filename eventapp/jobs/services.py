"""Queue, claim, run and expire background jobs.

Two workers never run one job twice: a worker claims a job with one conditional UPDATE
(``status`` from queued to running), and only the worker whose UPDATE changed the row runs
it. A running job writes its progress and a heartbeat on a connection of its own, so the
back office sees it while the work's own transaction is still open. A job whose heartbeat is
older than ``JOB_STALE_MINUTES`` lost its worker (killed, machine restarted): it is queued
again once, then marked failed with a message saying so.
"""

from __future__ import annotations

import logging
import os
import socket
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from flask_babel import force_locale
from sqlalchemy import select, update

from eventapp.database import read_only, write_transaction
from eventapp.extensions import db
from eventapp.jobs import files
from eventapp.jobs.kinds import KINDS, MIMETYPES, JobKind
from eventapp.models import Event, Job, JobStatus, User, utcnow

log = logging.getLogger(__name__)

# A job is run at most this often; a worker that died twice on it will die again.
MAX_ATTEMPTS = 2
# How often a running job writes its progress (seconds): often enough for a progress bar.
PROGRESS_EVERY = 0.5
# Stored in English for operators; ``views.error_text`` says it in the reader's language.
STALE_MESSAGE = "The worker stopped while running this job (no heartbeat for {minutes} minutes)."
ERASED_MESSAGE = "The personal data of this event was erased."


class JobLost(RuntimeError):
    """The job is no longer this worker's (another worker took it over after a stall)."""


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:80]


def kind_of(job: Job) -> JobKind:
    return KINDS[job.kind]


def enqueue(
    kind: str, event: Event, user: User | None, params: dict[str, Any] | None = None
) -> Job:
    """Queue a job for the worker (the caller commits). The same job still queued or running
    for the event is returned instead of a second one, so a double click starts one job."""
    params = dict(params or {})
    KINDS[kind].check(params)
    waiting = db.session.execute(
        select(Job)
        .where(
            Job.event_id == event.id,
            Job.kind == kind,
            Job.status.in_([JobStatus.QUEUED, JobStatus.RUNNING]),
        )
        .order_by(Job.id)
    ).scalars()
    for job in waiting:
        if _same_params(job.params, params):
            return job
    job = Job(kind=kind, event=event, created_by=user, params=params)
    db.session.add(job)
    db.session.flush()
    return job


def _same_params(stored: dict[str, Any], wanted: dict[str, Any]) -> bool:
    ignore = {"locale"}
    return {k: v for k, v in stored.items() if k not in ignore} == {
        k: v for k, v in wanted.items() if k not in ignore
    }


def event_jobs(event: Event, limit: int = 50) -> list[Job]:
    """The event's jobs, newest first."""
    return list(
        db.session.execute(
            select(Job).where(Job.event_id == event.id).order_by(Job.id.desc()).limit(limit)
        ).scalars()
    )


def claim(worker: str, now: datetime | None = None) -> int | None:
    """Take the oldest queued job for ``worker``; its id, or None when there is none."""
    now = now or utcnow()
    candidates = db.session.execute(
        select(Job.id)
        .where(Job.status == JobStatus.QUEUED)
        .order_by(Job.created_at, Job.id)
        .limit(5)
    ).scalars()
    for job_id in list(candidates):
        result = db.session.execute(
            update(Job)
            .where(Job.id == job_id, Job.status == JobStatus.QUEUED)
            .values(
                status=JobStatus.RUNNING.value,
                claimed_by=worker,
                started_at=now,
                heartbeat_at=now,
                attempts=Job.attempts + 1,
                progress_done=0,
                error="",
            )
            .execution_options(synchronize_session=False)
        )
        db.session.commit()
        if result.rowcount == 1:
            return job_id
    db.session.commit()
    return None


class Progress:
    """Counts a job's work and writes it (with the heartbeat) now and then."""

    def __init__(self, job_id: int, worker: str) -> None:
        self.job_id, self.worker = job_id, worker
        self.done, self.total = 0, 0
        self._written = 0.0

    def start(self, total: int) -> None:
        self.total = total
        self._write()

    def advance(self, count: int = 1) -> None:
        self.done += count
        if time.monotonic() - self._written >= PROGRESS_EVERY:
            self._write()

    def _write(self) -> None:
        # A connection of its own: the job's transaction stays open while it works.
        with write_transaction(), db.engine.begin() as connection:
            result = connection.execute(
                update(Job)
                .where(
                    Job.id == self.job_id,
                    Job.claimed_by == self.worker,
                    Job.status == JobStatus.RUNNING,
                )
                .values(
                    progress_done=min(self.done, self.total),
                    progress_total=self.total,
                    heartbeat_at=utcnow(),
                )
            )
        if result.rowcount != 1:
            raise JobLost(f"job {self.job_id} is no longer run by {self.worker}")
        self._written = time.monotonic()


def _finish(job_id: int, worker: str, **values: Any) -> bool:
    result = db.session.execute(
        update(Job)
        .where(Job.id == job_id, Job.claimed_by == worker, Job.status == JobStatus.RUNNING)
        .values(finished_at=utcnow(), heartbeat_at=utcnow(), **values)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return result.rowcount == 1


def run(job_id: int, worker: str) -> JobStatus:
    """Run a job this worker claimed; stores the result file or the error."""
    job = db.session.get(Job, job_id)
    kind = kind_of(job)
    extension = kind.extension_for(job.params)
    name = files.new_name(job.id, extension) if kind.makes_file else None
    progress = Progress(job.id, worker)
    try:
        with force_locale(job.params.get("locale") or "de"):
            # What the work must store first (certificate codes) commits before it starts.
            kind.prepare(job)
            db.session.commit()
            if name is None:
                # Work in the database: it commits in steps and writes its progress between.
                result_name = kind.run(job, None, progress)
                db.session.commit()
            else:
                # Then it only reads: on SQLite the progress connection may write meanwhile.
                with read_only(), files.open_for_writing(name) as out:
                    result_name = kind.run(job, out, progress)
                    db.session.commit()
        size = files.publish(name) if name else 0
    except JobLost:
        db.session.rollback()
        files.remove(name)
        log.warning("job %s was taken over by another worker", job_id)
        return JobStatus.RUNNING
    except Exception as error:
        db.session.rollback()
        files.remove(name)
        log.exception("job %s failed", job_id)
        _finish(
            job_id,
            worker,
            status=JobStatus.FAILED.value,
            error=f"{type(error).__name__}: {error}"[:2000],
        )
        return JobStatus.FAILED
    days = current_app.config.get("JOB_RETENTION_DAYS", 7)
    if not _finish(
        job_id,
        worker,
        status=JobStatus.DONE.value,
        progress_done=progress.total,
        progress_total=progress.total,
        result_file=name,
        result_name=result_name,
        result_type=MIMETYPES.get(extension, ""),
        result_size=size,
        expires_at=utcnow() + timedelta(days=days) if name else None,
    ):
        files.remove(name)  # taken over meanwhile: the other worker's file counts
    return JobStatus.DONE


def recover_stale(now: datetime | None = None) -> int:
    """Queue again (or, after ``MAX_ATTEMPTS``, fail) running jobs without a recent heartbeat."""
    now = now or utcnow()
    minutes = current_app.config.get("JOB_STALE_MINUTES", 10)
    limit = now - timedelta(minutes=minutes)
    stale = db.session.execute(
        select(Job.id, Job.attempts, Job.result_file).where(
            Job.status == JobStatus.RUNNING, Job.heartbeat_at < limit
        )
    ).all()
    changed = 0
    for job_id, attempts, _file in stale:
        again = attempts < MAX_ATTEMPTS
        values: dict[str, Any] = {
            "claimed_by": None,
            "error": STALE_MESSAGE.format(minutes=minutes),
        }
        if again:
            values |= {"status": JobStatus.QUEUED.value, "progress_done": 0}
        else:
            values |= {"status": JobStatus.FAILED.value, "finished_at": now}
        result = db.session.execute(
            update(Job)
            .where(Job.id == job_id, Job.status == JobStatus.RUNNING, Job.heartbeat_at < limit)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        changed += result.rowcount
    db.session.commit()
    return changed


def expire_files(now: datetime | None = None) -> int:
    """Delete result files past their retention; the job stays listed as expired."""
    now = now or utcnow()
    expired = db.session.execute(
        select(Job).where(Job.result_file.is_not(None), Job.expires_at <= now)
    ).scalars()
    count = 0
    for job in expired:
        files.remove(job.result_file)
        job.result_file = None
        count += 1
    db.session.commit()
    return count


def delete_event_files(event_ids: set[int]) -> None:
    """Delete the result files of these events' jobs (with their personal data; the caller
    commits). A job still running for them is failed, so no new file appears."""
    if not event_ids:
        return
    jobs = db.session.execute(select(Job).where(Job.event_id.in_(event_ids))).scalars()
    for job in jobs:
        files.remove(job.result_file)
        job.result_file = None
        if job.status in (JobStatus.QUEUED, JobStatus.RUNNING):
            job.status = JobStatus.FAILED
            job.claimed_by = None
            job.error = ERASED_MESSAGE
            job.finished_at = utcnow()


@dataclass
class WorkReport:
    done: int = 0
    failed: int = 0
    recovered: int = 0
    expired: int = 0


def work(limit: int = 1, worker: str | None = None) -> WorkReport:
    """One round of the worker: recover stalled jobs, expire old files, run up to ``limit``."""
    worker = worker or worker_name()
    report = WorkReport(recovered=recover_stale(), expired=expire_files())
    for _ in range(limit):
        job_id = claim(worker)
        if job_id is None:
            break
        status = run(job_id, worker)
        if status == JobStatus.DONE:
            report.done += 1
        elif status == JobStatus.FAILED:
            report.failed += 1
    return report
