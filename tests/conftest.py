"""Shared fixtures: the app on SQLite (or PostgreSQL with TEST_DATABASE_URL), and factories."""

from __future__ import annotations

import functools
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from clock import CONGRESS_DAY
from support import (
    PASSWORD,
    SmtpSink,
    free_port,
    login,
    prepared_job,
    stop,
    wait_until_serving,
)

from eventapp import create_app
from eventapp.extensions import db, limiter
from eventapp.models import (
    Event,
    EventKind,
    EventStatus,
    GroupMembership,
    MailBatch,
    Question,
    QuestionKind,
    Registration,
    RegistrationStatus,
    Role,
    Room,
    Session,
    SessionKind,
    Speaker,
    Track,
    User,
)

ROOT = Path(__file__).resolve().parent.parent
TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """PostgreSQL from TEST_DATABASE_URL, else a SQLite file (shared with live servers)."""
    if TEST_DATABASE_URL:
        return TEST_DATABASE_URL
    return "sqlite:///" + str(tmp_path_factory.mktemp("db") / "test.db")


@pytest.fixture(scope="session")
def instance_path(tmp_path_factory: pytest.TempPathFactory) -> str:
    return str(tmp_path_factory.mktemp("instance"))


@pytest.fixture(scope="session")
def base_config(database_url: str) -> dict[str, Any]:
    from eventapp.config import database_url as normalize

    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key",
        "SQLALCHEMY_DATABASE_URI": normalize(database_url, ""),
        "WTF_CSRF_ENABLED": False,
        "MAIL_SEND_INLINE": False,
        "MAIL_SUPPRESS_SEND": True,
        "RATELIMIT_ENABLED": False,
        "PUBLIC_BASE_URL": "http://events.example.org",
        "SERVER_NAME": None,
    }


@pytest.fixture(scope="session")
def _schema(base_config: dict[str, Any], instance_path: str) -> Iterator[None]:
    os.environ["EVENTAPP_INSTANCE_PATH"] = instance_path
    app = create_app(base_config)
    with app.app_context():
        db.drop_all()
        db.create_all()
    yield
    with app.app_context():
        db.drop_all()
        db.engine.dispose()


def _empty_all_tables() -> None:
    # DELETE, not TRUNCATE: a test leaves a few rows, and PostgreSQL's TRUNCATE of twenty
    # tables costs ~0.4 s however empty they are.
    for table in reversed(db.metadata.sorted_tables):
        db.session.execute(table.delete())
    db.session.commit()


@pytest.fixture
def config_overrides() -> dict[str, Any]:
    """Override in a test module to change settings for its app."""
    return {}


@pytest.fixture(scope="session")
def _shared_app(_schema, base_config):
    """One app for every test with the default settings: building an app costs ~60 ms."""
    app = create_app(base_config)
    yield app
    with app.app_context():
        for engine in db.engines.values():
            engine.dispose()


@pytest.fixture
def app(request, _schema, base_config, config_overrides):
    own = bool(config_overrides) or request.node.get_closest_marker("own_app") is not None
    if own:
        app = create_app({**base_config, **config_overrides})
    else:
        app = request.getfixturevalue("_shared_app")
        # The limiter is one object for all apps and takes the settings of the app built
        # last, which may be another test's own app with limits switched on.
        limiter.enabled = app.config["RATELIMIT_ENABLED"]
    # A test may change settings or fill per-app caches; the next test sees neither.
    settings, extensions = dict(app.config), set(app.extensions)
    client_class = app.test_client_class
    with app.app_context():
        yield app
        db.session.remove()
        _empty_all_tables()
        db.session.remove()
        if own:
            # Each app has engines of its own; close their pools with the app.
            for engine in db.engines.values():
                engine.dispose()
    app.config.clear()
    app.config.update(settings)
    for name in set(app.extensions) - extensions:
        del app.extensions[name]
    app.test_client_class = client_class


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


# --- factories ---------------------------------------------------------------

# CONGRESS_DAY (from clock) is 09:00 in Bürstadt on the next 16 May at least 60 days ahead.


