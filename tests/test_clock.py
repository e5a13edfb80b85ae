"""The tests hold in any year: their dates follow today, and the registration tests pass
again on a clock a year ahead (see tests/clock.py)."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from clock import (
    BERLIN,
    CONGRESS_DAY,
    LEAD,
    OFFSET_VARIABLE,
    next_congress_day,
    offset_days,
)
from sqlalchemy.engine import make_url
from time_machine import escape_hatch

ROOT = Path(__file__).resolve().parent.parent
A_YEAR = 365
# The concurrency module is left out: its gunicorn workers are processes of their own on
# the real clock, which time-machine in the test process cannot move.
REGISTRATION_MODULES = sorted(
    path.relative_to(ROOT).as_posix()
    for path in (ROOT / "tests").glob("test_registration_*.py")
    if path.name != "test_registration_concurrency.py"
)
CLOCK_CHECK = "test_the_clock_runs_as_far_ahead_as_asked"


@pytest.mark.parametrize(
    ("today", "congress"),
    [
        (date(2026, 11, 30), date(2027, 5, 16)),
        (date(2027, 3, 17), date(2027, 5, 16)),  # exactly 60 days ahead
        (date(2027, 3, 18), date(2028, 5, 16)),  # 59 days would be too close
        (date(2027, 5, 16), date(2028, 5, 16)),
        (date(2027, 12, 31), date(2028, 5, 16)),
    ],
)
def test_the_congress_is_at_nine_on_the_next_16_may_far_enough_ahead(today, congress):
    # 16 May is always summer time in Bürstadt: 09:00 is 07:00 UTC.
    assert next_congress_day(today) == datetime(congress.year, 5, 16, 7, 0, tzinfo=UTC)


def test_the_clock_runs_as_far_ahead_as_asked():
    travelling = escape_hatch.is_travelling()
    real_now = escape_hatch.datetime.datetime.now(UTC) if travelling else datetime.now(UTC)

    assert travelling == bool(offset_days())
    ahead = datetime.now(UTC) - real_now
    assert abs(ahead - timedelta(days=offset_days())) < timedelta(minutes=1)
    # The congress day was computed on the moved clock (a day's slack for a run past midnight).
    earliest = datetime.now(BERLIN).date() + LEAD - timedelta(days=1)
    assert CONGRESS_DAY.astimezone(BERLIN).date() >= earliest


@pytest.fixture
def own_database_url() -> Iterator[str | None]:
    """On PostgreSQL a throw-away database, as the run below empties and drops its tables;
    on SQLite None: the run makes a database file in its own temporary directory."""
    shared = os.environ.get("TEST_DATABASE_URL")
    if not shared:
        yield None
        return
    import psycopg
    from psycopg import sql

    server = make_url(shared).set(drivername="postgresql")
    name = f"eventapp_clock_{secrets.token_hex(4)}"
    dsn = server.render_as_string(hide_password=False)
    with psycopg.connect(dsn, autocommit=True) as connection:
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(dsn, autocommit=True) as connection:
            connection.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


@pytest.mark.slow
def test_registration_tests_pass_on_a_clock_a_year_ahead(tmp_path, own_database_url):
    env = {**os.environ, OFFSET_VARIABLE: str(offset_days() + A_YEAR)}
    env.pop("TEST_DATABASE_URL", None)
    if own_database_url:
        env["TEST_DATABASE_URL"] = own_database_url
    report = tmp_path / "report.xml"

    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            f"--basetemp={tmp_path / 'run'}",
            f"--junitxml={report}",
            *REGISTRATION_MODULES,
            f"tests/test_clock.py::{CLOCK_CHECK}",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )

    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-3000:]
    cases = list(ET.parse(report).iter("testcase"))  # noqa: S314 (pytest's own report)
    not_passed = [
        f"{case.get('classname')}.{case.get('name')}"
        for case in cases
        if any(child.tag in ("failure", "error", "skipped") for child in case)
    ]
    assert not not_passed
    ran = {(case.get("classname"), case.get("name")) for case in cases}
    assert ("tests.test_clock", CLOCK_CHECK) in ran  # and so the clock was a year ahead
    for module in REGISTRATION_MODULES:
        classname = module.removesuffix(".py").replace("/", ".")
        assert any(name == classname for name, _ in ran), module
