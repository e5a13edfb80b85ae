"""One rate limit on registering, shared by the form and the API, per client address."""

from __future__ import annotations

from flask import current_app
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address

from eventapp.extensions import limiter

DEFAULT_RATE_LIMIT = "20 per minute"
# One bucket for both channels: 20 API and 20 form posts from one address are 40 attempts.
SCOPE = "registration"


def _rate_limit() -> str:
    return current_app.config.get("REGISTRATION_RATE_LIMIT") or DEFAULT_RATE_LIMIT


def _rate_limit_message() -> str:
    return _("Too many registrations from your address. Please wait a minute and try again.")


# Every POST that tries to register counts, whatever its answer: a form shown again with
# errors too, or probing it (which emails are taken, which workshops are full) would be
# free. Looking at the form (GET) does not count. The address is the client's own, taken
# from X-Forwarded-For only behind TRUSTED_PROXY_COUNT proxies (see create_app).
registration_limit = limiter.shared_limit(
    _rate_limit,
    scope=SCOPE,
    key_func=get_remote_address,
    methods=["POST"],
    error_message=_rate_limit_message,
)
