"""CLI: `flask users ...` and `flask tokens ...`."""

import click

users_cli = click.Group("users", help="Organizer accounts.")
tokens_cli = click.Group("tokens", help="API tokens.")
