"""Settings from the environment (see the README's configuration table)."""

from __future__ import annotations

import contextlib
import math
import os
import secrets
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Any

DEFAULT_MAX_REQUEST_BYTES = 1024 * 1024
# Shorter keys can be guessed offline from one signed session cookie.
MIN_SECRET_KEY_LENGTH = 32


class ConfigurationError(RuntimeError):
    """The service cannot start with the configuration it was given."""


def _flag(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def password_reset_seconds(raw: str | None) -> int:
    """``PASSWORD_RESET_SECONDS``: how long a "forgot password" link works (default an hour)."""
    try:
        seconds = int(raw or "3600")
    except ValueError:
        seconds = 0
    if seconds <= 0:
        raise ConfigurationError("PASSWORD_RESET_SECONDS must be a whole number greater than 0.")
    return seconds


def trusted_proxy_count(raw: str | None) -> int:
    """``TRUSTED_PROXY_COUNT``: how many proxies in front may set ``X-Forwarded-*``."""
    try:
        count = int(raw or "0")
    except ValueError:
        count = -1
    if count < 0:
        raise ConfigurationError("TRUSTED_PROXY_COUNT must be a whole number, 0 or more.")
    return count


def staff_session_lifetime(raw: str | None) -> timedelta:
    """``STAFF_SESSION_HOURS``: how long an organizer stays logged in without any request."""
    try:
        hours = float(raw or "12")
    except ValueError:
        hours = 0.0
    if not (math.isfinite(hours) and hours > 0):
        raise ConfigurationError("STAFF_SESSION_HOURS must be a number of hours greater than 0.")
    return timedelta(hours=hours)


def database_url(raw: str | None, instance_path: str) -> str:
    """The SQLAlchemy URL, defaulting to SQLite in ``instance/``; PostgreSQL uses psycopg 3."""
    if not raw:
        return "sqlite:///" + str(Path(instance_path) / "eventapp.db")
    for prefix in ("postgres://", "postgresql://"):
        if raw.startswith(prefix):
            return "postgresql+psycopg://" + raw[len(prefix) :]
    return raw


def max_request_bytes(raw: str | None) -> int:
    """``MAX_REQUEST_BYTES``: the largest request body accepted; larger ones get 413."""
    try:
        size = int(raw or DEFAULT_MAX_REQUEST_BYTES)
    except ValueError:
        size = 0
    if size < 1:
        raise ConfigurationError("MAX_REQUEST_BYTES must be a whole number of bytes, 1 or more.")
    return size


def secret_key(instance_path: str) -> str:
    """``SECRET_KEY`` from the environment, else one generated once into ``instance/``."""
    key = os.environ.get("SECRET_KEY")
    production = os.environ.get("EVENTAPP_ENV") == "production"
    if key:
        if production and len(key) < MIN_SECRET_KEY_LENGTH:
            raise ConfigurationError(
                f"SECRET_KEY must be at least {MIN_SECRET_KEY_LENGTH} characters long "
                "when EVENTAPP_ENV=production."
            )
        return key
    if production:
        raise ConfigurationError("SECRET_KEY must be set when EVENTAPP_ENV=production.")
    path = Path(instance_path) / "secret_key"
    if not path.exists():
        _write_secret_key_once(path)
    key = path.read_text().strip()
    if not key:
        raise ConfigurationError(f"{path} is empty: delete it to have a new key generated.")
    return key


def _write_secret_key_once(path: Path) -> None:
    """Write a new key unless another process got there first; the key appears only whole.

    Workers start at the same time. The key is written to a private temporary file
    and then linked to its name, which fails if another worker's key is already
    there, so no worker ever reads a half-written or empty key.
    """
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".secret_key-")  # mode 0600
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(48))
            handle.flush()
            with contextlib.suppress(FileExistsError):
                os.link(temporary, path)
                os.fsync(handle.fileno())  # only the worker whose key won waits for the disk
    finally:
        os.unlink(temporary)


# The operator's details (``OPERATOR_<FIELD>``), each overridable in the back office; see
# ``eventapp.legal.settings`` for what they mean. Unset ones are left empty here.
OPERATOR_FIELDS = (
    "legal_name",
    "address",
    "representative",
    "contact_email",
    "contact_phone",
    "data_protection_officer",
    "supervisory_authority",
    "sender_name",
    "sender_email",
    "reply_to",
    "dgs_video_url",
    "conformance_status",
    "known_limitations",
    "last_review",
    "enforcement_contact",
)


