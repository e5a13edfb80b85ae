"""What a request costs in round trips to PostgreSQL besides its own queries.

psycopg's protocol trace shows every message the client sends; each simple ``Query``
and each ``Sync`` (the end of an extended query) is one round trip to the server. A
``COMMIT`` sent in the same round trip as a statement (psycopg's pipeline mode) shows as
``(extended query, COMMIT)``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import event as sa_event
from sqlalchemy import text
from support import api_headers

from eventapp import database
from eventapp.extensions import db
from eventapp.models import Question, QuestionKind, Role, SessionKind


@pytest.fixture(autouse=True)
def _postgresql_only(app):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("round trips to a server: PostgreSQL only (TEST_DATABASE_URL)")


@contextmanager
def round_trips(tmp_path: Path) -> Iterator[list[str]]:
    """The round trips (simple queries and extended-query syncs) sent inside the block."""
    trace_path = tmp_path / "protocol.trace"
    traced = []
    sent: list[str] = []
    # The test's app context holds a session; requests share it. Start without a
    # connection, and hand it back at the end, as a request in a server does.
    db.session.remove()
    with trace_path.open("w") as trace:

        def start(dbapi_connection, _record, _proxy):
            dbapi_connection.pgconn.trace(trace.fileno())
            traced.append(dbapi_connection)

        sa_event.listen(db.engine.pool, "checkout", start)
        try:
            yield sent
            db.session.remove()
        finally:
            sa_event.remove(db.engine.pool, "checkout", start)
            for dbapi_connection in traced:
                dbapi_connection.pgconn.untrace()
    # A sync of several statements says how many; a BEGIN or COMMIT sent with the
    # statements of one sync is named beside them.
    statements, commands = 0, []
    for line in trace_path.read_text().splitlines():
        fields = line.split("\t")
        # Lines are: [timestamp,] direction, length, message type, contents.
        if "F" in fields[:2]:
            kind, rest = fields[fields.index("F") + 2], fields[fields.index("F") + 3 :]
            if kind == "Query":
                sent.append(rest[0].strip().strip('"'))
            elif kind == "Parse":
                named = [c for c in ("BEGIN", "COMMIT") if f'"{c}"' in rest[0]]
                commands += named
                statements += not named
            elif kind == "Sync":
                queries = "extended query" if statements < 2 else f"{statements} extended queries"
                sent.append(", ".join([f"({queries}", *commands]) + ")")
                statements, commands = 0, []


def test_healthz_is_its_select_and_nothing_else(client, tmp_path):
    client.get("/healthz")  # a pooled connection exists
    with round_trips(tmp_path) as sent:
        assert client.get("/healthz").status_code == 200
    # Before: ";" (pool_pre_ping), "BEGIN", "SELECT 1", "ROLLBACK". psycopg sends a query
    # it has seen five times on a connection as a prepared statement (extended protocol).
    assert sent in (["SELECT 1"], ["(extended query)"])


def test_a_cached_feed_costs_one_round_trip(client, make_programme, tmp_path):
    event = make_programme()
    url = f"/events/{event.slug}/calendar.ics"
    etag = client.get(url).headers["ETag"]
    with round_trips(tmp_path) as sent:
        assert client.get(url).status_code == 200
        assert client.get(url, headers={"If-None-Match": etag}).status_code == 304
    assert sent == ["(extended query)", "(extended query)"]


def test_a_scan_costs_two_round_trips(client, make_event, make_registration, make_user, tmp_path):
    """A scan at the door: the token with its user, the event and the ticket in one
    statement (``api_auth`` reads the scan's code with the token), then the check-in as a
    statement of its own, which commits itself. No BEGIN, no COMMIT."""
    event = make_event(slug="kongress")
    first, second = make_registration(event), make_registration(event)
    headers = api_headers(make_user(Role.CHECKIN))
    codes = [first.ticket_code, second.ticket_code]

    def scan(code: str) -> None:
        response = client.post(
            "/api/v1/checkin/redeem",
            json={"code": code, "event": "kongress", "list": "entrance"},
            headers=headers,
        )
        assert response.json["status"] == "ok"

    scan(codes[0])  # the token's first use is recorded
    with round_trips(tmp_path) as sent:
        scan(codes[1])
    assert sent == ["(extended query)", "(extended query)"]


def register(client, slug: str, **extra) -> None:
    response = client.post(
        f"/api/v1/events/{slug}/registrations",
        json={
            "first_name": "Jörg",
            "last_name": "Müller",
            "email": "joerg@example.org",
            "consent_privacy": True,
            **extra,
        },
    )
    assert response.status_code == 201, response.get_json()


def test_a_registration_commits_with_its_rows(app, client, make_event, tmp_path):
    """The event is looked up first, without a transaction (``database.lock_late``),
    with whether its form asks questions: this one asks none, so none are read. The lock,
    the seat decision and the writes run in one transaction: the event's stamp with its
    lock and the counts in one round trip (the statement that takes the lock also sets
    the counts to be planned once), then the registration, its history entry and
    its mail in one statement, sent with the ``COMMIT``: the server lets go of the event
    row as soon as the rows are written, not one more round trip later. The ``BEGIN``
    goes with the lock, not in a round trip of its own before it."""
    slug = make_event().slug
    with round_trips(tmp_path) as sent:
        register(client, slug)
    assert sent[:3] == [
        "(extended query)",
        "(2 extended queries, BEGIN)",
        "(extended query, COMMIT)",
    ]
    assert "COMMIT" not in sent
    assert "(extended query, BEGIN)" not in sent


def test_workshops_are_read_before_the_lock_and_counted_with_it(
    app, client, make_programme, tmp_path
):
    """With workshops chosen, they are read with the event, in its statement, before the
    event is locked; under the lock the same statements as without
    (``waitlist.lock_for_newcomer``)."""
    event = make_programme()
    workshop = next(s for s in event.sessions if s.kind == SessionKind.WORKSHOP)
    slug, workshop_id = event.slug, workshop.id
    with round_trips(tmp_path) as sent:
        register(client, slug, session_ids=[workshop_id])
    assert sent[:3] == [
        "(extended query)",
        "(2 extended queries, BEGIN)",
        "(extended query, COMMIT)",
    ]


def test_the_counts_under_the_lock_are_planned_once(app, client, make_programme):
    """Once the driver has prepared the counts (after five runs on a connection), the
    server plans them once for all registrations: none is planned for its own values,
    which under the event lock cost more than running it."""
    event = make_programme()
    workshop = next(s for s in event.sessions if s.kind == SessionKind.WORKSHOP)
    slug, workshop_id = event.slug, workshop.id
    db.session.remove()
    # One connection in the pool (earlier tests may have left more): every request, and
    # the look at its prepared statements, runs on it.
    db.engine.dispose()
    for number in range(9):
        register(client, slug, email=f"plan{number}@example.org", session_ids=[workshop_id])
    plans = db.session.execute(
        text(
            "SELECT generic_plans, custom_plans FROM pg_prepared_statements"
            " WHERE statement LIKE '%count(*)%' AND statement LIKE '%FOR UPDATE OF session%'"
        )
    ).all()
    assert len(plans) == 1
    ((generic, custom),) = plans
    assert generic >= 3
    assert custom == 0


def test_a_registration_with_answers_commits_after_them(app, client, make_event, tmp_path):
    """The answers are written after the registration, in its transaction: the COMMIT
    waits for them."""
    event = make_event()
    question = Question(event_id=event.id, kind=QuestionKind.SHORT_TEXT, label="Dienststelle")
    db.session.add(question)
    db.session.commit()
    slug, question_id = event.slug, question.id
    with round_trips(tmp_path) as sent:
        register(client, slug, answers={str(question_id): "Ja"})
    assert "(2 extended queries, BEGIN)" in sent and "COMMIT" in sent
    assert "(extended query, COMMIT)" not in sent


def test_reads_do_not_open_a_transaction_and_writes_do(app):
    with database.read_only(), db.engine.connect() as connection:
        connection.execute(text("SELECT 1"))
        assert connection.connection.driver_connection.autocommit
    with db.engine.connect() as connection:
        connection.execute(text("SELECT 1"))
        assert not connection.connection.driver_connection.autocommit
        connection.rollback()


def test_a_read_only_transaction_that_writes_becomes_a_real_one(app, make_event):
    event = make_event(title="Vorher")
    db.session.commit()
    model, event_id = type(event), event.id
    db.session.remove()
    with database.read_only():
        db.session.get(model, event_id)  # read in autocommit
        with db.session.begin_nested():  # a savepoint needs a transaction
            db.session.execute(
                text("UPDATE event SET title = 'Nachher' WHERE id = :id"), {"id": event_id}
            )
        db.session.rollback()
    assert db.session.execute(text("SELECT title FROM event")).scalar_one() == "Vorher"


def test_an_idle_connection_killed_by_the_server_is_replaced(client, monkeypatch):
    monkeypatch.setattr(database, "PING_IDLE_SECONDS", 0.0)
    assert client.get("/healthz").status_code == 200
    db.session.remove()
    # The connection the request used is back in the pool; the server ends it.
    pids = [record.driver_connection.info.backend_pid for record in _pooled(db.engine.pool)]
    assert pids
    url = db.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    try:
        with psycopg.connect(url, autocommit=True) as admin:
            for pid in pids:
                admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
        assert client.get("/healthz").status_code == 200
    finally:
        # The other ended connections stay in the pool, and the next test's clean-up
        # would get one within the idle time: start the next test with a fresh pool.
        db.session.remove()
        db.engine.dispose()


def _pooled(pool) -> list:
    """The connections waiting in a QueuePool."""
    return list(pool._pool.queue)
