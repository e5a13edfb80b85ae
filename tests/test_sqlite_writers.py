"""SQLite writers queue on a lock file before ``BEGIN IMMEDIATE``, until their commit;
work that reads first takes the lock late and checks what it read."""

from __future__ import annotations

import fcntl
import os
import threading
import time

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy import event as sa_event

from eventapp import database
from eventapp.database import configure_sqlite, lock_late, read_only
from eventapp.extensions import db
from eventapp.models import Event
from eventapp.registration import availability
from eventapp.registration.waitlist import lock_event


@pytest.fixture
def engine(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'app.db'}")
    configure_sqlite(engine)
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE seat (id INTEGER PRIMARY KEY)"))
    yield engine
    engine.dispose()


def _queue_is_free(engine) -> bool:
    descriptor = os.open(f"{engine.url.database}-writers", os.O_RDWR)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    finally:
        os.close(descriptor)
    return True


def test_a_writer_holds_the_queue_until_its_commit(engine):
    """Not until the connection is back in the pool: what the session does after the
    COMMIT must not keep the next writer waiting."""
    connection = engine.connect()
    connection.execute(text("INSERT INTO seat DEFAULT VALUES"))
    assert not _queue_is_free(engine)
    connection.commit()
    assert _queue_is_free(engine)
    # The same connection queues again for its next write.
    connection.execute(text("INSERT INTO seat DEFAULT VALUES"))
    assert not _queue_is_free(engine)
    connection.rollback()
    assert _queue_is_free(engine)
    connection.close()
    with engine.connect() as reader:
        assert reader.execute(text("SELECT count(*) FROM seat")).scalar_one() == 1


def test_a_savepoint_rolled_back_keeps_the_queue(engine):
    with engine.connect() as connection:
        connection.execute(text("INSERT INTO seat DEFAULT VALUES"))
        savepoint = connection.begin_nested()
        connection.execute(text("INSERT INTO seat DEFAULT VALUES"))
        savepoint.rollback()
        assert not _queue_is_free(engine)
        connection.commit()
        assert _queue_is_free(engine)


def test_sqlite_checkpoints_only_as_a_backstop(engine):
    with engine.connect() as connection:
        pages = connection.execute(text("PRAGMA wal_autocheckpoint")).scalar_one()
    assert pages == database.WAL_BACKSTOP_PAGES


def test_a_process_checkpoints_after_its_writes_once_it_has_left_the_queue(engine, monkeypatch):
    """SQLite's own checkpoint ran inside a COMMIT, with the queue held; this one runs
    after the writer has let the next one go, every few write transactions."""
    monkeypatch.setattr(database, "CHECKPOINT_EVERY_WRITES", 3)
    copied = []

    def checkpoint(dbapi_connection):
        busy, log, checkpointed = dbapi_connection.execute(
            "PRAGMA wal_checkpoint(PASSIVE)"
        ).fetchone()
        copied.append((_queue_is_free(engine), busy, log, checkpointed))

    monkeypatch.setattr(database, "_checkpoint", checkpoint)
    for _ in range(7):
        with engine.begin() as connection:
            connection.execute(text("INSERT INTO seat DEFAULT VALUES"))
    with read_only(), engine.connect() as connection:
        connection.execute(text("SELECT count(*) FROM seat"))
    # The counter also counts the fixture's table; readers are not counted.
    assert len(copied) == 2
    for queue_free, busy, log, checkpointed in copied:
        assert queue_free
        assert busy == 0 and log > 0 and checkpointed == log


def test_a_failed_checkpoint_leaves_the_write_committed(engine, monkeypatch, caplog):
    monkeypatch.setattr(database, "CHECKPOINT_EVERY_WRITES", 1)

    class Refusing:
        def execute(self, statement):
            raise RuntimeError("disk gone")

    database._checkpoint(Refusing())
    assert "checkpoint failed" in caplog.text
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO seat DEFAULT VALUES"))
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM seat")).scalar_one() == 1


def test_readers_do_not_queue(engine):
    with read_only(), engine.connect() as connection:
        connection.execute(text("SELECT count(*) FROM seat"))
        assert _queue_is_free(engine)


def test_a_second_writer_waits_for_the_first_and_then_writes(engine):
    first = engine.connect()
    first.execute(text("INSERT INTO seat DEFAULT VALUES"))
    began = threading.Event()
    finished = []

    def second_writer():
        began.set()
        with engine.begin() as connection:
            connection.execute(text("INSERT INTO seat DEFAULT VALUES"))
        finished.append(time.monotonic())

    thread = threading.Thread(target=second_writer)
    thread.start()
    began.wait()
    time.sleep(0.2)
    assert finished == []
    released = time.monotonic()
    first.commit()
    first.close()
    thread.join(5)
    assert finished and finished[0] >= released
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM seat")).scalar_one() == 2
    assert _queue_is_free(engine)


@pytest.fixture
def sqlite_app(app):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's writers' queue and query plans")
    return app


def test_a_late_lock_checks_the_event_read_before_by_its_stamp(sqlite_app, make_event):
    """Read before the lock (``lock_late``), the event is not read again under it when
    nothing changed: one small query on its stamp instead."""
    event_id = make_event(capacity=5).id
    db.session.remove()
    seen: list[str] = []

    def note(_conn, _cursor, statement, *_args) -> None:
        seen.append(" ".join(statement.split())[:50])

    with lock_late():
        event = db.session.get(Event, event_id)
        sa_event.listen(db.engine, "before_cursor_execute", note)
        try:
            assert lock_event(event_id) is event
        finally:
            sa_event.remove(db.engine, "before_cursor_execute", note)
        db.session.rollback()
    assert seen == [
        "BEGIN IMMEDIATE",
        "SELECT (SELECT event.updated_at FROM event WHERE e",
    ]


def test_the_address_is_looked_up_in_the_unique_index(sqlite_app, make_event):
    """With the index's condition as parameters, SQLite read every registration of the
    event under the event lock to find an address."""
    event = make_event()
    statement = availability.newcomer_statement(False).compile(db.engine)
    params = statement.construct_params(
        {"event_id": event.id, "email": "a@example.org", "capacity": 10}
    )
    plan = db.session.connection().exec_driver_sql(
        "EXPLAIN QUERY PLAN " + str(statement), tuple(params[k] for k in statement.positiontup)
    )
    assert "uq_registration_active_email" in " ".join(str(row) for row in plan)


def test_a_registration_with_nothing_else_to_write_leaves_the_queue_with_its_rows(app, make_event):
    """``last=True``: the rows are committed as they are written and the next writer
    goes at once; the session's commit afterwards has nothing left to do."""
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's writers' queue")
    from flask_babel import force_locale

    from eventapp.models import Registration
    from eventapp.registration import services
    from eventapp.registration.applicant import RegistrationInput

    event = make_event(capacity=10)
    db.session.commit()
    person = RegistrationInput(
        first_name="Jörg", last_name="Müller", email="joerg@example.org", consent_privacy=True
    )
    with force_locale("de"):
        registration = services.register(event, person, [], "de", last=True)
    assert _queue_is_free(db.engine)
    with db.engine.connect() as other:
        stored = other.execute(
            db.select(Registration.status).where(Registration.id == registration.id)
        ).scalar_one()
    assert stored == "confirmed"
    db.session.commit()
    assert _queue_is_free(db.engine)
    assert db.session.get(Registration, registration.id).email == "joerg@example.org"
