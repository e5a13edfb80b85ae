"""Engine set-up: SQLite that holds up under several workers, and the transaction mode.

On SQLite a transaction begins ``IMMEDIATE`` (it may write) unless the code that
starts it said it only reads, with ``read_only()``. ``init_app`` applies that to
requests with safe methods; the mail worker uses it to render. Nothing here looks at
a request: the choice is made by whoever knows what the work will do.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import stat
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from flask import Flask, g, request
from sqlalchemy import event, exc
from sqlalchemy.engine import Engine

from eventapp.extensions import db

SQLITE_BUSY_TIMEOUT_MS = 15_000
# A pooled PostgreSQL connection unused for longer is pinged before it is handed out.
PING_IDLE_SECONDS = 10.0
# How often a SQLite writer looks again whether the writers' queue is free.
WRITER_POLL_SECONDS = 0.0005
_WRITER_LOCK = "eventapp_writer_lock"
# The largest id an INTEGER column holds on every supported database; larger ones
# make PostgreSQL fail the query instead of finding nothing.
MAX_ID = 2**31 - 1
READ_ONLY_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

# Whether transactions begun now only read. Per thread (and task): the inline mail
# sender's thread starts with the default and may write.
_reads_only: ContextVar[bool] = ContextVar("eventapp_reads_only", default=False)


@contextmanager
def _transactions(*, reads_only: bool) -> Iterator[None]:
    token = _reads_only.set(reads_only)
    try:
        yield
    finally:
        _reads_only.reset(token)


def read_only() -> contextlib.AbstractContextManager[None]:
    """Transactions begun inside only read: on SQLite they begin deferred.

    Readers then never queue behind a writer's lock. Work that writes in here may fail
    with "database is locked" when another connection writes at the same time.
    """
    return _transactions(reads_only=True)


def write_transaction() -> contextlib.AbstractContextManager[None]:
    """Transactions begun inside may write: on SQLite they take the write lock up front.

    This is the default; use it to write from inside ``read_only()`` (for example in a
    GET request). It takes effect for the next transaction the session begins.
    """
    return _transactions(reads_only=False)


def keep_private(database: str) -> None:
    """Make a SQLite database and its journal files readable by their owner only.

    SQLite creates them with the process umask (usually world-readable), and they
    hold every participant's personal data.
    """
    for path in (database, f"{database}-wal", f"{database}-shm", f"{database}-journal"):
        try:
            mode = stat.S_IMODE(os.stat(path).st_mode)
            if mode & 0o077:
                os.chmod(path, mode & 0o700)
        # A journal file may not exist yet; another user's file keeps its owner's choice.
        except (FileNotFoundError, PermissionError):
            continue


def configure_sqlite(engine: Engine) -> None:
    """WAL journal, a busy timeout, and write transactions begun immediately.

    With SQLite's default deferred transactions, a request that reads and then
    writes fails at once with "database is locked" when another connection
    wrote in between. ``BEGIN IMMEDIATE`` takes the write lock up front and
    waits for it (busy timeout) instead. Requests with safe methods begin
    deferred so that readers never queue behind writers; they must not write.
    """
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, record):
        # Let SQLAlchemy, not the driver, emit BEGIN.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys = ON")
        if engine.url.database not in (None, "", ":memory:"):
            # Before WAL mode creates its files: SQLite gives them the database's mode.
            keep_private(engine.url.database)
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

        if engine.url.database not in (None, "", ":memory:"):
            record.info[_WRITER_LOCK] = os.open(
                f"{engine.url.database}-writers", os.O_RDWR | os.O_CREAT, 0o600
            )

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        if _reads_only.get():
            connection.exec_driver_sql("BEGIN")
        else:
            _queue_for_writing(connection.connection.info)
            connection.exec_driver_sql("BEGIN IMMEDIATE")

    @event.listens_for(engine.pool, "checkin")
    def _on_checkin(_dbapi_connection, record):
        if record is not None:
            _leave_writers_queue(record.info)

    @event.listens_for(engine.pool, "close")
    def _on_close(_dbapi_connection, record):
        _leave_writers_queue(record.info)
        descriptor = record.info.pop(_WRITER_LOCK, None)
        if descriptor is not None:
            os.close(descriptor)


def _queue_for_writing(info: dict) -> None:
    """Wait for this connection's turn to write, on a lock file beside the database.

    SQLite lets one connection write at a time; the others retry in its busy handler,
    which sleeps up to 100 ms between tries, so under a rush of writes a request may
    wait several rounds after the lock came free: the tail of the latencies. Writers
    queue on ``flock`` here first (each connection has its own file description, so
    threads of one process queue too) and look again every half millisecond, and the
    lock is theirs until the connection goes back to the pool, after its commit. After
    the busy timeout the writer goes ahead and SQLite's own waiting decides.
    """
    descriptor = info.get(_WRITER_LOCK)
    if descriptor is None or info.get("eventapp_writing"):
        return
    deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if time.monotonic() > deadline:
                return
            time.sleep(WRITER_POLL_SECONDS)
        else:
            info["eventapp_writing"] = True
            return


def _leave_writers_queue(info: dict) -> None:
    if info.pop("eventapp_writing", False):
        fcntl.flock(info[_WRITER_LOCK], fcntl.LOCK_UN)


def configure_postgresql(engine: Engine) -> None:
    """Reads without a transaction, and a ping only for connections that sat idle.

    Each of these costs a round trip to the server per request, on top of the request's
    own queries: psycopg sends ``BEGIN`` before the first query and SQLAlchemy a
    ``ROLLBACK`` when the connection goes back to the pool, and ``pool_pre_ping`` sends
    an empty query at every checkout. A ``/healthz`` made four round trips for its
    ``SELECT 1``.

    Transactions begun inside ``read_only()`` (requests with safe methods) run in
    autocommit mode instead: under PostgreSQL's READ COMMITTED each statement reads its
    own snapshot anyway, so a reader loses no consistency, and ``BEGIN``/``ROLLBACK``
    are not sent. Should such a transaction write, lock or set a savepoint after all, it
    becomes a real transaction at that statement. Every other transaction is a real one
    from its start, as before.

    A connection back in the pool within ``PING_IDLE_SECONDS`` is handed out as it is:
    under load none is pinged. One that sat idle longer (the server may have restarted
    or a firewall dropped it) is pinged first and replaced if dead. A server restart
    during load fails the requests in flight; SQLAlchemy then drops the whole pool.
    """
    if engine.dialect.name != "postgresql":
        return

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        connection.connection.driver_connection.autocommit = _reads_only.get()

    @event.listens_for(engine, "before_cursor_execute")
    def _before_execute(connection, _cursor, statement, _parameters, _context, _many):
        # Anything but a plain SELECT (a write, a lock, a savepoint) inside a read-only
        # transaction makes it a real one from here on: psycopg sends BEGIN first.
        dbapi_connection = connection.connection.driver_connection
        if dbapi_connection.autocommit and (
            not statement.startswith("SELECT") or "FOR UPDATE" in statement
        ):
            dbapi_connection.autocommit = False

    @event.listens_for(engine.pool, "checkin")
    def _on_checkin(_dbapi_connection, record):
        if record is not None:
            record.info["eventapp_checked_in"] = time.monotonic()

    @event.listens_for(engine.pool, "checkout")
    def _on_checkout(dbapi_connection, record, _proxy):
        idle_since = record.info.get("eventapp_checked_in")
        if idle_since is None or time.monotonic() - idle_since <= PING_IDLE_SECONDS:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as error:
            # The pool closes this connection and retries the checkout with a new one.
            raise exc.DisconnectionError() from error


def init_app(app: Flask) -> None:
    """Tune the app's engine and let requests with safe methods only read.

    HTTP promises that GET, HEAD and OPTIONS change nothing, and this app keeps the
    promise, so their transactions begin deferred; every other request writes.
    Call it before anything registers a ``before_request`` hook that may query: a
    transaction begun before this hook runs would begin ``IMMEDIATE``.
    """
    with app.app_context():
        configure_sqlite(db.engine)
        configure_postgresql(db.engine)

    @app.before_request
    def _safe_methods_only_read() -> None:
        if request.method in READ_ONLY_METHODS:
            g._eventapp_reads_only = _reads_only.set(True)

    @app.teardown_request
    def _end_of_request(_error: BaseException | None) -> None:
        token = g.pop("_eventapp_reads_only", None)
        if token is not None:
            _reads_only.reset(token)
