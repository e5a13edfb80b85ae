"""Back office: who may enter, the dashboard, and editing events."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from clock import CONGRESS_YEAR
from flask import url_for
from support import (
    MOVED_TO_JOBS,
    PASSWORD,
    announcement,
    api_headers,
    audit_actions,
    choose,
    count,
    login_with_csrf,
    prepared_job,
    workshop,
)

from eventapp.extensions import db
from eventapp.models import (
    AuditEntry,
    Event,
    EventStatus,
    Question,
    QuestionKind,
    RegistrationStatus,
    Role,
    Session,
    SessionStatus,
)

# --- who may enter ------------------------------------------------------------------


@pytest.fixture
def every_admin_url(app, make_programme, make_registration, make_user):
    """Each /admin rule with each of its methods, filled in with real objects."""
    event = make_programme()
    door = make_user(Role.CHECKIN, email="door@example.org")
    api_headers(door, "Handy")
    token = door.tokens[0]
    session = workshop(event)
    registration = make_registration(event)
    choose(registration, session)
    bulk_mail = announcement(event, "Anreise", "Bitte früh kommen.")
    question = Question(event_id=event.id, kind=QuestionKind.SHORT_TEXT, label="Dienststelle")
    db.session.add(question)
    db.session.commit()
    values = {
        "job_id": prepared_job(event, make_user()).id,
        "question_id": question.id,
        "batch_id": bulk_mail.id,
        "event_id": event.id,
        "session_id": session.id,
        "registration_id": registration.id,
        "item_id": event.tracks[0].id,
        "kind": "tracks",
        "fmt": "csv",
        "user_id": door.id,
        "token_id": token.id,
    }
    urls = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/admin"):
            continue
        with app.test_request_context():
            url = url_for(rule.endpoint, **{k: values[k] for k in rule.arguments})
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            urls.append((method, url, rule.endpoint))
    assert len(urls) > 30
    return urls


def test_anonymous_visitors_are_sent_to_the_login_for_every_admin_route(app, every_admin_url):
    client = app.test_client()
    for method, url, _endpoint in every_admin_url:
        response = client.open(url, method=method)
        assert response.status_code == 302, (method, url)
        assert response.headers["Location"].startswith("/login"), (method, url)


def test_checkin_staff_get_403_on_every_admin_route(app, make_user, every_admin_url):
    staff = make_user(Role.CHECKIN)
    client = app.test_client()
    client.post("/login", data={"email": staff.email, "password": PASSWORD})
    for method, url, _endpoint in every_admin_url:
        assert client.open(url, method=method).status_code == 403, (method, url)


def test_admins_reach_every_admin_page(admin_client, every_admin_url):
    for method, url, endpoint in every_admin_url:
        if method == "GET":
            expected = 302 if endpoint in MOVED_TO_JOBS else 200
            assert admin_client.get(url).status_code == expected, url


def test_admin_posts_with_empty_forms_never_fail_with_a_server_error(admin_client, every_admin_url):
    for method, url, _endpoint in every_admin_url:
        if method == "POST":
            status = admin_client.post(url, data={}).status_code
            assert status in (200, 302, 400, 422), (url, status)


class TestCsrf:
    @pytest.fixture
    def config_overrides(self):
        return {"WTF_CSRF_ENABLED": True}

    def test_admin_forms_refuse_posts_without_the_csrf_token(self, app, admin, make_programme):
        event = make_programme()
        client = app.test_client()
        login_with_csrf(client, admin)
        response = client.post(f"/admin/sessions/{workshop(event).id}/cancel", data={})
        assert response.status_code == 400
        assert db.session.get(Session, workshop(event).id).status == SessionStatus.SCHEDULED
        response = client.post("/admin/events/new", data={"title": "X", "slug": "x"})
        assert response.status_code == 400
        assert count(Event) == 1


# --- dashboard ------------------------------------------------------------------------


def test_dashboard_shows_counts_fill_levels_and_a_chart(
    admin_client, make_programme, make_registration
):
    event = make_programme()
    session = workshop(event)
    for _ in range(3):
        choose(make_registration(event), session)
    make_registration(event, status=RegistrationStatus.WAITLISTED)
    make_registration(event, status=RegistrationStatus.CANCELLED)
    page = admin_client.get(f"/admin/events/{event.id}/").get_data(as_text=True)
    assert 'data-count="registered">4<' in page
    assert 'data-count="confirmed">3' in page
    assert 'data-count="waitlisted">1<' in page
    assert 'data-count="cancelled">1<' in page
    assert 'data-count="checked_in">0<' in page
    assert '<meter min="0" max="100" value="10"' in page  # 3 of 30 seats
    assert "<svg" in page and 'class="chart-bar"' in page
    overview = admin_client.get("/admin/").get_data(as_text=True)
    assert event.title in overview


# --- events ---------------------------------------------------------------------------


def event_form(**overrides):
    data = {
        "kind": "site_visit",
        "title": "Besuch in Fürth",
        "slug": "besuch-fuerth",
        "timezone": "Europe/Berlin",
        "starts_at": f"{CONGRESS_YEAR}-06-10T10:00",
        "ends_at": f"{CONGRESS_YEAR}-06-10T14:30",
        "venue": "Rathaus Fürth",
        "capacity": "25",
        "waitlist_enabled": "y",
    }
    data.update(overrides)
    return data


def test_creating_an_event_stores_local_times_as_utc_and_logs_it(admin_client, admin):
    response = admin_client.post("/admin/events/new", data=event_form())
    assert response.status_code == 302
    event = db.session.execute(db.select(Event)).scalar_one()
    assert event.status == EventStatus.DRAFT
    assert event.starts_at == datetime(CONGRESS_YEAR, 6, 10, 8, 0, tzinfo=UTC)  # CEST is UTC+2
    assert event.ends_at == datetime(CONGRESS_YEAR, 6, 10, 12, 30, tzinfo=UTC)
    entry = db.session.execute(db.select(AuditEntry)).scalar_one()
    assert (entry.action, entry.user_id, entry.object_id) == ("event.create", admin.id, event.id)
    assert entry.before is None and entry.after["title"] == "Besuch in Fürth"


@pytest.mark.parametrize(
    "overrides",
    [
        {"ends_at": f"{CONGRESS_YEAR}-06-10T09:00"},  # before the start
        {"slug": "Nicht Gültig"},
        {"title": ""},
        {"timezone": "Mars/Olympus"},
        {"starts_at": "morgen"},
        {"capacity": "0"},
        {
            "registration_opens_at": f"{CONGRESS_YEAR}-05-01T00:00",
            "registration_closes_at": f"{CONGRESS_YEAR}-04-01T00:00",
        },
    ],
)
def test_an_invalid_event_is_refused_with_a_message_and_nothing_is_saved(admin_client, overrides):
    response = admin_client.post("/admin/events/new", data=event_form(**overrides))
    assert response.status_code == 422
    assert 'class="error"' in response.get_data(as_text=True)
    assert count(Event) == 0
    assert count(AuditEntry) == 0


def test_a_taken_slug_is_refused(admin_client, make_event):
    make_event(slug="besuch-fuerth")
    response = admin_client.post("/admin/events/new", data=event_form())
    assert response.status_code == 422
    assert 'id="slug-error"' in response.get_data(as_text=True)
    assert count(Event) == 1


def test_editing_an_event_logs_only_what_changed(admin_client, make_event):
    event = make_event(title="Alt")
    page = admin_client.get(f"/admin/events/{event.id}/edit").get_data(as_text=True)
    assert f'value="{CONGRESS_YEAR}-05-16T09:00"' in page  # shown in Berlin time
    data = event_form(title="Neu", slug=event.slug, kind="congress", timezone="Europe/Berlin")
    data.update(
        starts_at=f"{CONGRESS_YEAR}-05-16T09:00",
        ends_at=f"{CONGRESS_YEAR}-05-16T17:00",
        capacity="200",
    )
    assert admin_client.post(f"/admin/events/{event.id}/edit", data=data).status_code == 302
    db.session.refresh(event)
    assert event.title == "Neu"
    entry = db.session.execute(db.select(AuditEntry)).scalar_one()
    assert entry.action == "event.update"
    assert entry.before["title"] == "Alt" and entry.after["title"] == "Neu"
    assert "starts_at" not in entry.after


def test_lowering_the_capacity_below_the_confirmed_people_warns(
    admin_client, make_event, make_registration
):
    event = make_event(capacity=5)
    for _ in range(3):
        make_registration(event)
    data = event_form(slug=event.slug, capacity="2")
    response = admin_client.post(f"/admin/events/{event.id}/edit", data=data, follow_redirects=True)
    assert response.get_data(as_text=True).count('class="flash flash-warning"') == 1
    db.session.expire_all()
    assert db.session.get(Event, event.id).capacity == 2


def test_an_invalid_edit_changes_nothing(admin_client, make_event):
    event = make_event(title="Alt")
    data = event_form(title="Neu", slug=event.slug, ends_at=f"{CONGRESS_YEAR}-06-10T09:00")
    assert admin_client.post(f"/admin/events/{event.id}/edit", data=data).status_code == 422
    db.session.expire_all()
    assert db.session.get(Event, event.id).title == "Alt"


def test_publish_unpublish_and_cancel_an_event(admin_client, make_event):
    event = make_event(status=EventStatus.DRAFT)
    url = f"/admin/events/{event.id}/status"
    for status in ("published", "draft", "cancelled"):
        assert admin_client.post(url, data={"status": status}).status_code == 302
        db.session.expire_all()
        assert db.session.get(Event, event.id).status == status
    admin_client.post(url, data={"status": "bogus"})
    db.session.expire_all()
    assert db.session.get(Event, event.id).status == EventStatus.CANCELLED
    assert audit_actions() == ["event.published", "event.draft", "event.cancelled"]


def test_deleting_an_event_asks_first_and_then_deletes(admin_client, make_programme):
    event = make_programme()
    page = admin_client.get(f"/admin/events/{event.id}/delete").get_data(as_text=True)
    assert 'id="confirm-delete"' in page
    assert count(Event) == 1
    assert admin_client.post(f"/admin/events/{event.id}/delete").status_code == 302
    assert count(Event) == 0 and count(Session) == 0
    assert audit_actions() == ["event.delete"]


def test_an_event_with_registrations_cannot_be_deleted(admin_client, make_event, make_registration):
    event = make_event()
    make_registration(event, status=RegistrationStatus.CANCELLED)
    page = admin_client.get(f"/admin/events/{event.id}/delete").get_data(as_text=True)
    assert 'id="delete-blocked"' in page and 'id="confirm-delete"' not in page
    admin_client.post(f"/admin/events/{event.id}/delete")
    assert count(Event) == 1
    assert count(AuditEntry) == 0


def test_missing_objects_answer_404(admin_client):
    for url in ("/admin/events/999/", "/admin/sessions/999/edit", "/admin/rooms/999/edit"):
        assert admin_client.get(url).status_code == 404


def test_a_session_outside_the_event_day_shows_its_warning_in_the_programme(
    admin_client, make_programme, make_session
):
    event = make_programme()
    make_session(
        event,
        title="Nachlese",
        starts_at=event.ends_at + timedelta(hours=1),
        ends_at=event.ends_at + timedelta(hours=2),
    )
    page = admin_client.get(f"/admin/events/{event.id}/programme").get_data(as_text=True)
    assert page.count('class="warning"') == 1


def test_the_chart_counts_registrations_per_local_day_with_gaps(make_event, make_registration):
    from eventapp.admin.stats import registrations_chart

    event = make_event()
    # 23:30 UTC on 1 May is already 2 May in Bürstadt.
    for moment in (
        f"{CONGRESS_YEAR}-05-01T23:30",
        f"{CONGRESS_YEAR}-05-02T08:00",
        f"{CONGRESS_YEAR}-05-05T12:00",
    ):
        make_registration(event, created_at=datetime.fromisoformat(moment).replace(tzinfo=UTC))
    chart = registrations_chart(event, today=datetime(CONGRESS_YEAR, 5, 6).date())
    assert chart.total == 3 and chart.maximum == 2 and not chart.by_week
    counts = {bar.label: bar.count for bar in chart.bars}
    assert len(counts) == 14  # at least two weeks wide
    assert (
        counts[f"{CONGRESS_YEAR}-05-02"] == 2
        and counts[f"{CONGRESS_YEAR}-05-05"] == 1
        and counts[f"{CONGRESS_YEAR}-05-03"] == 0
    )
    tall = next(bar for bar in chart.bars if bar.label == f"{CONGRESS_YEAR}-05-02")
    half = next(bar for bar in chart.bars if bar.label == f"{CONGRESS_YEAR}-05-05")
    assert tall.height == pytest.approx(2 * half.height)


def test_the_chart_switches_to_weeks_for_long_periods(make_event, make_registration):
    from eventapp.admin.stats import registrations_chart

    event = make_event()
    for day in (1, 40, 100):
        created = datetime(CONGRESS_YEAR, 1, 1, 12, tzinfo=UTC) + timedelta(days=day)
        make_registration(event, created_at=created)
    chart = registrations_chart(event, today=datetime(CONGRESS_YEAR, 5, 1).date())
    assert chart.by_week and sum(bar.count for bar in chart.bars) == 3
    assert all(bar.width <= 24 for bar in chart.bars)