def operator_defaults() -> dict[str, str]:
    """``OPERATOR_*`` settings from the environment; ``\\n`` in the address starts a new line."""
    return {
        f"OPERATOR_{field.upper()}": os.environ.get(f"OPERATOR_{field.upper()}", "").replace(
            "\\n", "\n"
        )
        for field in OPERATOR_FIELDS
    }


def _whole_number(name: str, raw: str | None, default: int) -> int:
    try:
        count = int(raw or str(default))
    except ValueError:
        count = -1
    if count < 0:
        raise ConfigurationError(f"{name} must be a whole number, 0 or more.")
    return count


def bulk_mail_confirm_above(raw: str | None) -> int:
    """``BULK_MAIL_CONFIRM_ABOVE``: sends to more people than this need a second confirmation."""
    return _whole_number("BULK_MAIL_CONFIRM_ABOVE", raw, 50)


def bulk_mail_inline_max(raw: str | None) -> int:
    """``BULK_MAIL_INLINE_MAX``: sends to more people than this are queued by the worker."""
    return _whole_number("BULK_MAIL_INLINE_MAX", raw, 200)


# No rate limit guards /metrics: the token must be too long to guess by trying.
MIN_METRICS_TOKEN_LENGTH = 24


def metrics_token(raw: str | None) -> str | None:
    """``METRICS_TOKEN``: the Bearer token for ``GET /metrics``; unset or empty: no metrics."""
    if raw is None or raw == "":
        return None
    if len(raw) < MIN_METRICS_TOKEN_LENGTH or any(c.isspace() or not c.isprintable() for c in raw):
        raise ConfigurationError(
            f"METRICS_TOKEN must be at least {MIN_METRICS_TOKEN_LENGTH} printable characters "
            'without spaces (see the README\'s "Metrics" section).'
        )
    return raw


def prometheus_multiproc_dir(raw: str | None) -> str | None:
    """``PROMETHEUS_MULTIPROC_DIR``: where gunicorn's workers pool their request metrics.

    prometheus_client reads the variable itself when it is imported; this only checks
    that the folder is there, since the first request of each worker would fail otherwise.
    """
    if not raw:
        return None
    path = Path(raw)
    if not path.is_dir() or not os.access(path, os.W_OK | os.X_OK):
        raise ConfigurationError(
            f"PROMETHEUS_MULTIPROC_DIR must be a folder this process can write to: {raw}"
        )
    return str(path)


MAIL_BACKENDS = ("smtp", "file")


def mail_backend(raw: str | None) -> str:
    """``MAIL_BACKEND``: ``smtp`` hands mail to a server, ``file`` writes ``.eml`` files."""
    backend = (raw or "smtp").strip().lower()
    if backend not in MAIL_BACKENDS:
        raise ConfigurationError("MAIL_BACKEND must be smtp or file.")
    return backend


