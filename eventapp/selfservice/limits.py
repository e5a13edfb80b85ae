"""Limits on "send me my link again": per client and per address asked for.

Every POST counts, whatever the answer (the answer is the same for registered and
unknown addresses anyway). Per address, so nobody can fill someone's mailbox from
many clients; per client, so nobody can try address after address.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import request
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address

from eventapp.errors import rate_limit_wait
from eventapp.extensions import limiter
from eventapp.registration.applicant import normalize_email

PER_ADDRESS = "3 per hour; 6 per day"
PER_CLIENT = "10 per hour"


def _address() -> str:
    return "resend|" + normalize_email(request.form.get("email", ""))[:254]


def too_many_requests() -> str:
    """The 429 page's text, with the time to wait in the interface language."""
    return _(
        "The link has been requested too often. Please wait %(wait)s and try again.",
        wait=rate_limit_wait(),
    )


def resend_limits(view: Callable) -> Callable:
    """Decorate the resend view with both limits (POST only)."""
    common = {"methods": ["POST"], "error_message": too_many_requests}
    view = limiter.limit(PER_ADDRESS, key_func=_address, **common)(view)
    return limiter.limit(PER_CLIENT, key_func=get_remote_address, **common)(view)
