"""The migrations build the schema the models describe, both ways, on the test database."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect
from sqlalchemy.engine import make_url

from eventapp.config import database_url as normalize

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def empty_database(tmp_path) -> Iterator[str]:
    """A new, empty database on the backend under test."""
    server = os.environ.get("TEST_DATABASE_URL")
    if not server:
        yield f"sqlite:///{tmp_path}/migrations.db"
        return
    name = f"eventapp_migrations_{uuid.uuid4().hex[:10]}"
    admin = create_engine(normalize(server, ""), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    yield make_url(normalize(server, "")).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


def flask(url: str, *args: str, instance: Path) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "SECRET_KEY": "migration-test",
        "EVENTAPP_INSTANCE_PATH": str(instance),
    }
    return subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def tables(url: str) -> set[str]:
    engine = create_engine(normalize(url, ""))
    try:
        return set(inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


@pytest.mark.slow
def test_upgrade_check_downgrade_upgrade_round_trip(empty_database, tmp_path):
    from eventapp.models import Base

    upgrade = flask(empty_database, "db", "upgrade", instance=tmp_path)
    assert upgrade.returncode == 0, upgrade.stderr
    assert tables(empty_database) == set(Base.metadata.tables)

    # The migrations describe exactly what the models declare.
    check = flask(empty_database, "db", "check", instance=tmp_path)
    assert check.returncode == 0, check.stdout + check.stderr

    downgrade = flask(empty_database, "db", "downgrade", "base", instance=tmp_path)
    assert downgrade.returncode == 0, downgrade.stderr
    assert tables(empty_database) == set()

    again = flask(empty_database, "db", "upgrade", instance=tmp_path)
    assert again.returncode == 0, again.stderr
    assert tables(empty_database) == set(Base.metadata.tables)
