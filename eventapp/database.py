"""Engine set-up: SQLite that holds up under several workers, and the transaction mode.

On SQLite a transaction begins ``IMMEDIATE`` (it may write) unless the code that
starts it said it only reads, with ``read_only()``, or that it reads first and takes
the write lock late, with ``lock_late()``. ``init_app`` applies ``read_only()`` to
requests with safe methods; the mail worker uses it to render. Nothing here looks at
a request: the choice is made by whoever knows what the work will do.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import itertools
import logging
import os
import re
import sqlite3
import stat
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

import psycopg
from flask import Flask, g, request
from sqlalchemy import (
    Integer,
    bindparam,
    cast,
    event,
    exc,
    func,
    insert,
    inspect,
    literal,
    select,
    union_all,
)
from sqlalchemy.engine import Engine
from sqlalchemy.orm import MANYTOONE, make_transient_to_detached

from eventapp.extensions import db

log = logging.getLogger(__name__)

SQLITE_BUSY_TIMEOUT_MS = 15_000
# A row-locking clause: FOR UPDATE, FOR NO KEY UPDATE, FOR SHARE, FOR KEY SHARE.
_LOCKING = re.compile(r"\bFOR (?:NO KEY )?(?:UPDATE|SHARE|KEY SHARE)\b")
_IDLE = psycopg.pq.TransactionStatus.IDLE
# A pooled PostgreSQL connection unused for longer is pinged before it is handed out.
PING_IDLE_SECONDS = 10.0
# How often a SQLite writer looks again whether the writers' queue is free.
WRITER_POLL_SECONDS = 0.0005
_WRITER_LOCK = "eventapp_writer_lock"
# SQLite's own checkpoint runs inside the COMMIT that fills the log to its threshold
# (1000 pages), while that writer still holds the writers' queue: every other writer
# waited for it. A process checkpoints instead after every ``CHECKPOINT_EVERY_WRITES``
# of its write transactions, once it has left the queue; SQLite's threshold, raised to
# ``WAL_BACKSTOP_PAGES``, stays as the backstop of a process that writes little.
CHECKPOINT_EVERY_WRITES = 100
WAL_BACKSTOP_PAGES = 10_000
_THREADS_LOCK = "eventapp_threads_lock"
# Per database file: the threads of this process that wait to write queue here first.
_process_writers: dict[str, threading.Lock] = {}
# Per database file: this process's write transactions, counted for its checkpoints.
_WRITES = "eventapp_writes"
_process_writes: dict[str, Iterator[int]] = {}
# The largest id an INTEGER column holds on every supported database; larger ones
# make PostgreSQL fail the query instead of finding nothing.
MAX_ID = 2**31 - 1
READ_ONLY_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# The execution option of a statement that runs as a transaction of its own
# (``runs_alone``).
ALONE = "eventapp_alone"

# How transactions begun now treat the write lock: taken up front (WRITES), never
# (READS) or at the first write or ``begin_writing()`` (LATE). Per thread (and task):
# the inline mail sender's thread starts with the default and may write.
WRITES, READS, LATE = "writes", "reads", "late"
_mode: ContextVar[str] = ContextVar("eventapp_transaction_mode", default=WRITES)
# On a SQLite connection whose transaction takes the write lock late: "reading" until
# it has the lock, "writing" after.
_LATE = "eventapp_late"


@contextmanager
def _transactions(mode: str) -> Iterator[None]:
    token = _mode.set(mode)
    try:
        yield
    finally:
        _mode.reset(token)


def read_only() -> contextlib.AbstractContextManager[None]:
    """Transactions begun inside only read: on SQLite they begin deferred.

    Readers then never queue behind a writer's lock. Work that writes in here may fail
    with "database is locked" when another connection writes at the same time.
    """
    return _transactions(READS)


def write_transaction() -> contextlib.AbstractContextManager[None]:
    """Transactions begun inside may write: on SQLite they take the write lock up front.

    This is the default; use it to write from inside ``read_only()`` (for example in a
    GET request). It takes effect for the next transaction the session begins.
    """
    return _transactions(WRITES)


def lock_late() -> contextlib.AbstractContextManager[None]:
    """Transactions begun inside read without a lock until they write.

    For a request that looks several things up before it decides and writes: the reads
    run outside any transaction (each statement sees what is committed when it runs),
    and the write lock is taken at the first write, or earlier by ``begin_writing()``.
    On SQLite that keeps the lookups out of the one writers' queue; on PostgreSQL it
    saves the round trips of a transaction around them. What decides must be read again
    after the lock is taken: ``begin_writing()`` says when that is.
    """
    return _transactions(LATE)


def begin_writing() -> bool:
    """Take the write lock now if this transaction takes it late and has not yet.

    Returns whether the transaction took it late (now, or at a write before): then
    what it read first was read without the lock, and what a decision rests on must be
    checked again. On PostgreSQL the caller's ``SELECT … FOR UPDATE`` takes its own row
    locks; nothing happens here.
    """
    connection = db.session.connection()
    info = connection.connection.info
    state = info.get(_LATE)
    if state == "reading":
        _start_writing(connection, info)
    return state is not None


def commit_keeping_values() -> None:
    """Commit, and keep what the session holds as it was written instead of expiring it.

    For an answer made after the commit from the objects just written, without reading
    them again; the objects may be out of date for anything done later.
    """
    session = db.session()
    expiring, session.expire_on_commit = session.expire_on_commit, False
    try:
        session.commit()
    finally:
        session.expire_on_commit = expiring


def runs_alone(connection: Any) -> bool:
    """Whether a statement sent now on ``connection`` would be a transaction of its own.

    On PostgreSQL inside ``lock_late()`` or ``read_only()``, until the first write or
    lock: the statement, executed with the execution option ``ALONE``, is atomic and
    committed when it returns, without the round trips of ``BEGIN`` and ``COMMIT``, and
    its locks last as long as it runs. Should it fail, nothing is left to roll back.
    """
    return connection.dialect.name == "postgresql" and _autocommitting(
        connection.connection.driver_connection
    )


def _autocommitting(driver: Any) -> bool:
    """PostgreSQL: whether a statement sent now would commit itself. A transaction begun
    with a ``BEGIN`` of its own (``pipelined``) leaves psycopg in autocommit mode."""
    return driver.autocommit and driver.info.transaction_status == _IDLE


def unchanged_since_read(*objects: Any) -> bool:
    """Whether the rows of ``objects`` are still as this session read them, in one query.

    For what was read before ``begin_writing()`` took the lock: every change of these
    rows moves their ``updated_at`` stamp (``onupdate``), so comparing stamps is enough
    and costs far less than reading the rows again.
    """
    present = [obj for obj in objects if obj is not None]
    if not present:
        return True
    statement = _stamps_statement(tuple(type(obj) for obj in present))
    params = {f"id_{n}": obj.id for n, obj in enumerate(present)}
    # On the connection: the session's execution machinery cost more than the query.
    stamps = db.session.connection().execute(statement, params).one()
    return all(stamp == obj.updated_at for stamp, obj in zip(stamps, present, strict=True))


@functools.cache
def _stamps_statement(classes: tuple[type, ...]) -> Any:
    return select(
        *(
            select(cls.updated_at)
            .where(cls.id == bindparam(f"id_{n}", type_=Integer))
            .scalar_subquery()
            for n, cls in enumerate(classes)
        )
    )


def _start_writing(connection, info: dict) -> None:
    info[_LATE] = "writing"
    _queue_for_writing(info)
    connection.exec_driver_sql("BEGIN IMMEDIATE")


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
            cursor.execute(f"PRAGMA wal_autocheckpoint = {WAL_BACKSTOP_PAGES}")
        cursor.close()

        if engine.url.database not in (None, "", ":memory:"):
            record.info[_WRITER_LOCK] = os.open(
                f"{engine.url.database}-writers", os.O_RDWR | os.O_CREAT, 0o600
            )
            record.info[_THREADS_LOCK] = _process_writers.setdefault(
                engine.url.database, threading.Lock()
            )
            record.info[_WRITES] = _process_writes.setdefault(
                engine.url.database, itertools.count(1)
            )

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        mode = _mode.get()
        if mode == READS:
            connection.exec_driver_sql("BEGIN")
        elif mode == LATE:
            # No BEGIN: each read is its own transaction until the first write.
            connection.connection.info[_LATE] = "reading"
        else:
            _queue_for_writing(connection.connection.info)
            connection.exec_driver_sql("BEGIN IMMEDIATE")

    @event.listens_for(engine, "before_cursor_execute")
    def _before_execute(connection, _cursor, statement, _parameters, _context, _many):
        info = connection.connection.info
        if info.get(_LATE) == "reading" and not statement.startswith("SELECT"):
            _start_writing(connection, info)

    @event.listens_for(engine, "commit")
    @event.listens_for(engine, "rollback")
    def _on_end(connection):
        connection.connection.info.pop(_LATE, None)

    # The next writer may go as soon as the COMMIT (or ROLLBACK) is done: what the
    # session does after it (expiring its objects, closing, handing the connection back)
    # took longer than the scan's writes, and every other writer waited for it.
    commit, rollback = engine.dialect.do_commit, engine.dialect.do_rollback

    def _commit_then_leave(connection):
        commit(connection)
        _after_writing(connection)

    def _rollback_then_leave(connection):
        rollback(connection)
        _after_writing(connection)

    engine.dialect.do_commit = _commit_then_leave  # type: ignore[method-assign]
    engine.dialect.do_rollback = _rollback_then_leave  # type: ignore[method-assign]

    @event.listens_for(engine.pool, "checkin")
    def _on_checkin(dbapi_connection, record):
        if record is not None:
            record.info.pop(_LATE, None)
            _after_writing(dbapi_connection, record.info)

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
    queue here first, and the lock is theirs until their COMMIT or ROLLBACK is done.
    The threads of one process wait on a lock of their own, which wakes the next one
    as soon as it is free and costs nothing while waiting; the one in front looks at
    the lock file every half millisecond (``flock``; each connection has its own file
    description). After the busy timeout the writer goes ahead and SQLite's own
    waiting decides.
    """
    descriptor = info.get(_WRITER_LOCK)
    if descriptor is None or info.get("eventapp_writing"):
        return
    timeout = SQLITE_BUSY_TIMEOUT_MS / 1000
    deadline = time.monotonic() + timeout
    if not info[_THREADS_LOCK].acquire(timeout=timeout):
        return
    info["eventapp_writing"] = True
    while True:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if time.monotonic() > deadline:
                return
            time.sleep(WRITER_POLL_SECONDS)
        else:
            info["eventapp_file_locked"] = True
            return


