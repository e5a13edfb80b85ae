"""In a real browser: an organizer has badges made in the background and watches the job
go from waiting to ready, with its download, without reloading the page."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from support import log_in_browser

from eventapp.extensions import db
from eventapp.jobs import services as jobs
from eventapp.models import Role


@pytest.mark.e2e
def test_a_badge_job_moves_to_ready_with_a_download_without_reloading(
    live_server, launch_chromium, make_user, make_event, make_registration
):
    admin = make_user(Role.ADMIN)
    event = make_event()
    for _ in range(3):
        make_registration(event)
    email, event_id = admin.email, event.id
    # Outside a request SQLite begins IMMEDIATE: end this transaction so the server can write.
    db.session.commit()

    page = launch_chromium().new_page(locale="de-DE")
    log_in_browser(page, live_server, email, "/admin/**")
    page.goto(f"{live_server}/admin/events/{event_id}/jobs")
    page.locator("#job-starts button").first.click()
    job = page.locator("#jobs li").first
    expect(job).to_have_attribute("data-status", "queued")
    expect(job.locator(".job-state")).to_have_text("Wartet auf den Start")
    expect(job.locator(".job-download a")).to_have_count(0)
    url = page.url

    db.session.rollback()
    assert jobs.work(limit=1).done == 1
    db.session.commit()

    # The page's script asks every two seconds and shows the download once the file is there.
    expect(job).to_have_attribute("data-status", "done", timeout=15_000)
    expect(job.locator("progress")).to_have_attribute("value", "100")
    download = job.locator(".job-download a")
    expect(download).to_have_text("Herunterladen")
    expect(job.locator(".job-download p")).to_contain_text(" kB · bis ")
    assert page.url == url
    with page.expect_download() as started:
        download.click()
    assert started.value.suggested_filename.endswith(".pdf")
