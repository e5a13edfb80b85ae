"""Background jobs: queued by the back office, run by the worker, watched, downloaded, deleted."""

from __future__ import annotations

import io
import math
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from support import all_at_once, login, prepared_file

from eventapp.extensions import db
from eventapp.jobs import services as jobs
from eventapp.models import Job, JobStatus, Registration, RegistrationStatus, Role, utcnow
from eventapp.registration.privacy import anonymize_registrations

A4_POINTS = (595.3, 841.9)


@pytest.fixture(autouse=True)
def no_files_yet(app):
    """The instance folder is shared by the session's tests: start each with no job files."""
    folder = Path(app.instance_path) / "jobs"
    if folder.exists():
        for path in folder.iterdir():
            path.unlink()


def job_files(app) -> set[str]:
    folder = Path(app.instance_path) / "jobs"
    return {path.name for path in folder.iterdir()} if folder.exists() else set()


def start(client, event, kind: str, **params: str):
    return client.post(f"/admin/events/{event.id}/jobs", data={"kind": kind, **params})


def progress(client, event) -> list[dict]:
    return client.get(f"/admin/events/{event.id}/jobs/progress").get_json()["jobs"]


def only_job() -> Job:
    db.session.expire_all()
    return db.session.execute(db.select(Job)).scalar_one()


@pytest.fixture
def crowd(make_event, make_registration):
    """An event with seven confirmed people, one waiting and one cancelled."""
    event = make_event()
    for n in range(7):
        make_registration(event, first_name=f"Person{n}", last_name=f"Nachname{n:02d}")
    make_registration(event, last_name="Wartend", status=RegistrationStatus.WAITLISTED)
    make_registration(event, last_name="Storniert", status=RegistrationStatus.CANCELLED)
    db.session.commit()
    return event


# --- no request builds the PDFs -----------------------------------------------------------------


def test_the_old_pdf_addresses_lead_to_the_jobs_page_and_build_nothing(admin_client, app, crowd):
    for name, kind in (("badges.pdf", "badges"), ("certificates.pdf", "certificates")):
        response = admin_client.get(f"/admin/events/{crowd.id}/{name}")
        assert response.status_code == 302
        assert response.location.endswith(f"/admin/events/{crowd.id}/jobs?start={kind}")
    page = admin_client.get(f"/admin/events/{crowd.id}/jobs?start=badges").get_data(as_text=True)
    assert 'class="is-suggested"' in page and 'name="kind" value="badges"' in page
    assert db.session.execute(db.select(db.func.count(Job.id))).scalar() == 0
    assert job_files(app) == set()


def test_starting_a_job_only_queues_it(admin_client, app, crowd):
    response = start(admin_client, crowd, "badges", layout="a4")
    assert response.status_code == 303
    job = only_job()
    assert job.status == JobStatus.QUEUED and job.params["layout"] == "a4"
    assert job.created_by is not None and job.params["locale"] == "de"
    assert job_files(app) == set()
    # Clicking twice while it waits queues it once.
    start(admin_client, crowd, "badges", layout="a4")
    assert only_job().id == job.id


def test_unknown_kinds_and_options_are_refused(admin_client, crowd):
    assert start(admin_client, crowd, "shred").status_code == 400
    assert start(admin_client, crowd, "badges", layout="a3").status_code == 400
    assert start(admin_client, crowd, "registrations", format="pdf").status_code == 400
    assert db.session.execute(db.select(db.func.count(Job.id))).scalar() == 0


# --- the worker -------------------------------------------------------------------------------


def test_the_worker_command_runs_a_job_from_queued_to_done(admin_client, app, runner, crowd):
    start(admin_client, crowd, "badges")
    [queued] = progress(admin_client, crowd)
    assert (queued["status"], queued["percent"], queued["download_url"]) == ("queued", 0, None)
    page = admin_client.get(f"/admin/events/{crowd.id}/jobs").get_data(as_text=True)
    assert '<meta http-equiv="refresh" content="5">' in page  # without JavaScript
    assert "<progress" in page

    db.session.commit()
    result = runner.invoke(args=["jobs", "work"])
    assert result.exit_code == 0, result.output
    assert "jobs: done 1, failed 0" in result.output

    [done] = progress(admin_client, crowd)
    assert (done["status"], done["done"], done["total"], done["percent"]) == ("done", 7, 7, 100)
    job = only_job()
    assert job.started_at and job.finished_at and job.expires_at > utcnow() + timedelta(days=6)
    assert job_files(app) == {job.result_file}
    page = admin_client.get(f"/admin/events/{crowd.id}/jobs").get_data(as_text=True)
    assert done["download_url"] in page and 'http-equiv="refresh"' not in page
    download = admin_client.get(done["download_url"])
    assert download.status_code == 200 and download.mimetype == "application/pdf"
    assert download.headers["Cache-Control"] == "no-store"
    assert f"filename={crowd.slug}-badges.pdf" in download.headers["Content-Disposition"]
    assert len(PdfReader(io.BytesIO(download.get_data())).pages) == 7
    download.close()