def _after_writing(connection: Any, info: dict | None = None) -> None:
    """Let the next writer go if this connection had the queue, and checkpoint after
    every ``CHECKPOINT_EVERY_WRITES`` of the process's write transactions."""
    if info is None:
        try:
            info = connection.info
        # The dialect's first connection, before the pool has it: it never wrote.
        except NotImplementedError:
            return
    if _leave_writers_queue(info) and next(info[_WRITES]) % CHECKPOINT_EVERY_WRITES == 0:
        _checkpoint(connection)


def _leave_writers_queue(info: dict) -> bool:
    """Let the next writer go; True if this connection had the queue."""
    if info.pop("eventapp_file_locked", False):
        fcntl.flock(info[_WRITER_LOCK], fcntl.LOCK_UN)
    if info.pop("eventapp_writing", False):
        info[_THREADS_LOCK].release()
        return True
    return False


def _checkpoint(dbapi_connection: Any) -> None:
    """Copy the write-ahead log back into the database, outside the writers' queue.

    ``PASSIVE`` waits for nobody: writers go on appending to the log meanwhile, and
    frames still in use by a reader are left for the next checkpoint.
    """
    try:
        dbapi_connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
    except Exception:  # the log is copied at the next checkpoint; the request succeeded
        log.warning("SQLite checkpoint failed", exc_info=True)


