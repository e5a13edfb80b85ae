"""Login limits: wrong passwords slow a guesser down, and nobody can lock an organizer out.

Only wrong passwords count; a login that works never does. They count per client
address and per pair of address and account, so an attacker's guesses use up the
attacker's own budget and never the owner's: the right password from another address
always gets in. Against guessing from many addresses, an account that has collected
many wrong passwords in a day leaves each address only a few guesses at it. What stops
an attacker with very many addresses is the password itself (see
``services.check_password_strength``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Response, current_app, request
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from limits import parse

from eventapp.accounts.services import normalize_email
from eventapp.errors import rate_limit_wait
from eventapp.extensions import limiter

# Wrong passwords from one address, for any accounts (generous: a venue's network is shared).
PER_ADDRESS = "10 per minute; 30 per hour"
# Wrong passwords from one address for one account: a few quick typos, then longer and
# longer waits (until the minute, the hour, the day is over).
PER_ADDRESS_AND_ACCOUNT = "5 per minute; 10 per hour; 20 per day"
# Wrong passwords from one address for an account under attack, in addition.
UNDER_ATTACK_PER_ADDRESS_AND_ACCOUNT = "3 per day"
# An account is under attack once it has had this many wrong passwords, from all addresses.
ACCOUNT_UNDER_ATTACK = parse("20 per day")
_ACCOUNT_FAILURES = "login-failures"


def _limits_on() -> bool:
    return bool(
        current_app.config.get("RATELIMIT_ENABLED", True)
        and limiter.enabled
        and limiter.initialized
    )


def _account() -> str:
    return normalize_email(request.form.get("email", ""))[:254]


def _address_and_account() -> str:
    return f"{get_remote_address()}|{_account()}"


def _wrong_password(response: Response) -> bool:
    # 401 is the answer to a wrong password (or unknown email); an incomplete form or a
    # refused CSRF token checks no password and so costs nothing.
    return response.status_code == 401


def _account_not_under_attack() -> bool:
    if request.method != "POST" or not _limits_on():
        return True
    return limiter.limiter.test(ACCOUNT_UNDER_ATTACK, _ACCOUNT_FAILURES, _account())


def too_many_attempts() -> str:
    """The 429 page's text, with the time to wait in the interface language."""
    return _(
        "Too many failed login attempts. Please wait %(wait)s and try again.",
        wait=rate_limit_wait(),
    )


def record_wrong_password() -> None:
    """Count a wrong password against the account of this login form, from any address."""
    if not _limits_on():
        return
    account = _account()
    counted = limiter.limiter.hit(ACCOUNT_UNDER_ATTACK, _ACCOUNT_FAILURES, account)
    stats = limiter.limiter.get_window_stats(ACCOUNT_UNDER_ATTACK, _ACCOUNT_FAILURES, account)
    if counted and stats.remaining == 0:
        current_app.logger.warning(
            "login: %s wrong passwords for %s today; each address now gets only %s for it",
            ACCOUNT_UNDER_ATTACK.amount,
            account,
            UNDER_ATTACK_PER_ADDRESS_AND_ACCOUNT,
        )


def login_limits(view: Callable) -> Callable:
    """Decorate the login view with its limits; only POSTs with a wrong password count."""
    common: dict[str, Any] = {
        "methods": ["POST"],
        "deduct_when": _wrong_password,
        "error_message": too_many_attempts,
    }
    view = limiter.limit(
        UNDER_ATTACK_PER_ADDRESS_AND_ACCOUNT,
        key_func=_address_and_account,
        exempt_when=_account_not_under_attack,
        **common,
    )(view)
    view = limiter.limit(PER_ADDRESS_AND_ACCOUNT, key_func=_address_and_account, **common)(view)
    return limiter.limit(PER_ADDRESS, key_func=get_remote_address, **common)(view)


# "Forgot password" requests: from one address, and for one account from any address (so
# nobody can flood a mailbox). Every request counts, whether the address has an account
# or not, so the limit tells nothing about which addresses exist.
RESET_PER_ADDRESS = "5 per minute; 20 per hour"
RESET_PER_ACCOUNT = "3 per hour; 10 per day"


def too_many_reset_requests() -> str:
    """The 429 page's text for "forgot password"."""
    return _(
        "Too many requests for a new password. Please wait %(wait)s and try again.",
        wait=rate_limit_wait(),
    )


def _reset_account() -> str:
    return "reset|" + _account()


def reset_limits(view: Callable) -> Callable:
    """Decorate the "forgot password" view with its limits (POSTs only)."""
    common: dict[str, Any] = {"methods": ["POST"], "error_message": too_many_reset_requests}
    view = limiter.limit(RESET_PER_ACCOUNT, key_func=_reset_account, **common)(view)
    return limiter.limit(RESET_PER_ADDRESS, key_func=get_remote_address, **common)(view)