@pytest.fixture
def make_event(app) -> Callable[..., Event]:
    """A published event, open for registration; keyword arguments override fields."""
    counter = iter(range(1, 10_000))

    def factory(**fields: Any) -> Event:
        n = next(counter)
        values: dict[str, Any] = {
            "kind": EventKind.CONGRESS,
            "slug": f"event-{n}",
            "title": f"Fachkongress {n}",
            "starts_at": CONGRESS_DAY,
            "ends_at": CONGRESS_DAY + timedelta(hours=8),
            "venue": "Bürgerhaus Bürstadt",
            "address": "Nibelungenstraße 1, 68642 Bürstadt",
            "municipality": "Bürstadt",
            "capacity": 200,
            "status": EventStatus.PUBLISHED,
            "waitlist_enabled": True,
            "registration_opens_at": datetime(2020, 1, 1, tzinfo=UTC),
            "registration_closes_at": CONGRESS_DAY,
        }
        values.update(fields)
        event = Event(**values)
        db.session.add(event)
        db.session.commit()
        return event

    return factory


@pytest.fixture
def make_session(app) -> Callable[..., Session]:
    """A session of ``event``; a workshop with a capacity unless told otherwise."""

    def factory(event: Event, **fields: Any) -> Session:
        values: dict[str, Any] = {
            "event": event,
            "title": "Werkstatt Quartiersarbeit",
            "abstract": "Wie Nachbarschaften zusammenfinden.",
            "kind": SessionKind.WORKSHOP,
            "starts_at": event.starts_at + timedelta(hours=2),
            "ends_at": event.starts_at + timedelta(hours=3, minutes=30),
            "capacity": 30,
        }
        values.update(fields)
        session = Session(**values)
        db.session.add(session)
        db.session.commit()
        return session

    return factory


@pytest.fixture
def make_programme(make_event, make_session) -> Callable[..., Event]:
    """An event with two tracks, two rooms, a speaker, a keynote and two parallel workshops."""

    def factory(**event_fields: Any) -> Event:
        event = make_event(**event_fields)
        tracks = [
            Track(event=event, name="Gesellschaftliche Teilhabe und Integration", position=1),
            Track(event=event, name="Lebensqualität", position=2),
        ]
        rooms = [
            Room(event=event, name="Großer Saal", capacity=250, position=1),
            Room(event=event, name="Raum Rhein", capacity=40, position=2),
        ]
        speaker = Speaker(
            event=event,
            name="Dr. Erika Beispiel",
            organisation="Hochschule Darmstadt",
            role_title="Professorin für Stadtsoziologie",
        )
        db.session.add_all([*tracks, *rooms, speaker])
        db.session.commit()
        make_session(
            event,
            title="Keynote: Zusammenhalt im Quartier",
            kind=SessionKind.KEYNOTE,
            starts_at=event.starts_at + timedelta(minutes=30),
            ends_at=event.starts_at + timedelta(hours=1, minutes=15),
            capacity=None,
            room=rooms[0],
            speakers=[speaker],
        )
        make_session(
            event, title="Werkstatt A: Teilhabe", track=tracks[0], room=rooms[0], capacity=30
        )
        make_session(
            event, title="Werkstatt B: Lebensqualität", track=tracks[1], room=rooms[1], capacity=25
        )
        return event

    return factory


@pytest.fixture
def make_registration(app) -> Callable[..., Registration]:
    """A confirmed registration for ``event``, written directly (no rules applied)."""
    counter = iter(range(1, 100_000))

    def factory(event: Event, **fields: Any) -> Registration:
        n = next(counter)
        email = fields.pop("email", f"person{n}@example.org")
        values: dict[str, Any] = {
            "event": event,
            "status": RegistrationStatus.CONFIRMED,
            "first_name": "Jörg",
            "last_name": f"Müller-{n}",
            "email": email,
            "email_normalized": email.strip().lower(),
            "organisation": "Stadt Bürstadt",
            "privacy_consent_at": datetime.now(UTC),
            "privacy_notice_version": "2026-11",
        }
        values.update(fields)
        registration = Registration(**values)
        db.session.add(registration)
        db.session.commit()
        return registration

    return factory


