"""Settings from the environment (see the README's configuration table)."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any


class ConfigurationError(RuntimeError):
    """The service cannot start with the configuration it was given."""


def _flag(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def database_url(raw: str | None, instance_path: str) -> str:
    """The SQLAlchemy URL, defaulting to SQLite in ``instance/``; PostgreSQL uses psycopg 3."""
    if not raw:
        return "sqlite:///" + str(Path(instance_path) / "eventapp.db")
    for prefix in ("postgres://", "postgresql://"):
        if raw.startswith(prefix):
            return "postgresql+psycopg://" + raw[len(prefix) :]
    return raw


def secret_key(instance_path: str) -> str:
    """``SECRET_KEY`` from the environment, else one generated once into ``instance/``."""
    key = os.environ.get("SECRET_KEY")
    if key:
        return key
    if os.environ.get("EVENTAPP_ENV") == "production":
        raise ConfigurationError("SECRET_KEY must be set when EVENTAPP_ENV=production.")
    path = Path(instance_path) / "secret_key"
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    # Create it private from the start; another worker may have won the race.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key


def from_environment(instance_path: str) -> dict[str, Any]:
    """Every setting the service reads, with the contract's defaults."""
    env = os.environ.get
    settings = {
        "EVENTAPP_ENV": env("EVENTAPP_ENV", "development"),
        "SECRET_KEY": secret_key(instance_path),
        "SQLALCHEMY_DATABASE_URI": database_url(env("DATABASE_URL"), instance_path),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "PUBLIC_BASE_URL": env("PUBLIC_BASE_URL", "http://127.0.0.1:5000").rstrip("/"),
        "MAIL_SERVER": env("MAIL_SERVER", "localhost"),
        "MAIL_PORT": int(env("MAIL_PORT", "25")),
        "MAIL_USE_TLS": _flag("MAIL_USE_TLS", False),
        "MAIL_USE_SSL": _flag("MAIL_USE_SSL", False),
        "MAIL_USERNAME": env("MAIL_USERNAME"),
        "MAIL_PASSWORD": env("MAIL_PASSWORD"),
        "MAIL_DEFAULT_SENDER": env(
            "MAIL_DEFAULT_SENDER", "Zukunftsbündnis Sozialer Zusammenhalt <noreply@localhost>"
        ),
        "MAIL_REPLY_TO": env("MAIL_REPLY_TO"),
        "MAIL_SEND_INLINE": _flag("MAIL_SEND_INLINE", True),
        "MAIL_MAX_ATTEMPTS": int(env("MAIL_MAX_ATTEMPTS", "8")),
        "MAIL_RETRY_BASE_SECONDS": int(env("MAIL_RETRY_BASE_SECONDS", "60")),
        "MAIL_RETRY_MAX_SECONDS": int(env("MAIL_RETRY_MAX_SECONDS", "21600")),
        "MAIL_CLAIM_SECONDS": int(env("MAIL_CLAIM_SECONDS", "300")),
        "MAIL_TIMEOUT": int(env("MAIL_TIMEOUT", "30")),
        "RATELIMIT_STORAGE_URI": env("RATELIMIT_STORAGE_URI", "memory://"),
        "RATELIMIT_ENABLED": _flag("RATELIMIT_ENABLED", True),
        "RATELIMIT_HEADERS_ENABLED": True,
        "REGISTRATION_RATE_LIMIT": env("REGISTRATION_RATE_LIMIT", "20 per minute"),
        "BABEL_DEFAULT_LOCALE": "de",
        "BABEL_DEFAULT_TIMEZONE": "Europe/Berlin",
        "LANGUAGES": ("de", "en"),
        "PRIVACY_NOTICE_VERSION": "2026-11",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "WTF_CSRF_TIME_LIMIT": None,
    }
    # Flask-Mail's own default (suppress while testing) holds unless set here.
    if env("MAIL_SUPPRESS_SEND"):
        settings["MAIL_SUPPRESS_SEND"] = _flag("MAIL_SUPPRESS_SEND", False)
    return settings