def test_the_mail_worker_runs_jobs_too(admin_client, runner, crowd):
    start(admin_client, crowd, "registrations", format="csv")
    db.session.commit()
    result = runner.invoke(args=["mail", "deliver"])
    assert result.exit_code == 0, result.output
    assert only_job().status == JobStatus.DONE


def test_a_failing_job_shows_its_error(admin_client, app, crowd, monkeypatch):
    from eventapp.registration.management import badges

    def broken(*_args, **_kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(badges, "write_badges", broken)
    start(admin_client, crowd, "badges")
    report = jobs.work()
    assert report.failed == 1
    [failed] = progress(admin_client, crowd)
    assert failed["status"] == "failed" and "disk full" in failed["error"]
    assert failed["download_url"] is None
    assert job_files(app) == set()  # no half-written file stays


def test_two_workers_never_run_the_same_job(app, admin, crowd):
    ids = [jobs.enqueue("registrations", crowd, admin, {"format": "csv"}).id]
    for n in range(7):  # different options: separate jobs
        ids.append(jobs.enqueue("badges", crowd, admin, {"layout": "a4", "copy": n}).id)
    db.session.commit()

    def worker(name: str):
        def claim_all() -> list[int]:
            with app.app_context():
                claimed = []
                while (job_id := jobs.claim(name)) is not None:
                    claimed.append(job_id)
                return claimed

        return claim_all

    claimed = all_at_once([worker(f"w{n}") for n in range(4)])
    everything = [job_id for batch in claimed for job_id in batch]
    assert sorted(everything) == sorted(ids)  # each job once, by exactly one worker
    db.session.expire_all()
    owners = dict(db.session.execute(db.select(Job.id, Job.claimed_by)).all())
    for n, batch in enumerate(claimed):
        assert all(owners[job_id] == f"w{n}" for job_id in batch)


def test_a_job_whose_worker_died_is_taken_again_then_failed(app, admin, admin_client, crowd):
    job = jobs.enqueue("badges", crowd, admin)
    db.session.commit()
    assert jobs.claim("dead-worker") == job.id
    long_ago = utcnow() - timedelta(minutes=30)
    db.session.execute(db.update(Job).values(heartbeat_at=long_ago))
    db.session.commit()

    report = jobs.work(worker="second")
    assert (report.recovered, report.done) == (1, 1)
    assert only_job().status == JobStatus.DONE

    again = jobs.enqueue("badges", crowd, admin, {"layout": "a4"})
    db.session.commit()
    for worker in ("first", "second"):  # both die
        assert jobs.claim(worker) == again.id
        db.session.execute(db.update(Job).where(Job.id == again.id).values(heartbeat_at=long_ago))
        db.session.commit()
        jobs.recover_stale()
    db.session.expire_all()
    dead = db.session.get(Job, again.id)
    assert dead.status == JobStatus.FAILED
    assert "worker stopped" in dead.error and "10 minutes" in dead.error
    answer = admin_client.get(f"/admin/events/{crowd.id}/jobs/progress?lang=en").get_json()
    [shown] = [job for job in answer["jobs"] if job["id"] == again.id]
    assert shown["error"] == "The worker stopped while making this file. Please start it again."


def test_a_taken_over_job_stops_writing(app, admin, crowd):
    job_id = jobs.enqueue("badges", crowd, admin).id
    db.session.commit()
    jobs.claim("slow")
    db.session.execute(db.update(Job).values(claimed_by="other"))
    db.session.commit()
    with pytest.raises(jobs.JobLost):
        jobs.Progress(job_id, "slow").start(10)


def test_progress_is_visible_while_the_job_runs(admin_client, admin, crowd, monkeypatch):
    monkeypatch.setattr(jobs, "PROGRESS_EVERY", 0)
    job_id = jobs.enqueue("badges", crowd, admin).id
    db.session.commit()
    jobs.claim("w")
    counter = jobs.Progress(job_id, "w")
    counter.start(8)
    counter.advance(2)
    db.session.commit()
    [state] = progress(admin_client, crowd)
    assert (state["status"], state["done"], state["total"], state["percent"]) == (
        "running",
        2,
        8,
        25,
    )
    page = admin_client.get(f"/admin/events/{crowd.id}/jobs").get_data(as_text=True)
    assert 'value="25"' in page and ">25 %</progress>" in page


# --- what the jobs make -----------------------------------------------------------------------


def test_a4_sheets_hold_four_badges_each(admin_client, crowd):
    reader = PdfReader(
        io.BytesIO(prepared_file(admin_client, crowd.id, "badges", layout="a4").data)
    )
    assert len(reader.pages) == math.ceil(7 / 4)
    for page in reader.pages:
        size = (round(float(page.mediabox.width), 1), round(float(page.mediabox.height), 1))
        assert size == A4_POINTS
    assert len(reader.pages[0].images) == 4 and len(reader.pages[1].images) == 3
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert all(f"Nachname{n:02d}" in text for n in range(7))
    assert "Wartend" not in text and "Storniert" not in text
    # Read like a page: the first sheet holds the first four by name.
    first = reader.pages[0].extract_text()
    assert all(f"Nachname{n:02d}" in first for n in range(4))


def test_the_registrations_job_writes_a_workbook(admin_client, crowd, make_registration):
    make_registration(crowd, first_name="Formel", last_name="=SUM(A1:A2)")
    response = prepared_file(admin_client, crowd.id, "registrations", format="xlsx")
    assert response.mimetype.endswith("spreadsheetml.sheet")
    assert f"{crowd.slug}-registrations.xlsx" in response.headers["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert rows[0][:3] == ["ID", "Status", "Nachname"] and sheet["A1"].font.b
    assert sheet.freeze_panes == "A2"
    assert len(rows) == 1 + 10
    formula = next(cell for cell in sheet["C"] if cell.value == "=SUM(A1:A2)")
    assert formula.data_type == "s"  # text, never run as a formula
    registered = sheet.cell(row=2, column=14)
    assert isinstance(registered.value, datetime) and registered.number_format == "yyyy-mm-dd hh:mm"


def test_the_registrations_job_writes_csv_for_german_excel(admin_client, crowd):
    response = prepared_file(admin_client, crowd.id, "registrations", format="csv", sep="semicolon")
    text = response.data.decode("utf-8")
    assert text.startswith("\ufeff") and '"ID";"Status"' in text
    assert response.mimetype == "text/csv"


# --- who gets the files, and for how long -------------------------------------------------------


def test_only_organizers_get_a_jobs_file(
    app, own_context_clients, admin_client, make_user, make_event, crowd
):
    prepared_file(admin_client, crowd.id, "badges")
    url = progress(admin_client, crowd)[0]["download_url"]
    job = only_job()

    anonymous = app.test_client()
    assert anonymous.get(url).status_code in (302, 401)
    assert anonymous.get(f"/admin/events/{crowd.id}/jobs/progress").status_code in (302, 401)
    door = app.test_client()
    login(door, make_user(Role.CHECKIN, all_events=False, events=[crowd]))
    assert door.get(url).status_code == 403
    assert door.get(f"/admin/events/{crowd.id}/jobs").status_code == 403
    assert door.post(f"/admin/events/{crowd.id}/jobs", data={"kind": "badges"}).status_code == 403
    # The job is found only under its own event.
    other = make_event()
    db.session.commit()
    assert admin_client.get(f"/admin/events/{other.id}/jobs/{job.id}/download").status_code == 404
    assert progress(admin_client, other) == []
    # Not a static file either.
    assert app.test_client().get(f"/static/../instance/jobs/{job.result_file}").status_code == 404


def test_files_are_deleted_after_the_retention(admin_client, app, crowd):
    prepared_file(admin_client, crowd.id, "badges")
    job = only_job()
    assert jobs.expire_files(utcnow() + timedelta(days=6)) == 0
    assert jobs.expire_files(utcnow() + timedelta(days=8)) == 1
    assert job_files(app) == set()
    assert admin_client.get(f"/admin/events/{crowd.id}/jobs/{job.id}/download").status_code == 404
    page = admin_client.get(f"/admin/events/{crowd.id}/jobs").get_data(as_text=True)
    assert "Nach 7 Tagen gelöscht" in page or "Deleted after 7 days" in page


def test_erasing_personal_data_deletes_the_events_files(admin_client, app, crowd, make_event):
    prepared_file(admin_client, crowd.id, "badges")
    other = make_event()
    db.session.commit()
    prepared_file(admin_client, other.id, "badges")
    kept = {job.result_file for job in db.session.execute(db.select(Job)).scalars()}
    person = db.session.execute(
        db.select(Registration).where(Registration.event_id == crowd.id).limit(1)
    ).scalar_one()
    anonymize_registrations([person], datetime.now(UTC))
    db.session.commit()
    remaining = job_files(app)
    assert len(remaining) == 1 and remaining < kept  # the other event's file stays
    assert all(job.result_file is None for job in crowd_jobs(crowd))


def crowd_jobs(event) -> list[Job]:
    db.session.expire_all()
    return list(db.session.execute(db.select(Job).where(Job.event_id == event.id)).scalars())


def test_badge_and_certificate_qr_codes_still_scan(admin_client, make_event, make_registration):
    """They are drawn with one fixed mask pattern and one pixel per module, to be fast."""
    import zxingcpp
    from PIL import Image

    from eventapp.certificates.services import verification_url
    from eventapp.tickets.pdf import qr_reader

    event = make_event()
    person = make_registration(event)
    db.session.commit()
    reader = PdfReader(io.BytesIO(prepared_file(admin_client, event.id, "badges").data))
    image = reader.pages[0].images[0].image.convert("L")
    big = image.resize((image.width * 8, image.height * 8), Image.Resampling.NEAREST)
    [found] = zxingcpp.read_barcodes(big)
    assert found.text == person.ticket_code

    url = verification_url("A" * 32)
    matrix_image = qr_reader(url)._image.convert("L")
    big = matrix_image.resize((matrix_image.width * 8,) * 2, Image.Resampling.NEAREST)
    assert [found.text for found in zxingcpp.read_barcodes(big)] == [url]