def configure_postgresql(engine: Engine) -> None:
    """Reads without a transaction, and a ping only for connections that sat idle.

    Each of these costs a round trip to the server per request, on top of the request's
    own queries: psycopg sends ``BEGIN`` before the first query and SQLAlchemy a
    ``ROLLBACK`` when the connection goes back to the pool, and ``pool_pre_ping`` sends
    an empty query at every checkout. A ``/healthz`` made four round trips for its
    ``SELECT 1``.

    Transactions begun inside ``read_only()`` (requests with safe methods) or
    ``lock_late()`` run in autocommit mode instead: under PostgreSQL's READ COMMITTED
    each statement reads its own snapshot anyway, so a reader loses no consistency, and
    ``BEGIN``/``ROLLBACK`` are not sent. Should such a transaction write, lock or set a
    savepoint after all, it becomes a real transaction at that statement. Every other
    transaction is a real one from its start, as before.

    A connection back in the pool within ``PING_IDLE_SECONDS`` is handed out as it is:
    under load none is pinged. One that sat idle longer (the server may have restarted
    or a firewall dropped it) is pinged first and replaced if dead. A server restart
    during load fails the requests in flight; SQLAlchemy then drops the whole pool.
    """
    if engine.dialect.name != "postgresql":
        return

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        connection.connection.driver_connection.autocommit = _mode.get() != WRITES

    @event.listens_for(engine, "before_cursor_execute")
    def _before_execute(connection, _cursor, statement, _parameters, context, _many):
        # Anything but a plain SELECT (a write, a lock, a savepoint) inside a read-only
        # transaction makes it a real one from here on: psycopg sends BEGIN first. A
        # statement sent ``alone`` stays a transaction of its own.
        dbapi_connection = connection.connection.driver_connection
        if (
            _autocommitting(dbapi_connection)
            and (not statement.startswith("SELECT") or _LOCKING.search(statement))
            and not (context is not None and context.execution_options.get(ALONE))
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
            g._eventapp_reads_only = _mode.set(READS)

    @app.teardown_request
    def _end_of_request(_error: BaseException | None) -> None:
        token = g.pop("_eventapp_reads_only", None)
        if token is not None:
            _mode.reset(token)


def insert_new(*groups: Sequence[Any], last: bool = False) -> None:
    """Write new objects with one ``INSERT`` per group and keep them as loaded.

    Each group holds objects of one mapped class; groups go in order, so that a group's
    references (many-to-one) point at objects written before. For a path run under a
    lock where the unit of work's bookkeeping costs more than the writes (a
    registration's flush took twice as long as its statements). The rows get the column
    defaults a flush would give them and their ids; the objects then belong to the
    session as if read from the database, with no change pending. No flush runs, so no
    flush listener sees these rows: the caller does what those would. On PostgreSQL
    several groups go in one statement (``_insert_in_one_statement``): a round trip less
    per group, each of which the next writer waited for under a rush.

    ``last``: these are the transaction's last writes, and they are committed with them.
    On PostgreSQL, where several groups go in one statement, the ``COMMIT`` goes to the
    server with it, in the same round trip (a single group waits for the caller's
    commit), and the locks the transaction holds are let go as soon as the server has
    written the rows, not after this process has read the answer and sent the
    ``COMMIT``. On SQLite
    the next writer goes as soon as the rows are in, not after the caller's commit has
    worked through the session. The caller's own commit then finds nothing left to do.
    """
    connection = db.session.connection()
    groups = tuple(objects for objects in groups if objects)
    plans = [_insert_plan(inspect(objects[0]).mapper) for objects in groups]
    if connection.dialect.name == "postgresql" and len(groups) > 1:
        _insert_in_one_statement(connection, groups, plans, last)
    elif connection.dialect.name == "sqlite":
        begin_writing()
        cursor = connection.connection.driver_connection.cursor()
        try:
            for objects, plan in zip(groups, plans, strict=True):
                for obj in objects:
                    row = _row_of(plan, obj)
                    _keep_written(obj, plan, row, _sqlite_insert(cursor, plan, row))
        finally:
            cursor.close()
        if last:
            _commit_now(connection)
    else:
        for objects, plan in zip(groups, plans, strict=True):
            rows = [_row_of(plan, obj) for obj in objects]
            if len(rows) == 1:
                ids = [connection.execute(plan.statement, rows[0]).scalar_one()]
            else:
                ids = connection.execute(plan.statement, rows).scalars().all()
            for obj, row, new_id in zip(objects, rows, ids, strict=True):
                _keep_written(obj, plan, row, new_id)
    written = [obj for objects in groups for obj in objects]
    for obj in written:
        make_transient_to_detached(obj)
    db.session.add_all(written)


def _commit_now(connection: Any) -> None:
    """SQLite: COMMIT on the driver's connection and leave the writers' queue; the
    session's commit afterwards finds no transaction open."""
    pooled = connection.connection
    pooled.driver_connection.commit()
    _after_writing(pooled)


def _sqlite_insert(cursor: Any, plan: _InsertPlan, row: dict[str, Any]) -> int:
    """SQLite: one row through the driver's cursor; its id.

    The statement is compiled once per class and set of columns, and the values go
    through the columns' own conversions; the execution machinery around a statement
    cost three times the statement, in the one writers' queue.
    """
    sql, names, conversions = _sqlite_compiled(plan, tuple(row))
    values = [
        convert(row[name]) if convert is not None else row[name]
        for name, convert in zip(names, conversions, strict=True)
    ]
    try:
        cursor.execute(sql, values)
    except sqlite3.Error as error:
        # As SQLAlchemy raises it (an IntegrityError, say), for the callers' handlers.
        raise exc.DBAPIError.instance(sql, values, error, sqlite3.Error) from error
    return cursor.lastrowid


@functools.cache
def _sqlite_compiled(plan: _InsertPlan, keys: tuple[str, ...]) -> tuple[str, tuple, tuple]:
    compiled = plan.plain.compile(dialect=db.engine.dialect, column_keys=list(keys))
    names = tuple(compiled.positiontup or ())
    processors = compiled._bind_processors
    return compiled.string, names, tuple(processors.get(name) for name in names)


def _keep_written(obj: Any, plan: _InsertPlan, row: dict[str, Any], new_id: int) -> None:
    values = inspect(obj).dict
    values[plan.id_key] = new_id
    for column_key, key, _default in plan.columns:
        values[key] = row[column_key]


@dataclass(frozen=True)
class _Slot:
    """The id of the ``row``-th new object of group ``group`` in the same statement."""

    group: int
    row: int


def _insert_in_one_statement(
    connection: Any, groups: Sequence[Sequence[Any]], plans, last: bool = False
) -> None:
    """PostgreSQL: all groups in one statement, one round trip under the caller's lock.

    The ids are drawn from the tables' sequences in the statement itself, in the order of
    the groups and their rows, and a reference to an object of an earlier group takes
    that object's id there. Each group is an ``INSERT`` in a ``WITH`` clause; the
    foreign keys are checked at the end of the statement, when every row is in.
    """
    slots = {
        id(obj): _Slot(n, r) for n, objects in enumerate(groups) for r, obj in enumerate(objects)
    }
    rows = [
        [_row_of(plan, obj, slots) for obj in objects]
        for objects, plan in zip(groups, plans, strict=True)
    ]
    shape = tuple(
        (inspect(objects[0]).mapper, tuple(_refs(row) for row in group_rows))
        for objects, group_rows in zip(groups, rows, strict=True)
    )
    parameters = {
        f"v{n}_{r}_{column_key}": value
        for n, group_rows in enumerate(rows)
        for r, row in enumerate(group_rows)
        for column_key, value in row.items()
        if not isinstance(value, _Slot)
    }
    statement = _together_statement(shape)
    if last:
        ids = _execute_and_commit(connection, statement, parameters)
    else:
        ids = connection.execute(statement, parameters).one()
    # Where each group's ids begin in the row of ids.
    offsets = list(itertools.accumulate((len(objects) for objects in groups), initial=0))
    for n, (objects, plan, group_rows) in enumerate(zip(groups, plans, rows, strict=True)):
        for r, (obj, row) in enumerate(zip(objects, group_rows, strict=True)):
            resolved = {
                key: ids[offsets[value.group] + value.row] if isinstance(value, _Slot) else value
                for key, value in row.items()
            }
            _keep_written(obj, plan, resolved, ids[offsets[n] + r])


def _execute_and_commit(connection: Any, statement: Any, parameters: dict[str, Any]) -> Any:
    """PostgreSQL: ``statement`` and the ``COMMIT`` sent together, its one row read after
    both ran. SQLAlchemy still counts the transaction as open: its commit finds the
    connection idle and sends nothing."""
    ((row,),) = pipelined(connection, [(statement, parameters)], commit=True)
    return row


def pipelined(
    connection: Any, statements: Sequence[tuple[Any, dict[str, Any]]], *, commit: bool = False
) -> list[list[tuple]]:
    """PostgreSQL: ``statements`` sent to the server together (psycopg's pipeline mode,
    one ``Sync``), and each one's rows, as plain tuples, read after all ran (none for a
    statement that returns no rows, such as ``SET``).

    One round trip for all: under a lock, each round trip is a wait for the server and
    then for this process's turn to run Python again. The server runs the statements one
    after the other, each with a snapshot of its own (READ COMMITTED), so a statement
    after one that waited for a lock sees what was committed before the lock was granted.
    A connection in autocommit becomes a transaction first, with a ``BEGIN`` sent ahead of
    the statements in the same round trip (psycopg, made to leave autocommit, would send
    its own in a round trip of its own, which a registration waited for before it asked
    for the event's lock); the driver stays in autocommit mode, and its ``commit()`` and
    ``rollback()`` end that transaction as any other. ``commit`` sends the ``COMMIT``
    with the statements.
    The values go through the columns' own conversions; the rows come back as the driver
    reads them. Errors are raised as SQLAlchemy's.
    """
    bound = [bound_for_postgresql(s, connection.dialect, p) for s, p in statements]
    driver = connection.connection.driver_connection
    begin = _autocommitting(driver)
    sent = []
    try:
        with driver.pipeline():
            if begin:
                driver.execute("BEGIN")
            for sql, values in bound:
                cursor = psycopg.RawCursor(driver)
                cursor.execute(sql, values)
                sent.append(cursor)
            if commit:
                driver.execute("COMMIT")
        return [cursor.fetchall() if cursor.description else [] for cursor in sent]
    except driver.Error as error:
        # As SQLAlchemy raises it (an IntegrityError, say), for the callers' handlers.
        sql = "; ".join(sql for sql, _values in bound)
        raise exc.DBAPIError.instance(sql, None, error, driver.Error) from error


def bound_for_postgresql(
    statement: Any, dialect: Any, parameters: dict[str, Any]
) -> tuple[str, tuple[Any, ...]]:
    """``statement`` as compiled once for psycopg's ``RawCursor``, and its values in the
    order of its placeholders, converted by the columns' own types."""
    compiled = _postgresql_compiled(statement, dialect)
    conversions = compiled._bind_processors
    values = compiled.construct_params(parameters)
    return compiled.string, tuple(
        conversions[name](values[name]) if name in conversions else values[name]
        for name in compiled.positiontup
    )


@functools.cache
def _postgresql_compiled(statement: Any, dialect: Any) -> Any:
    # Compiled once, with the server's own numbered placeholders ($1, $2 …), which
    # psycopg's ``RawCursor`` sends as they are. With named ones, psycopg parses each
    # statement to number them, and keeps the result only for short statements with few
    # values: a registration's INSERT was parsed again every time.
    numbered = type(dialect)(paramstyle="numeric_dollar")
    numbered.server_version_info = dialect.server_version_info
    return statement.compile(dialect=numbered)


def _refs(row: dict[str, Any]) -> tuple[tuple[str, _Slot], ...]:
    return tuple((key, value) for key, value in row.items() if isinstance(value, _Slot))


@functools.cache
def _together_statement(shape: tuple) -> Any:
    # Built once per shape (the classes, their numbers of rows and which columns name an
    # object of the statement): a registration has a handful of shapes. The values are
    # cast to their columns' types, which a SELECT list does not give them.
    id_columns = []
    for n, (mapper, group_rows) in enumerate(shape):
        table = mapper.local_table
        (primary_key,) = table.primary_key.columns
        sequence = func.pg_get_serial_sequence(literal(table.name), literal(primary_key.name))
        id_columns += [func.nextval(sequence).label(f"id_{n}_{r}") for r in range(len(group_rows))]
    new_ids = select(*id_columns).cte("new_ids")
    inserts = []
    for n, (mapper, group_rows) in enumerate(shape):
        table = mapper.local_table
        (primary_key,) = table.primary_key.columns
        columns = [column for column in table.columns if not column.primary_key]
        selects = []
        for r, refs in enumerate(group_rows):
            slots = dict(refs)
            values = [
                new_ids.c[f"id_{slots[column.key].group}_{slots[column.key].row}"]
                if column.key in slots
                else cast(bindparam(f"v{n}_{r}_{column.key}", type_=column.type), column.type)
                for column in columns
            ]
            selects.append(select(new_ids.c[f"id_{n}_{r}"], *values))
        rows = selects[0] if len(selects) == 1 else union_all(*selects)
        names = [primary_key.name, *(column.name for column in columns)]
        inserts.append(insert(table).from_select(names, rows).cte(f"new_rows_{n}"))
    return select(new_ids).add_cte(*inserts)


@dataclass(frozen=True)
class _InsertPlan:
    statement: Any
    # Without RETURNING: SQLite gives the new row's id with the cursor.
    plain: Any
    id_key: str
    # (column key, attribute key, default) of every column but the id
    columns: tuple[tuple[str, str, Any], ...]
    # (attribute key, [(column key, the referenced attribute's key)]) of many-to-ones
    references: tuple[tuple[str, tuple[tuple[str, str], ...]], ...]


@functools.cache
def _insert_plan(mapper: Any) -> _InsertPlan:
    # Worked out once per class: which attribute fills which column. Several rows go in
    # one statement, and PostgreSQL returns their ids in the rows' order.
    table = mapper.local_table
    (primary_key,) = table.primary_key.columns
    references = tuple(
        (
            relationship.key,
            tuple(
                (local.key, relationship.mapper.get_property_by_column(remote).key)
                for local, remote in relationship.local_remote_pairs
            ),
        )
        for relationship in mapper.relationships
        if relationship.direction is MANYTOONE and not relationship.viewonly
    )
    return _InsertPlan(
        statement=insert(table).returning(primary_key, sort_by_parameter_order=True),
        plain=insert(table),
        id_key=mapper.get_property_by_column(primary_key).key,
        columns=tuple(
            (column.key, mapper.get_property_by_column(column).key, column.default)
            for column in table.columns
            if not column.primary_key
        ),
        references=references,
    )


def _row_of(plan: _InsertPlan, obj: Any, slots: dict[int, _Slot] | None = None) -> dict[str, Any]:
    """The column values of an unsaved object: set, or their default, or their reference's
    id; a reference to an object written in the same statement gets that object's slot."""
    values = inspect(obj).dict
    row: dict[str, Any] = {}
    for key, pairs in plan.references:
        target = values.get(key)
        if target is not None:
            slot = slots.get(id(target)) if slots else None
            for column_key, target_key in pairs:
                row[column_key] = slot if slot is not None else getattr(target, target_key)
    for column_key, key, default in plan.columns:
        if key in values:
            row[column_key] = values[key]
        elif column_key not in row:
            row[column_key] = _default(default)
    return row


def _default(default: Any) -> Any:
    if default is None:
        return None
    # SQLAlchemy wraps a column's default function to take the execution context.
    return default.arg(None) if default.is_callable else default.arg
