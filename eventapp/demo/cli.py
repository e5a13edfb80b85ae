"""CLI: `flask demo ...`."""

from __future__ import annotations

from datetime import datetime

import click
from flask.cli import with_appcontext

from eventapp.demo import services
from eventapp.extensions import db

demo_cli = click.Group("demo", help="Demo programme.")


@demo_cli.command("load")
@click.option(
    "--date",
    "congress_date",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="Day of the congress (YYYY-MM-DD); default: the next 16 May.",
)
@click.option(
    "--if-empty", is_flag=True, help="Load only when the database holds no events at all."
)
@with_appcontext
def load(congress_date: datetime | None, if_empty: bool) -> None:
    """Load the Bürstadt congress and the site visits; running it again changes nothing."""
    if if_empty and services.database_has_events():
        click.echo("Events exist already; demo programme not loaded.")
        return
    loaded = services.load_demo(congress_date.date() if congress_date else None)
    db.session.commit()
    for item in loaded:
        click.echo(
            f"{item.outcome.value:<9}  {item.slug:<28}  {item.kind:<10}  "
            f"{item.starts_at.date().isoformat()}  {item.sessions} sessions"
        )
