"""Organizer accounts and API tokens: creation, password checks, token hashing."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from werkzeug.security import check_password_hash, generate_password_hash

from eventapp.extensions import db
from eventapp.models import ApiToken, Role, User, utcnow

TOKEN_PREFIX = "ea_"  # noqa: S105  (marks the string as ours in logs, not a secret)
# Only the prefix is kept in clear text, so a listing can name a token without revealing it.
SHOWN_PREFIX_LENGTH = 10
# Touch ``last_used_at`` at most this often: a write on every request would serialise scanners.
LAST_USED_RESOLUTION = timedelta(minutes=1)

# Checked against when the email is unknown, so that timing does not reveal which emails exist.
_DUMMY_HASH = generate_password_hash("not a real password")


class AccountError(ValueError):
    """An account operation that cannot be done, with a message for the operator."""


def normalize_email(email: str) -> str:
    """The form in which emails are stored and compared."""
    return email.strip().lower()


def user_by_email(email: str) -> User | None:
    """The account with this email, if any."""
    return db.session.execute(
        db.select(User).where(User.email == normalize_email(email))
    ).scalar_one_or_none()


def create_user(email: str, password: str, role: Role | str, name: str = "") -> User:
    """A new organizer account with a hashed password; the caller commits."""
    email = normalize_email(email)
    if "@" not in email:
        raise AccountError(f"Not an email address: {email!r}")
    if len(password) < 8:
        raise AccountError("The password must have at least 8 characters.")
    if user_by_email(email) is not None:
        raise AccountError(f"An account for {email} exists already.")
    user = User(
        email=email, name=name, password_hash=generate_password_hash(password), role=Role(role)
    )
    db.session.add(user)
    db.session.flush()
    return user


def set_password(user: User, password: str) -> None:
    """Replace the user's password; the caller commits."""
    if len(password) < 8:
        raise AccountError("The password must have at least 8 characters.")
    user.password_hash = generate_password_hash(password)


def authenticate(email: str, password: str) -> User | None:
    """The active user with this email and password, else None."""
    user = user_by_email(email)
    if user is None:
        check_password_hash(_DUMMY_HASH, password)
        return None
    if not check_password_hash(user.password_hash, password) or not user.active:
        return None
    return user


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


def verify_token(plaintext: str) -> ApiToken | None:
    """The unrevoked token of an active user matching ``plaintext``, else None."""
    if not plaintext or len(plaintext) > 200:
        return None
    token = db.session.execute(
        db.select(ApiToken).where(ApiToken.token_hash == hash_token(plaintext))
    ).scalar_one_or_none()
    if token is None or token.revoked_at is not None or not token.user.active:
        return None
    return token


def touch_token(token: ApiToken) -> None:
    """Record the token's use, at most once per ``LAST_USED_RESOLUTION``; the caller commits."""
    now = utcnow()
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
        token.last_used_at = now


def find_token(reference: str) -> ApiToken | None:
    """A token by its id or by its shown prefix (as ``tokens list`` prints them)."""
    if reference.isascii() and reference.isdigit():
        return db.session.get(ApiToken, int(reference))
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
