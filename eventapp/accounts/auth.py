"""Who is asking: the session user for pages, a bearer token (or the session) for the API."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import abort, current_app, g, request, session
from flask_babel import lazy_gettext as _l
from flask_login import LoginManager, current_user, login_user, logout_user
from flask_wtf.csrf import validate_csrf
from wtforms import ValidationError

from eventapp import reads
from eventapp.accounts import services
from eventapp.errors import json_error
from eventapp.extensions import db, login_manager
from eventapp.models import Event, Role, User

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CSRF_HEADERS = ("X-CSRFToken", "X-CSRF-Token")
# What a visitor's session keeps across logging in and out: the language choice, nothing else.
KEPT_ACROSS_LOGIN = ("lang",)


def configure_login(manager: LoginManager) -> None:
    """Where anonymous visitors are sent, what they are told, and how a cookie finds its user.

    Called by ``create_app`` when it binds the extension; importing this module sets nothing.
    """
    manager.login_view = "accounts.login"
    manager.login_message = _l("Please log in to see this page.")
    manager.login_message_category = "info"
    manager.user_loader(load_user)


def load_user(session_id: str) -> User | None:
    """The user whose current session id the cookie names, else nobody.

    The id changes on logout, a new password and deactivation, which ends older cookies.
    (An inactive user is not authenticated either: Flask-Login asks ``is_active``.)
    """
    if not isinstance(session_id, str) or not 0 < len(session_id) <= 64:
        return None
    return db.session.execute(
        db.select(User).where(User.session_id == session_id)
    ).scalar_one_or_none()


def _fresh_session() -> None:
    """Empty the session but for the language: a new CSRF secret, nothing planted before."""
    kept = {key: session[key] for key in KEPT_ACROSS_LOGIN if key in session}
    session.clear()
    session.update(kept)
    # Flask-WTF caches this request's token on ``g``; it was signed for the old secret.
    g.pop(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"), None)


def start_staff_session(user: User) -> None:
    """Log ``user`` in with a new session that ends after ``PERMANENT_SESSION_LIFETIME`` idle.

    A token or anything else from before the login (maybe given by an attacker) is gone.
    """
    _fresh_session()
    login_user(user)
    # Permanent sessions are signed anew on each request (SESSION_REFRESH_EACH_REQUEST),
    # and Flask refuses a cookie signed longer ago than the lifetime: a sliding window
    # checked on the server, whatever the browser keeps.
    session.permanent = True


def end_staff_session() -> None:
    """Log the current user out on every device; the caller commits."""
    if current_user.is_authenticated:
        services.end_sessions(current_user._get_current_object())
    _fresh_session()
    # After the clearing: Flask-Login notes here whether a remember cookie must be deleted.
    logout_user()


def _roles(roles: tuple[Role | str, ...]) -> tuple[Role, ...]:
    return tuple(Role(role) for role in roles) or tuple(Role)


def role_required(*roles: Role | str) -> Callable:
    """Page decorator: anonymous visitors go to the login page, other roles get 403.

    Without arguments any organizer role is enough.
    """
    allowed = _roles(roles)

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if not current_user.has_role(*allowed):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def may_work_at(user: User, event: Event) -> bool:
    """Whether ``user`` may check people in (and look them up) at ``event``.

    The one rule for every check-in page and API call: admins always may; check-in
    staff at every event unless scoped to chosen ones.
    """
    if user.is_admin or user.all_events:
        return True
    return any(chosen.id == event.id for chosen in user.events)


def _bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer":
        return None
    return value.strip()


def _session_csrf_ok() -> bool:
    """Cookie-authenticated writes must carry the CSRF token in a header (sent by page JS)."""
    if request.method in SAFE_METHODS or not current_app.config.get("WTF_CSRF_ENABLED", True):
        return True
    token = next((request.headers[h] for h in CSRF_HEADERS if request.headers.get(h)), None)
    try:
        validate_csrf(token)
    except ValidationError:
        return False
    return True


def api_auth(
    *roles: Role | str,
    allow_session: bool = True,
    along: Callable[[], reads.Along | None] | None = None,
) -> Callable:
    """API decorator: ``Authorization: Bearer <token>``, or a logged-in organizer's session.

    No, an invalid or a revoked token: 401. A user without one of ``roles``: 403.
    Session use (the scanner page) needs the CSRF token in an ``X-CSRFToken`` header
    for writes. The user is put in ``flask.g.api_user``. The view must be exempt
    from the global CSRF check (bearer clients have no cookie); this decorator
    does the check itself for cookie-authenticated requests.

    ``along`` names what the view will read first (or None for this request): it is read
    in the token's statement, and its objects are put in ``flask.g.api_along`` (empty
    when nothing was read with the token). The view uses them only once the request is
    authorized, as it would have read them.
    """
    allowed = _roles(roles)

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any):
            header = request.headers.get("Authorization")
            user: User | None = None
            g.api_along = ()
            if header:
                plaintext = _bearer_token()
                token, g.api_along = (
                    services.verify_token(plaintext, along() if along else None)
                    if plaintext
                    else (None, ())
                )
                if token is None:
                    return _unauthorized("invalid_token", "The API token is missing or invalid.")
                if request.method not in SAFE_METHODS:
                    services.touch_token(token)
                user = token.user
            elif allow_session and current_user.is_authenticated:
                if not _session_csrf_ok():
                    return json_error(400, "csrf_failed", "The CSRF token is missing or invalid.")
                user = current_user._get_current_object()
            if user is None:
                return _unauthorized("unauthorized", "Authentication required.")
            if not user.has_role(*allowed):
                return json_error(403, "forbidden", "Your account may not use this endpoint.")
            g.api_user = user
            return view(*args, **kwargs)

        return wrapped

    return decorator


def _unauthorized(code: str, message: str):
    response = json_error(401, code, message)
    response.headers["WWW-Authenticate"] = 'Bearer realm="eventapp"'
    return response
