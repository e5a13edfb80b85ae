""" "Forgot password": a single-use, time-limited link by mail.

Only the SHA-256 hash of the link's token is kept in ``password_reset``; the outbox row
keeps a random seed from which the token is derived with the secret key when the mail is
rendered (``urls.link_token``), so neither table alone yields a working link. A link
that was used or replaced loses its seed too, and an expired one is worthless. Whoever
asks gets the same answer whether the address belongs to an account or not, and an
inactive account gets no mail.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _

from eventapp.accounts import services
from eventapp.accounts.services import AccountError
from eventapp.admin.audit import record
from eventapp.domain import NotFound
from eventapp.extensions import db
from eventapp.mail.outbox import MessageKind, note_ready, outbox_row
from eventapp.models import OutboxMessage, PasswordReset, User, utcnow
from eventapp.urls import link_token

DEFAULT_LIFETIME_SECONDS = 3600


class ResetLinkInvalid(NotFound):
    """Unknown, used, replaced or expired: the page says so and changes nothing."""

    code = "reset_link_invalid"

    def __init__(self) -> None:
        super().__init__(
            _(
                "This link to set a new password is not valid (any more). Links work once"
                " and for a limited time. Please ask for a new one."
            )
        )


def lifetime() -> timedelta:
    seconds = current_app.config.get("PASSWORD_RESET_SECONDS") or DEFAULT_LIFETIME_SECONDS
    return timedelta(seconds=int(seconds))


def request_reset(email: str, locale: str) -> None:
    """Queue a reset link for the active account with this address; otherwise nothing.

    The caller commits and answers the same in either case.
    """
    user = services.user_by_email(email)
    if user is None or not user.active:
        return
    seed = secrets.token_urlsafe(32)  # 256 bits
    now = utcnow()
    reset = PasswordReset(
        user=user,
        token_hash=services.hash_token(reset_token(seed)),
        created_at=now,
        expires_at=now + lifetime(),
    )
    db.session.add(reset)
    db.session.flush()
    db.session.add(
        outbox_row(
            MessageKind.PASSWORD_RESET,
            user.email,
            locale,
            None,
            {"reset_id": reset.id, "seed": seed},
        )
    )
    note_ready(db.session)
    record(None, "user.password_reset_request", user)


def reset_token(seed: str) -> str:
    """The token in the link of the reset with this ``seed``."""
    return link_token("password-reset", seed)


def pending(plaintext: str) -> PasswordReset:
    """The unused, unexpired link of an active account for this token, else ResetLinkInvalid."""
    if not isinstance(plaintext, str) or not 20 <= len(plaintext) <= 100:
        raise ResetLinkInvalid()
    reset = db.session.execute(
        db.select(PasswordReset).where(PasswordReset.token_hash == services.hash_token(plaintext))
    ).scalar_one_or_none()
    if not is_pending(reset):
        raise ResetLinkInvalid()
    assert reset is not None
    return reset


def is_pending(reset: PasswordReset | None) -> bool:
    """Whether the link may still be used (also asked when its mail is sent)."""
    return (
        reset is not None
        and reset.used_at is None
        and reset.expires_at > utcnow()
        and reset.user.active
    )


def complete_reset(plaintext: str, password: str, repeated: str) -> User:
    """Set the new password through the link: the link is used up, every other pending
    link of the account stops working and every session ends. The caller commits."""
    reset = pending(plaintext)
    # Lock the row (PostgreSQL), so that one link sets a password once even when sent twice.
    db.session.execute(
        db.select(PasswordReset.id).where(PasswordReset.id == reset.id).with_for_update()
    )
    db.session.refresh(reset)
    if not is_pending(reset):
        raise ResetLinkInvalid()
    user = reset.user
    if password != repeated:
        raise AccountError(_("The two new passwords differ."), field="new_password_repeat")
    try:
        services.set_password(user, password)  # ends every session
    except AccountError as error:
        raise AccountError(error.message, field="new_password") from error
    now = utcnow()
    others = db.session.execute(
        db.select(PasswordReset).where(
            PasswordReset.user_id == user.id, PasswordReset.used_at.is_(None)
        )
    ).scalars()
    for link in others:
        link.used_at = now
    _forget_links(user)
    record(None, "user.password_reset", user)
    return user


def _forget_links(user: User) -> None:
    """Take the seeds of ``user``'s links out of the outbox: they can no longer be used."""
    rows = db.session.execute(
        db.select(OutboxMessage).where(
            OutboxMessage.kind == MessageKind.PASSWORD_RESET.value,
            OutboxMessage.recipient == user.email,
        )
    ).scalars()
    for row in rows:
        if "seed" in (row.payload or {}):
            row.payload = {key: value for key, value in row.payload.items() if key != "seed"}