@functools.cache
def _password_hash() -> str:
    """A quick hash of ``support.PASSWORD`` for rows the factory writes directly.

    The app's own hashes take ~0.1 s by design, and so would each test's login; the
    app's choice of hash is proven where it makes them (``test_security_auth``).
    """
    from werkzeug.security import generate_password_hash

    return generate_password_hash(PASSWORD, "pbkdf2:sha256:1000")


@pytest.fixture
def make_user(app) -> Callable[..., User]:
    """An organizer account with the password ``support.PASSWORD``."""

    counter = iter(range(1, 10_000))

    def factory(role: Role = Role.ADMIN, **fields: Any) -> User:
        n = next(counter)
        values: dict[str, Any] = {
            "email": f"staff{n}@example.org",
            "password_hash": _password_hash(),
            "role": role,
        }
        values.update(fields)
        user = User(**values)
        db.session.add(user)
        db.session.commit()
        return user

    return factory


# --- other apps, locales and logged-in organizers ------------------------------------


@pytest.fixture
def make_app(base_config) -> Iterator[Callable[..., Any]]:
    """A second app with other settings; its database connections are closed afterwards."""
    made = []

    def factory(**overrides: Any):
        made.append(create_app({**base_config, **overrides}))
        return made[-1]

    yield factory
    for extra in made:
        with extra.app_context():
            db.engine.dispose()


@pytest.fixture
def english(app) -> Iterator[None]:
    """Services translate their messages; outside a request the locale must be given."""
    from flask_babel import force_locale

    with force_locale("en"):
        yield


@pytest.fixture
def admin(make_user) -> User:
    return make_user(Role.ADMIN)


@pytest.fixture
def admin_client(app, admin):
    """A test client logged in as ``admin``."""
    client = app.test_client()
    login(client, admin)
    return client


@pytest.fixture
def make_workshop_day(make_event, make_session) -> Callable[..., tuple[Event, ...]]:
    """An event with a morning workshop of one seat, a parallel one, and an afternoon one.

    Returns ``(event, morning, parallel, afternoon)``; the afternoon one has no capacity.
    """

    def factory(capacity: int) -> tuple[Event, ...]:
        event = make_event(capacity=capacity)
        morning = make_session(event, title="Werkstatt am Morgen", capacity=1)
        parallel = make_session(event, title="Werkstatt parallel", capacity=1)
        afternoon = make_session(
            event,
            title="Werkstatt am Nachmittag",
            starts_at=event.starts_at + timedelta(hours=5),
            ends_at=event.starts_at + timedelta(hours=6),
            capacity=None,
        )
        return event, morning, parallel, afternoon

    return factory


# --- a real server -------------------------------------------------------------


@pytest.fixture
def live_server(app, database_url: str, instance_path: str) -> Iterator[str]:
    """The app served by gunicorn with several workers on the test database; yields its URL."""
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "SECRET_KEY": "test-secret-key",
        "EVENTAPP_INSTANCE_PATH": instance_path,
        "RATELIMIT_ENABLED": "0",
        "MAIL_SEND_INLINE": "0",
        "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "-c",
            "python:eventapp.gunicorn_conf",
            "--workers",
            "4",
            "--threads",
            "4",
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            "wsgi:app",
        ],
        cwd=ROOT,
        env=env,
    )
    url = f"http://127.0.0.1:{port}"
    wait_until_serving(url, process)
    yield url
    stop(process)


# --- a real SMTP server ----------------------------------------------------------


@pytest.fixture
def smtp_server() -> Iterator[SmtpSink]:
    """A running SMTP server on 127.0.0.1 that keeps every message it receives."""
    sink = SmtpSink(free_port())
    sink.start()
    yield sink
    sink.stop()


# --- calendar feeds ------------------------------------------------------------


@pytest.fixture
def parse_ical() -> Callable[[bytes], Any]:
    """Parse an iCalendar body with ``icalendar`` and, independently, ``vobject`` (validating).

    Returns ``(icalendar_calendar, vobject_calendar)``. vobject resolves each TZID
    against the VTIMEZONE in the file, so its UTC instants test the VTIMEZONE itself.
    """
    import icalendar
    import vobject

    def parse(body: bytes):
        text = body.decode("utf-8")
        strict = icalendar.Calendar.from_ical(text)
        # vobject remembers the first VTIMEZONE per TZID for the whole process;
        # forget earlier ones so that this file's own VTIMEZONE is the one used.
        known = getattr(vobject.icalendar, "__tzidMap")
        for tzid in [t for t in known if t != "UTC"]:
            del known[tzid]
        return strict, vobject.readOne(text, validate=True)

    return parse


