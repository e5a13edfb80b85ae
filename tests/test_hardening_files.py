"""Files the service writes: the instance folder, the SQLite database and the secret key."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import pytest
from sqlalchemy import text
from support import all_at_once

from eventapp import create_app
from eventapp.config import ConfigurationError, secret_key
from eventapp.extensions import db


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def usual_umask() -> Iterator[None]:
    """The umask most systems start services with: new files readable by everyone."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


@pytest.fixture
def cold_start(monkeypatch, tmp_path, usual_umask):
    """The environment of a first start: no key, no database URL, a new instance folder."""
    for name in ("SECRET_KEY", "DATABASE_URL", "EVENTAPP_ENV", "MAX_REQUEST_BYTES"):
        monkeypatch.delenv(name, raising=False)
    instance = tmp_path / "srv" / "instance"
    monkeypatch.setenv("EVENTAPP_INSTANCE_PATH", str(instance))
    return instance


def test_a_new_instance_folder_and_its_sqlite_files_are_for_the_owner_only(cold_start):
    app = create_app({"TESTING": True})
    with app.app_context():
        db.session.execute(text("CREATE TABLE probe (x INTEGER)"))
        db.session.commit()
        files = [
            cold_start / name for name in ("eventapp.db", "eventapp.db-wal", "eventapp.db-shm")
        ]
        modes = {path.name: mode(path) for path in files}  # while the WAL files exist
        db.engine.dispose()

    assert mode(cold_start) == 0o700
    assert modes == dict.fromkeys(modes, 0o600)
    assert mode(cold_start / "secret_key") == 0o600


def test_an_existing_database_readable_by_others_is_made_private(tmp_path, make_app, usual_umask):
    database = tmp_path / "old.db"
    database.touch(mode=0o644)
    database.chmod(0o644)

    app = make_app(SQLALCHEMY_DATABASE_URI=f"sqlite:///{database}")
    with app.app_context():
        db.session.execute(text("SELECT 1"))
        db.session.rollback()

    assert mode(database) == 0o600


def test_concurrent_cold_starts_all_read_the_same_complete_key(cold_start):
    """Before, a worker could find the key file created but not yet written, and read ""."""
    starts, rounds = 24, 30
    for attempt in range(rounds):
        instance = str(cold_start / str(attempt))

        found = all_at_once([partial(secret_key, instance)] * starts)

        on_disk = (Path(instance) / "secret_key").read_text()
        assert set(found) == {on_disk}, attempt
        assert len(on_disk) >= 32
        assert sorted(os.listdir(instance)) == ["secret_key"]  # no temporary files left


def test_an_empty_key_file_is_refused_with_a_clear_message(cold_start):
    cold_start.mkdir(parents=True)
    (cold_start / "secret_key").write_text("")

    with pytest.raises(ConfigurationError, match="secret_key is empty"):
        secret_key(str(cold_start))


def test_production_refuses_a_secret_key_shorter_than_32_characters(cold_start, monkeypatch):
    monkeypatch.setenv("EVENTAPP_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "k" * 31)
    with pytest.raises(ConfigurationError, match="at least 32 characters"):
        create_app()

    monkeypatch.setenv("SECRET_KEY", "k" * 32)
    assert create_app().config["SECRET_KEY"] == "k" * 32


def test_development_still_takes_a_short_key(cold_start, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "dev")

    assert secret_key(str(cold_start)) == "dev"
