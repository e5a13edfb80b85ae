"""Staff accounts managed in the browser: create, (de)activate, roles, event scope, API tokens.

Every function takes the acting admin for the audit log and leaves the commit to the view.
The CLI (``accounts/cli.py``) and these pages share ``services`` for the rules themselves.
"""

from __future__ import annotations

from collections.abc import Iterable

from flask_babel import gettext as _

from eventapp.accounts import services
from eventapp.accounts.services import AccountError
from eventapp.admin.audit import record, snapshot
from eventapp.domain import Conflict, Forbidden
from eventapp.extensions import db
from eventapp.models import ApiToken, Event, Role, User
from eventapp.text import InvalidEmail, parse_email

MAX_TOKEN_NAME_LENGTH = 120


class LastAdmin(Conflict):
    """The change would leave nobody who can run the back office."""

    code = "last_admin"


def _scope(user: User) -> dict:
    return {"all_events": user.all_events, "events": [event.id for event in user.events]}


def _others_active_admins(user: User) -> int:
    """Active admins other than ``user``, counted under a lock on PostgreSQL.

    The lock (``FOR UPDATE`` on those rows) makes two admins who take each other's
    rights at the same moment wait for one another, so one of them keeps them.
    """
    ids = (
        db.session.execute(
            db.select(User.id)
            .where(User.role == Role.ADMIN, User.active.is_(True), User.id != user.id)
            .with_for_update()
        )
        .scalars()
        .all()
    )
    return len(ids)


def _keep_an_admin(user: User) -> None:
    if user.is_admin and user.active and _others_active_admins(user) == 0:
        raise LastAdmin(
            _("This is the last active admin account. Make another account an admin first.")
        )


def create_staff(actor: User, email: str, name: str, role: Role | str, password: str) -> User:
    """A new staff account with the CLI's password rules; audited.

    The address and the password are checked here first, so that the page can say
    in the reader's language which field is wrong (the CLI's messages are English).
    """
    name, email = (name or "").strip(), (email or "").strip()
    try:
        parse_email(email)
    except InvalidEmail as error:
        raise AccountError(_("Please enter a valid email address."), field="email") from error
    if services.user_by_email(email) is not None:
        raise AccountError(_("An account with this email address exists already."), field="email")
    try:
        services.check_password_strength(password, services.normalize_email(email), name)
    except AccountError as error:
        raise AccountError(error.message, field="password") from error
    user = services.create_user(email, password, role, name)
    record(actor, "user.create", user, None, snapshot(user))
    return user


def set_active(actor: User, user: User, active: bool) -> None:
    """Deactivate (ends sessions, tokens stop working) or re-activate an account; audited."""
    if active == user.active:
        return
    before = snapshot(user)
    if not active:
        if user.id == actor.id:
            raise Forbidden(_("You cannot deactivate your own account."))
        _keep_an_admin(user)
        services.deactivate_user(user)
        action = "user.deactivate"
    else:
        user.active = True
        action = "user.reactivate"
    record(actor, action, user, before, snapshot(user))


def change_role(actor: User, user: User, role: Role | str) -> None:
    """Make the account an admin or check-in staff; the last active admin stays one."""
    role = Role(role)
    if role == user.role:
        return
    if user.id == actor.id:
        raise Forbidden(_("You cannot change your own role. Ask another admin."))
    if role != Role.ADMIN:
        _keep_an_admin(user)
    before = snapshot(user)
    user.role = role
    record(actor, "user.role", user, before, snapshot(user))


def set_scope(actor: User, user: User, all_events: bool, event_ids: Iterable[int]) -> None:
    """Let check-in staff work at every event, or only at the chosen ones; audited."""
    wanted = sorted(set(event_ids))
    events = (
        list(db.session.execute(db.select(Event).where(Event.id.in_(wanted))).scalars())
        if wanted
        else []
    )
    if len(events) != len(wanted):
        raise AccountError(_("One of the chosen events does not exist."), field="events")
    if not all_events and not events:
        raise AccountError(_("Choose at least one event, or allow all events."), field="events")
    before = _scope(user)
    user.all_events = all_events
    user.events = [] if all_events else events
    after = _scope(user)
    if before != after:
        record(actor, "user.scope", user, before, after)


def issue_token(actor: User, user: User, name: str) -> str:
    """A new API token for ``user``; the plaintext is returned once and never stored."""
    name = (name or "").strip()
    if len(name) > MAX_TOKEN_NAME_LENGTH:
        raise AccountError(
            _("The name may have at most %(num)d characters.", num=MAX_TOKEN_NAME_LENGTH),
            field="name",
        )
    plaintext = services.create_token(user, name)
    token = db.session.execute(
        db.select(ApiToken).where(ApiToken.token_hash == services.hash_token(plaintext))
    ).scalar_one()
    record(actor, "api_token.create", token, None, snapshot(token))
    return plaintext


def revoke(actor: User, token: ApiToken) -> None:
    """Stop the token from working; audited (once)."""
    if token.revoked_at is not None:
        return
    before = snapshot(token)
    services.revoke_token(token)
    record(actor, "api_token.revoke", token, before, snapshot(token))


def token_of(user: User, token_id: int) -> ApiToken | None:
    """The token with this id if it belongs to ``user``."""
    token = db.session.get(ApiToken, token_id)
    return token if token is not None and token.user_id == user.id else None


def change_own_password(user: User, current: str, new: str, repeated: str) -> None:
    """The logged-in user's new password: the current one must be right, the new one
    strong and typed twice. Ends every session of the user; the caller starts a new one."""
    if not services.check_password(user, current):
        raise AccountError(_("The current password is wrong."), field="current_password")
    if new != repeated:
        raise AccountError(_("The two new passwords differ."), field="new_password_repeat")
    try:
        services.set_password(user, new)
    except AccountError as error:
        raise AccountError(error.message, field="new_password") from error
    record(user, "user.password_change", user)


def all_events() -> list[Event]:
    """Every event, for choosing a check-in account's scope."""
    return list(db.session.execute(db.select(Event).order_by(Event.starts_at)).scalars())
