"""Hot reads: rows of a built statement, and the session's objects made from them.

The requests a rush or the door repeats most (an API token, a scan's event and ticket, a
registration's event and workshops) each read one or two rows by key. Through the ORM,
each such statement also paid for the execution machinery around it (parameters
processed, a result set up, rows turned into objects); what saves most is sending fewer
statements (``Along``: two reads in one), and each one left costs less here. Here the
statement, compiled once, goes to the driver's cursor with the server's numbered
placeholders (``database.bound_for_postgresql``, as ``database.pipelined`` sends its
statements), the values are converted by the columns' own types, and the objects are
made as the ORM would load them with ``load_only``: they belong to the session, with no
change pending, and a column not read is loaded when first used. On SQLite the rows come
through SQLAlchemy's Core execution, with the same objects made from them.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import psycopg
from sqlalchemy import exc, inspect, true
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.attributes import instance_state, set_committed_value

from eventapp.database import bound_for_postgresql
from eventapp.extensions import db


@dataclass(frozen=True)
class Columns:
    """The columns of a mapped class that a read takes, its primary key first."""

    cls: type
    keys: tuple[str, ...]

    @property
    def selected(self) -> list[Any]:
        """The class's attributes, to put in a ``select()`` in this order."""
        return [getattr(self.cls, key) for key in self.keys]

    def __len__(self) -> int:
        return len(self.keys)


# A part of a row that is one plain value, not an object (``objects``).
VALUE = Columns(object, ("value",))


@functools.cache
def columns(cls: type, *keys: str) -> Columns:
    """``cls``'s primary key and the columns ``keys``: what a read of ``cls`` takes."""
    (primary_key,) = inspect(cls).primary_key
    id_key = inspect(cls).get_property_by_column(primary_key).key
    return Columns(cls, (id_key, *(key for key in keys if key != id_key)))


@dataclass(frozen=True)
class Along:
    """A read of at most one row, sent in the statement of another read (``joined``).

    ``statement`` selects the columns of ``parts`` in their order; ``parameters`` are its
    values. For a request that must read two unrelated things before it can do anything
    (an API token and what the request is about): one statement and one round trip
    instead of two, which on PostgreSQL cost the driver more than the reads themselves.
    """

    statement: Any
    parts: tuple[Columns, ...]
    parameters: dict[str, Any]


@functools.cache
def joined(statement: Any, along: Any) -> Any:
    """``statement`` with the row of ``along`` (a statement) beside each of its rows, or
    NULLs where it finds none: its columns after those of ``statement``."""
    found = along.subquery("along")
    return statement.outerjoin(found, true()).add_columns(*found.c)


def rows(statement: Any, parameters: dict[str, Any]) -> list[tuple]:
    """The rows of ``statement``, each a tuple of values as its columns' types give them.

    On the session's connection and in its transaction (or in none, in autocommit);
    errors are raised as SQLAlchemy's.
    """
    connection = db.session.connection()
    if connection.dialect.name != "postgresql":
        return [tuple(row) for row in connection.execute(statement, parameters)]
    sql, values = bound_for_postgresql(statement, connection.dialect, parameters)
    driver = connection.connection.driver_connection
    try:
        with psycopg.RawCursor(driver) as cursor:
            # The engine's listeners see the statement as they see SQLAlchemy's own.
            connection.dispatch.before_cursor_execute(connection, cursor, sql, values, None, False)
            cursor.execute(sql, values)
            connection.dispatch.after_cursor_execute(connection, cursor, sql, values, None, False)
            found = cursor.fetchall()
            type_codes = [column.type_code for column in cursor.description or ()]
    except driver.Error as error:
        raise exc.DBAPIError.instance(sql, None, error, driver.Error) from error
    conversions = [
        column.type._cached_result_processor(connection.dialect, type_code)
        for column, type_code in zip(statement.selected_columns, type_codes, strict=True)
    ]
    if not any(conversions):
        return found
    return [
        tuple(
            convert(value) if convert is not None else value
            for convert, value in zip(conversions, row, strict=True)
        )
        for row in found
    ]


def objects(statement: Any, parameters: dict[str, Any], *parts: Columns) -> list[tuple]:
    """The rows of ``statement`` as objects: it selects the columns of ``parts`` in their
    order (``Columns.selected``), and each row becomes one object per part, or None where
    an outer join found no row (its primary key NULL); a ``VALUE`` part is one column's
    value as it is."""
    found = []
    for row in rows(statement, parameters):
        start, made = 0, []
        for part in parts:
            if part is VALUE:
                made.append(row[start])
            else:
                made.append(as_read(part, row[start : start + len(part)]))
            start += len(part)
        found.append(tuple(made))
    return found


def as_read(part: Columns, values: Sequence[Any]) -> Any:
    """The session's object of ``part.cls`` for a row read as ``values``.

    The object the session holds already, with the columns it had not loaded filled in;
    or a new one that belongs to the session as if the ORM had read it with ``load_only``.
    """
    if values[0] is None:
        return None
    session = db.session()
    mapper = inspect(part.cls)
    existing = session.identity_map.get(mapper.identity_key_from_primary_key((values[0],)))
    if existing is not None:
        unloaded = instance_state(existing).unloaded
        for key, value in zip(part.keys, values, strict=True):
            if key in unloaded:
                set_committed_value(existing, key, value)
        return existing
    obj = mapper.class_manager.new_instance()
    state = instance_state(obj)
    state.dict.update(zip(part.keys, values, strict=True))
    make_transient_to_detached(obj)
    # Not expired, as a detached object's missing columns are (the first one used would
    # load them all): deferred one by one, as ``load_only`` leaves them.
    for prop in _deferred(part):
        state.expired_attributes.discard(prop.key)
        prop._deferred_column_loader(state, state.dict, None)
    session.add(obj)
    return obj


@functools.cache
def _deferred(part: Columns) -> tuple[Any, ...]:
    return tuple(prop for prop in inspect(part.cls).column_attrs if prop.key not in set(part.keys))
