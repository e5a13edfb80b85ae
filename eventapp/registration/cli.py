"""CLI: `flask registrations ...`."""

from __future__ import annotations

import click
from flask import current_app
from flask_babel import force_locale
from sqlalchemy import select

from eventapp.extensions import db
from eventapp.models import Event
from eventapp.registration.errors import RegistrationError
from eventapp.registration.privacy import purge_event

registrations_cli = click.Group("registrations", help="Registration maintenance.")


@registrations_cli.command("purge")
@click.option("--event", "slug", required=True, help="Slug of the event.")
@click.option(
    "--after-days",
    type=click.IntRange(min=0),
    required=True,
    help="Only when the event ended at least this many days ago.",
)
def purge_command(slug: str, after_days: int) -> None:
    """Anonymize the personal data of an ended event; counts and statuses stay."""
    event = db.session.execute(select(Event).where(Event.slug == slug)).scalar_one_or_none()
    if event is None:
        raise click.ClickException(f"No event with the slug {slug!r}.")
    # Messages outside a request are in the site's default language.
    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
        try:
            count = purge_event(event, after_days)
        except RegistrationError as error:
            db.session.rollback()
            raise click.ClickException(error.message) from None
    db.session.commit()
    click.echo(f"Anonymized {count} registration(s) of {slug}.")
