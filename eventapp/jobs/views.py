"""The back office's jobs page per event: start a job, watch its progress, download its file.

Every route hangs on the back office's blueprint, so only organizers reach it; a job is
found only under its own event (another event's id answers 404), and files leave only
through ``job_download``, never as static files.
"""

from __future__ import annotations

from flask import Response, abort, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _

from eventapp.admin import bp
from eventapp.admin.common import acting_user
from eventapp.domain import InvalidInput
from eventapp.extensions import db
from eventapp.i18n import current_locale, filesize, localdatetime
from eventapp.jobs import files, services
from eventapp.jobs.forms import StartJobForm
from eventapp.jobs.kinds import KINDS
from eventapp.models import Event, Job, JobStatus


def _job_or_404(event: Event, job_id: int) -> Job:
    job = db.session.get(Job, job_id)
    if job is None or job.event_id != event.id:
        abort(404)
    return job


def error_text(job: Job) -> str:
    """Why the job failed, for organizers in their language (the stored text is English)."""
    if job.status != JobStatus.FAILED:
        return ""
    if job.error.startswith(services.STALE_MESSAGE.split("(")[0].strip()):
        return _("The worker stopped while making this file. Please start it again.")
    if job.error == services.ERASED_MESSAGE:
        return _("The personal data of this event was erased; the file was not made.")
    return _("The file could not be made: %(error)s", error=job.error)


def download_note(job: Job) -> str:
    """The file's size and how long it stays, under its download button."""
    until = _("until %(when)s", when=localdatetime(job.expires_at, job.event, "short"))
    return f"{filesize(job.result_size)} · {until}"


def job_state(job: Job) -> dict:
    """What the page's script needs to redraw one job."""
    downloadable = job.status == JobStatus.DONE and job.result_file is not None
    return {
        "id": job.id,
        "status": job.status.value,
        "done": job.progress_done,
        "total": job.progress_total,
        "percent": job.percent,
        "error": error_text(job),
        "download_url": url_for("admin.job_download", event_id=job.event_id, job_id=job.id)
        if downloadable
        else None,
        "download_note": download_note(job) if downloadable else None,
    }


@bp.get("/events/<int:event_id>/jobs")
def jobs_page(event_id: int):
    """The event's jobs, newest first, with progress; the buttons that start new ones."""
    event = db.get_or_404(Event, event_id)
    jobs = services.event_jobs(event)
    active = any(job.status in (JobStatus.QUEUED, JobStatus.RUNNING) for job in jobs)
    return render_template(
        "admin/jobs.html",
        event=event,
        jobs=jobs,
        kinds=KINDS,
        active=active,
        error_text=error_text,
        download_note=download_note,
        form=StartJobForm(),
        suggested=request.args.get("start", ""),
    )


@bp.post("/events/<int:event_id>/jobs")
def start_job(event_id: int):
    """Queue a job (one click twice queues it once) and show it on the jobs page."""
    event = db.get_or_404(Event, event_id)
    form = StartJobForm()
    kind = KINDS.get(form.kind.data)
    # Only files are started here; a large bulk mail's job is queued by its send.
    if not form.validate_on_submit() or kind is None or not kind.makes_file:
        abort(400)
    params = form.params() | {"locale": current_locale()}
    try:
        job = services.enqueue(form.kind.data, event, acting_user(), params)
    except InvalidInput:
        abort(400)
    db.session.commit()
    return redirect(url_for("admin.jobs_page", event_id=event.id) + f"#job-{job.id}", 303)


@bp.get("/events/<int:event_id>/jobs/progress")
def jobs_progress(event_id: int):
    """Each listed job's status and progress as JSON, for the page's script."""
    event = db.get_or_404(Event, event_id)
    return jsonify({"jobs": [job_state(job) for job in services.event_jobs(event)]})


@bp.get("/events/<int:event_id>/jobs/<int:job_id>/download")
def job_download(event_id: int, job_id: int):
    """The job's result file, to organizers only, as an attachment that is never cached."""
    event = db.get_or_404(Event, event_id)
    job = _job_or_404(event, job_id)
    if job.status != JobStatus.DONE or job.result_file is None:
        abort(404, _("This file is not available (any more)."))
    path = files.path_of(job.result_file)
    if not path.exists():
        abort(404, _("This file is not available (any more)."))
    response = Response(files.chunks(path), mimetype=job.result_type)
    response.content_length = path.stat().st_size
    response.headers.set("Content-Disposition", "attachment", filename=job.result_name)
    response.headers["Cache-Control"] = "no-store"  # personal data: keep it out of caches
    return response
