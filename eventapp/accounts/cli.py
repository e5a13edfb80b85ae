"""CLI: `flask users ...` and `flask tokens ...`."""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup
from flask_babel import force_locale

from eventapp.accounts import services
from eventapp.extensions import db
from eventapp.models import Role

users_cli = AppGroup("users", help="Organizer accounts.")
tokens_cli = AppGroup("tokens", help="API tokens.")

ROLE_CHOICE = click.Choice([role.value for role in Role])


def _user_or_fail(email: str):
    user = services.user_by_email(email)
    if user is None:
        raise click.ClickException(f"No account for {email}.")
    return user


def _password(from_stdin: bool) -> str:
    if from_stdin:
        # The first line only, so that `echo secret | flask users create ...` works.
        return sys.stdin.readline().rstrip("\r\n")
    return click.prompt("Password", hide_input=True, confirmation_prompt=True)


@users_cli.command("create")
@click.argument("email")
@click.option("--role", type=ROLE_CHOICE, required=True, help="admin or checkin")
@click.option("--name", default="", help="Display name.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def create_user(email: str, role: str, name: str, password_stdin: bool) -> None:
    """Create an organizer account."""
    password = _password(password_stdin)
    try:
        # The services' messages are translated for pages; this tool speaks English.
        with force_locale("en"):
            user = services.create_user(email, password, role, name=name)
    except services.AccountError as exc:
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    click.echo(f"Created {user.role.value} account {user.email} (id {user.id}).")


@users_cli.command("set-password")
@click.argument("email")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def set_password(email: str, password_stdin: bool) -> None:
    """Give an account a new password; it is logged out everywhere."""
    user = _user_or_fail(email)
    password = _password(password_stdin)
    try:
        with force_locale("en"):
            services.set_password(user, password)
    except services.AccountError as exc:
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    click.echo(f"Password of {user.email} changed; its sessions have ended.")


@users_cli.command("deactivate")
@click.argument("email")
def deactivate_user(email: str) -> None:
    """Lock an account out: it can no longer log in, its sessions end, its tokens stop working."""
    user = _user_or_fail(email)
    services.deactivate_user(user)
    db.session.commit()
    click.echo(f"Deactivated {user.email}.")


@users_cli.command("list")
def list_users() -> None:
    """List organizer accounts."""
    for user in services.list_users():
        state = "active" if user.active else "inactive"
        click.echo(f"{user.id}\t{user.email}\t{user.role.value}\t{state}\t{user.name}")


@tokens_cli.command("create")
@click.argument("email")
@click.option("--name", default="", help="What the token is for, e.g. the device.")
def create_token(email: str, name: str) -> None:
    """Create an API token; it is shown once, alone on the last line."""
    user = _user_or_fail(email)
    plaintext = services.create_token(user, name)
    db.session.commit()
    click.echo(f"API token for {user.email} ({user.role.value}); it is shown only now:")
    click.echo(plaintext)


@tokens_cli.command("revoke")
@click.argument("reference")
def revoke_token(reference: str) -> None:
    """Revoke a token by its id or its prefix (see `tokens list`)."""
    token = services.find_token(reference)
    if token is None:
        raise click.ClickException(f"No single token matches {reference!r}.")
    services.revoke_token(token)
    db.session.commit()
    click.echo(f"Revoked token {token.id} ({token.prefix}…) of {token.user.email}.")


@tokens_cli.command("list")
@click.option("--email", default=None, help="Only this user's tokens.")
def list_tokens(email: str | None) -> None:
    """List tokens (id, prefix, user, name, state); never the tokens themselves."""
    user = _user_or_fail(email) if email else None
    for token in services.list_tokens(user):
        state = "revoked" if token.revoked_at else "active"
        used = token.last_used_at.isoformat(timespec="seconds") if token.last_used_at else "-"
        click.echo(
            f"{token.id}\t{token.prefix}…\t{token.user.email}\t{token.name}\t{state}\t{used}"
        )