# --- security and robustness: a populated site and a URL for every route ----------------


@pytest.fixture
def populated(make_programme, make_registration, make_user):
    """A programme with a confirmed (with a workshop), a waitlisted and a cancelled
    registration, an admin and a check-in account; returned as a namespace. The confirmed
    person registered the waitlisted one as a group's member."""
    from types import SimpleNamespace

    from eventapp.models import ChoiceStatus, SessionChoice

    event = make_programme()
    workshop = next(s for s in event.sessions if s.capacity)
    confirmed = make_registration(
        event, choices=[SessionChoice(session=workshop, status=ChoiceStatus.CONFIRMED)]
    )
    waitlisted = make_registration(event, status=RegistrationStatus.WAITLISTED)
    cancelled = make_registration(
        event, status=RegistrationStatus.CANCELLED, cancelled_at=datetime.now(UTC)
    )
    # The confirmed person registered the waiting one as a colleague (a group of two).
    db.session.add(GroupMembership(member=waitlisted, leader=confirmed, position=1))
    admin = make_user(Role.ADMIN)
    bulk_mail = MailBatch(
        event_id=event.id,
        kind="announcement",
        send_key="populated-send",
        subject_de="Anreise",
        body_de="{greeting}\n\nBitte früh kommen.",
        recipient_count=1,
        created_by=admin,
    )
    db.session.add(bulk_mail)
    # An optional question of the organizers, so that their pages have one to show.
    question = Question(event_id=event.id, kind=QuestionKind.SHORT_TEXT, label="Dienststelle")
    db.session.add(question)
    db.session.commit()
    # A background job done, so that its download has a file to give.
    job = prepared_job(event, admin)
    return SimpleNamespace(
        job=job,
        question=question,
        event=event,
        workshop=workshop,
        track=event.tracks[0],
        speaker=event.speakers[0],
        confirmed=confirmed,
        waitlisted=waitlisted,
        cancelled=cancelled,
        admin=admin,
        checkin=make_user(Role.CHECKIN),
        bulk_mail=bulk_mail,
    )


@pytest.fixture
def route_path(app, populated) -> Callable[..., str]:
    """The path of a URL rule with its arguments filled from ``populated`` (or ``values``)."""
    world = populated

    def build(rule, **values: Any) -> str:
        from eventapp.mail.optout import stop_token

        token = {
            "feeds.personal": world.confirmed.calendar_token,
            "optout.stop": stop_token(world.confirmed),
        }.get(rule.endpoint, world.confirmed.manage_token)
        defaults = {
            "slug": world.event.slug,
            "event_id": world.event.id,
            "session_id": world.workshop.id,
            "registration_id": world.confirmed.id,
            "speaker_id": world.speaker.id,
            "item_id": world.track.id,
            "kind": "tracks",
            "fmt": "csv",
            "token": token,
            "code": world.confirmed.ticket_code,
            "filename": "css/site.css",
            "batch_id": world.bulk_mail.id,
            "user_id": world.checkin.id,
            "token_id": 1,
            "question_id": world.question.id,
            "member_id": world.waitlisted.id,
            "job_id": world.job.id,
        }
        arguments = {name: values.get(name, defaults[name]) for name in rule.arguments}
        if rule.endpoint == "api.checkin_search":
            # The search answers 422 without a query; search for someone who exists.
            arguments["q"] = values.get("q", world.confirmed.last_name)
        adapter = app.url_map.bind("localhost")
        return adapter.build(rule.endpoint, arguments, force_external=False)

    return build


@pytest.fixture
def own_context_clients(app):
    """Test clients that each log in on their own (see ``support.OwnContextClient``)."""
    from support import OwnContextClient

    app.test_client_class = OwnContextClient
    return app