def from_environment(instance_path: str) -> dict[str, Any]:
    """Every setting the service reads, with the contract's defaults."""
    env = os.environ.get
    settings = {
        "EVENTAPP_ENV": env("EVENTAPP_ENV", "development"),
        "SECRET_KEY": secret_key(instance_path),
        "SQLALCHEMY_DATABASE_URI": database_url(env("DATABASE_URL"), instance_path),
        # PostgreSQL pings idle connections only (``database.configure_postgresql``).
        "SQLALCHEMY_ENGINE_OPTIONS": {},
        "MAX_CONTENT_LENGTH": max_request_bytes(env("MAX_REQUEST_BYTES")),
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
        "MAIL_BACKEND": mail_backend(env("MAIL_BACKEND")),
        # Who sends the mail and how to reach them: every mail's footer, and the
        # contacts the privacy notice promises in the confirmation.
        "MAIL_OPERATOR": env(
            "MAIL_OPERATOR", "Geschäftsstelle Zukunftsbündnis Sozialer Zusammenhalt, ProjektStadt"
        ),
        "MAIL_OPERATOR_ADDRESS": env("MAIL_OPERATOR_ADDRESS", ""),
        "MAIL_CONTACT_EMAIL": env("MAIL_CONTACT_EMAIL", ""),
        "MAIL_CONTACT_PHONE": env("MAIL_CONTACT_PHONE", ""),
        "MAIL_PRIVACY_CONTACT": env("MAIL_PRIVACY_CONTACT", ""),
        "MAIL_SEND_INLINE": _flag("MAIL_SEND_INLINE", True),
        # The mail server delivers to non-ASCII local parts (SMTPUTF8); off: such
        # addresses are refused at registration, since no ticket could reach them.
        "MAIL_SMTPUTF8": _flag("MAIL_SMTPUTF8", False),
        "MAIL_MAX_ATTEMPTS": int(env("MAIL_MAX_ATTEMPTS", "8")),
        "MAIL_RETRY_BASE_SECONDS": int(env("MAIL_RETRY_BASE_SECONDS", "60")),
        "MAIL_RETRY_MAX_SECONDS": int(env("MAIL_RETRY_MAX_SECONDS", "21600")),
        "MAIL_CLAIM_SECONDS": int(env("MAIL_CLAIM_SECONDS", "300")),
        # How long a failing earlier message to the same address holds back later ones.
        "MAIL_ORDER_HOLD_SECONDS": int(env("MAIL_ORDER_HOLD_SECONDS", "1800")),
        "MAIL_TIMEOUT": int(env("MAIL_TIMEOUT", "30")),
        # A bulk mail to more people than this asks for a second confirmation naming the count.
        "BULK_MAIL_CONFIRM_ABOVE": bulk_mail_confirm_above(env("BULK_MAIL_CONFIRM_ABOVE")),
        "BULK_MAIL_INLINE_MAX": bulk_mail_inline_max(env("BULK_MAIL_INLINE_MAX")),
        # Background jobs: days a finished file is kept; minutes without a heartbeat after
        # which a running job counts as abandoned by its worker.
        "JOB_RETENTION_DAYS": int(env("JOB_RETENTION_DAYS", "7")),
        "JOB_STALE_MINUTES": int(env("JOB_STALE_MINUTES", "10")),
        "RATELIMIT_STORAGE_URI": env("RATELIMIT_STORAGE_URI", "memory://"),
        "RATELIMIT_ENABLED": _flag("RATELIMIT_ENABLED", True),
        "RATELIMIT_HEADERS_ENABLED": True,
        "REGISTRATION_RATE_LIMIT": env("REGISTRATION_RATE_LIMIT", "20 per minute"),
        "TRUSTED_PROXY_COUNT": trusted_proxy_count(env("TRUSTED_PROXY_COUNT")),
        # Rendered public pages: Redis shared by all workers and instances, else per process.
        "CACHE_URL": env("CACHE_URL") or None,
        "METRICS_TOKEN": metrics_token(env("METRICS_TOKEN")),
        "PROMETHEUS_MULTIPROC_DIR": prometheus_multiproc_dir(env("PROMETHEUS_MULTIPROC_DIR")),
        "BABEL_DEFAULT_LOCALE": "de",
        "BABEL_DEFAULT_TIMEZONE": "Europe/Berlin",
        "LANGUAGES": ("de", "en"),
        "PRIVACY_NOTICE_VERSION": "2026-11",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        # Flask refuses a session cookie signed longer ago than this, and signs it anew
        # on each request: staff sessions end after so long without activity.
        "PERMANENT_SESSION_LIFETIME": staff_session_lifetime(env("STAFF_SESSION_HOURS")),
        "SESSION_REFRESH_EACH_REQUEST": True,
        "WTF_CSRF_TIME_LIMIT": None,
        "FEEDBACK_RATE_LIMIT": env("FEEDBACK_RATE_LIMIT", "5 per minute"),
        "PASSWORD_RESET_SECONDS": password_reset_seconds(env("PASSWORD_RESET_SECONDS")),
        **operator_defaults(),
    }
    # Flask-Mail's own default (suppress while testing) holds unless set here.
    if env("MAIL_SUPPRESS_SEND"):
        settings["MAIL_SUPPRESS_SEND"] = _flag("MAIL_SUPPRESS_SEND", False)
    return settings
