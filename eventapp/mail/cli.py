"""CLI: `flask mail ...`."""

import click

mail_cli = click.Group("mail", help="Email delivery from the outbox.")
