"""Organizer accounts and API tokens: creation, password checks, token hashing."""

from __future__ import annotations

import functools
import hashlib
import re
import secrets
from datetime import timedelta
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import bindparam, or_, select, update
from sqlalchemy.orm.attributes import set_committed_value
from werkzeug.security import check_password_hash, generate_password_hash
from zxcvbn import zxcvbn

from eventapp import reads
from eventapp.database import ALONE, MAX_ID, runs_alone
from eventapp.domain import InvalidInput
from eventapp.extensions import db
from eventapp.models import ApiToken, Role, User, utcnow
from eventapp.models.accounts import new_session_id
from eventapp.numbers import whole_number
from eventapp.text import InvalidEmail, email_key, parse_email

TOKEN_PREFIX = "ea_"  # noqa: S105  (marks the string as ours in logs, not a secret)
# Only the prefix is kept in clear text, so a listing can name a token without revealing it.
SHOWN_PREFIX_LENGTH = 10
# Touch ``last_used_at`` at most this often: a write on every request would serialise scanners.
LAST_USED_RESOLUTION = timedelta(minutes=1)

# Checked against when the email is unknown, so that timing does not reveal which emails exist.
_DUMMY_HASH = generate_password_hash("not a real password")

MIN_PASSWORD_LENGTH = 12
# The login form takes no more, so a longer password could never be used.
MAX_PASSWORD_LENGTH = 200
# zxcvbn's scale: 3 means about 10^8 guesses or more ("safely unguessable" online, and
# slow offline against scrypt). Below that are the common passwords, keyboard walks
# (qwertzuiop12), words with years (hallo1234567) and the like.
MIN_PASSWORD_SCORE = 3
# zxcvbn refuses longer input (its matching grows fast); the first 72 characters decide.
_ZXCVBN_MAX_LENGTH = 72


class AccountError(InvalidInput):
    """An account operation that cannot be done, with a message for the operator."""


def normalize_email(email: str) -> str:
    """The form in which emails are stored and compared (the rule registrations use)."""
    return email_key(email)


def user_by_email(email: str) -> User | None:
    """The account with this email, if any."""
    return db.session.execute(
        db.select(User).where(User.email == normalize_email(email))
    ).scalar_one_or_none()


