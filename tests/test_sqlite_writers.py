"""SQLite writers queue on a lock file before ``BEGIN IMMEDIATE``, until their commit."""

from __future__ import annotations

import fcntl
import os
import threading
import time

import pytest
from sqlalchemy import create_engine, text

from eventapp.database import configure_sqlite, read_only


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


def test_a_writer_holds_the_queue_until_its_connection_is_back_after_the_commit(engine):
    connection = engine.connect()
    connection.execute(text("INSERT INTO seat DEFAULT VALUES"))
    assert not _queue_is_free(engine)
    connection.commit()
    connection.close()
    assert _queue_is_free(engine)


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
