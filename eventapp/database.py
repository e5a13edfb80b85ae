"""Engine set-up: SQLite that holds up under several workers."""

from __future__ import annotations

import os
import stat

from flask import has_request_context, request
from sqlalchemy import event
from sqlalchemy.engine import Engine

SQLITE_BUSY_TIMEOUT_MS = 15_000
# The largest id an INTEGER column holds on every supported database; larger ones
# make PostgreSQL fail the query instead of finding nothing.
MAX_ID = 2**31 - 1
READ_ONLY_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


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
    def _on_connect(dbapi_connection, _record):
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

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        if has_request_context() and request.method in READ_ONLY_METHODS:
            connection.exec_driver_sql("BEGIN")
        else:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
