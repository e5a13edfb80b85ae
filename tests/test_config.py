"""Settings come from the environment with the contract's defaults."""

from __future__ import annotations

import pytest

from eventapp import create_app
from eventapp.config import ConfigurationError, database_url, from_environment


def test_secret_key_is_generated_once_into_the_instance_folder(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("EVENTAPP_ENV", raising=False)
    first = from_environment(str(tmp_path))["SECRET_KEY"]
    second = from_environment(str(tmp_path))["SECRET_KEY"]
    assert first == second
    assert len(first) >= 32
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_production_refuses_to_start_without_a_secret_key(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("EVENTAPP_ENV", "production")
    monkeypatch.setenv("EVENTAPP_INSTANCE_PATH", str(tmp_path))
    with pytest.raises(ConfigurationError, match="SECRET_KEY"):
        create_app()
    assert not (tmp_path / "secret_key").exists()


def test_defaults_follow_the_contract(tmp_path, monkeypatch):
    for name in (
        "DATABASE_URL",
        "PUBLIC_BASE_URL",
        "MAIL_SERVER",
        "MAIL_PORT",
        "MAIL_SEND_INLINE",
        "RATELIMIT_STORAGE_URI",
        "RATELIMIT_ENABLED",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SECRET_KEY", "x" * 40)
    settings = from_environment(str(tmp_path))
    assert settings["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path}/eventapp.db"
    assert settings["PUBLIC_BASE_URL"] == "http://127.0.0.1:5000"
    assert (settings["MAIL_SERVER"], settings["MAIL_PORT"]) == ("localhost", 25)
    assert settings["MAIL_SEND_INLINE"] is True
    assert settings["RATELIMIT_STORAGE_URI"] == "memory://"
    assert settings["RATELIMIT_ENABLED"] is True


def test_environment_overrides(tmp_path, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "s" * 40)
    monkeypatch.setenv("MAIL_SEND_INLINE", "0")
    monkeypatch.setenv("RATELIMIT_ENABLED", "0")
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://kongress.example.org/")
    monkeypatch.setenv("MAIL_PORT", "2525")
    settings = from_environment(str(tmp_path))
    assert settings["MAIL_SEND_INLINE"] is False
    assert settings["RATELIMIT_ENABLED"] is False
    assert settings["PUBLIC_BASE_URL"] == "https://kongress.example.org"
    assert settings["MAIL_PORT"] == 2525


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("postgresql://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgres://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgresql+psycopg://u@h/db", "postgresql+psycopg://u@h/db"),
        ("sqlite:////var/lib/eventapp.db", "sqlite:////var/lib/eventapp.db"),
    ],
)
def test_database_urls_use_psycopg_3_for_postgresql(raw, expected):
    assert database_url(raw, "/unused") == expected


def test_session_cookies_are_secure_exactly_when_the_site_is_https(app):
    base = {k: v for k, v in app.config.items() if k != "SESSION_COOKIE_SECURE"}
    secure = create_app({**base, "PUBLIC_BASE_URL": "https://kongress.example.org"})
    plain = create_app({**base, "PUBLIC_BASE_URL": "http://127.0.0.1:5000"})
    assert secure.config["SESSION_COOKIE_SECURE"] is True
    assert plain.config["SESSION_COOKIE_SECURE"] is False


def test_mail_backend_is_smtp_unless_file_is_asked_for_and_refuses_anything_else(
    tmp_path, monkeypatch
):
    monkeypatch.setenv("SECRET_KEY", "s" * 40)
    monkeypatch.delenv("MAIL_BACKEND", raising=False)
    assert from_environment(str(tmp_path))["MAIL_BACKEND"] == "smtp"
    monkeypatch.setenv("MAIL_BACKEND", "File")
    assert from_environment(str(tmp_path))["MAIL_BACKEND"] == "file"
    monkeypatch.setenv("MAIL_BACKEND", "sendmail")
    with pytest.raises(ConfigurationError, match="MAIL_BACKEND"):
        from_environment(str(tmp_path))