def check_password_strength(password: str, *personal: str) -> None:
    """Raise AccountError unless ``password`` is long and not among the easily guessed ones.

    ``personal`` are the account's own words (email, name), which make weak passwords too.
    """
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(
            _("The password must have at least %(num)d characters.", num=MIN_PASSWORD_LENGTH)
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        raise AccountError(
            _("The password may have at most %(num)d characters.", num=MAX_PASSWORD_LENGTH)
        )
    hints = [word for value in personal for word in re.split(r"[\W_]+", value.lower()) if word]
    if zxcvbn(password[:_ZXCVBN_MAX_LENGTH], user_inputs=hints)["score"] < MIN_PASSWORD_SCORE:
        raise AccountError(
            _(
                "This password is too common or too easy to guess. Please choose another one,"
                " for example several words that do not belong together."
            )
        )


def create_user(email: str, password: str, role: Role | str, name: str = "") -> User:
    """A new organizer account with a hashed password; the caller commits."""
    try:
        parse_email(email)  # the one address rule; registrations use it too
    except InvalidEmail as exc:
        raise AccountError(f"Not an email address: {email!r}") from exc
    email = normalize_email(email)
    check_password_strength(password, email, name)
    if user_by_email(email) is not None:
        raise AccountError(f"An account for {email} exists already.")
    user = User(
        email=email, name=name, password_hash=generate_password_hash(password), role=Role(role)
    )
    db.session.add(user)
    db.session.flush()
    return user


def set_password(user: User, password: str) -> None:
    """Replace the user's password and end all their sessions; the caller commits."""
    check_password_strength(password, user.email, user.name)
    user.password_hash = generate_password_hash(password)
    end_sessions(user)


def end_sessions(user: User) -> None:
    """Log the user out everywhere: cookies that name the old session id stop working.

    The caller commits.
    """
    user.session_id = new_session_id()


def deactivate_user(user: User) -> None:
    """Lock the account out: no login, session or API token works any more; the caller commits."""
    user.active = False
    end_sessions(user)


def authenticate(email: str, password: str) -> User | None:
    """The active user with this email and password, else None."""
    user = user_by_email(email)
    if user is None:
        check_password_hash(_DUMMY_HASH, password)
        return None
    if not check_password_hash(user.password_hash, password) or not user.active:
        return None
    return user


def check_password(user: User, password: str) -> bool:
    """Whether ``password`` is the user's current one."""
    return check_password_hash(user.password_hash, password)


def record_login(user: User) -> None:
    """Remember when the user last logged in; the caller commits."""
    user.last_login_at = utcnow()


def hash_token(plaintext: str) -> str:
    """SHA-256 hex digest of a token: tokens are long random strings, so no salt is needed."""
    return hashlib.sha256(plaintext.encode("utf-8")).hexdigest()


def create_token(user: User, name: str = "") -> str:
    """A new API token for ``user``; returns the plaintext, which is not stored anywhere."""
    plaintext = TOKEN_PREFIX + secrets.token_urlsafe(32)
    db.session.add(
        ApiToken(
            user=user,
            name=name,
            token_hash=hash_token(plaintext),
            prefix=plaintext[:SHOWN_PREFIX_LENGTH],
        )
    )
    db.session.flush()
    return plaintext


def verify_token(
    plaintext: str, along: reads.Along | None = None
) -> tuple[ApiToken | None, tuple[Any, ...]]:
    """The unrevoked token of an active user matching ``plaintext`` (else None), and the
    objects ``along`` read in the same statement (empty without it, or without a token)."""
    if not plaintext or len(plaintext) > 200:
        return None, ()
    # The user in the same statement: every API request asks for both.
    statement = _token_statement()
    parts = (_TOKEN_READ, _USER_READ)
    parameters = {"token_hash": hash_token(plaintext)}
    if along is not None:
        statement = reads.joined(statement, along.statement)
        parts += along.parts
        parameters |= along.parameters
    found = reads.objects(statement, parameters, *parts)
    if not found:
        return None, ()
    ((token, user, *alongside),) = found
    set_committed_value(token, "user", user)
    if token.revoked_at is not None or not user.active:
        return None, ()
    return token, tuple(alongside)


# What a request's authentication reads of the token and its user; the rest of the user
# (its events, for staff scoped to some) loads if asked for.
_TOKEN_READ = reads.columns(ApiToken, "user_id", "last_used_at", "revoked_at")
_USER_READ = reads.columns(User, "role", "active", "all_events", "name", "email")


@functools.cache
def _token_statement():
    # Built once: every API request of an organizer or a scanner runs it.
    return (
        select(*_TOKEN_READ.selected, *_USER_READ.selected)
        .join(User, User.id == ApiToken.user_id)
        .where(ApiToken.token_hash == bindparam("token_hash"))
    )


def touch_token(token: ApiToken) -> None:
    """Record the token's use, at most once per ``LAST_USED_RESOLUTION``.

    The door's scanners share a token and find it due at the same moment: one request
    writes the time, and one that finds the row being written leaves it (``SKIP
    LOCKED``) instead of waiting for that transaction to end, behind its commit. On
    PostgreSQL, before the request's transaction begins, the statement is a transaction
    of its own (``runs_alone``) and holds the row only while it runs; otherwise the
    caller commits it with its own writes.
    """
    now = utcnow()
    if token.last_used_at is not None and now - token.last_used_at <= LAST_USED_RESOLUTION:
        return
    connection = db.session.connection()
    connection.execute(
        _touch_statement(),
        {"token_id": token.id, "used_at": now, "due": now - LAST_USED_RESOLUTION},
        execution_options={ALONE: True} if runs_alone(connection) else {},
    )
    set_committed_value(token, "last_used_at", now)


@functools.cache
def _touch_statement():
    due = (
        select(ApiToken.id)
        .where(
            ApiToken.id == bindparam("token_id"),
            or_(ApiToken.last_used_at.is_(None), ApiToken.last_used_at < bindparam("due")),
        )
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    )
    return update(ApiToken).where(ApiToken.id == due).values(last_used_at=bindparam("used_at"))


def find_token(reference: str) -> ApiToken | None:
    """A token by its id or by its shown prefix (as ``tokens list`` prints them)."""
    token_id = whole_number(reference)
    if token_id is not None:
        # Beyond the id column's range no token can match, and the database would refuse it.
        return db.session.get(ApiToken, token_id) if token_id <= MAX_ID else None
    matches = (
        db.session.execute(db.select(ApiToken).where(ApiToken.prefix == reference[:12]))
        .scalars()
        .all()
    )
    return matches[0] if len(matches) == 1 else None


def revoke_token(token: ApiToken) -> None:
    """Stop the token from working; the caller commits."""
    if token.revoked_at is None:
        token.revoked_at = utcnow()


def list_tokens(user: User | None = None) -> list[ApiToken]:
    """All tokens, or those of one user, oldest first."""
    query = db.select(ApiToken).order_by(ApiToken.id)
    if user is not None:
        query = query.where(ApiToken.user_id == user.id)
    return list(db.session.execute(query).scalars())


def list_users() -> list[User]:
    """All organizer accounts, by email."""
    return list(db.session.execute(db.select(User).order_by(User.email)).scalars())
