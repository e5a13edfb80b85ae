"""CLI: `flask registrations ...`."""

import click

registrations_cli = click.Group("registrations", help="Registration maintenance.")
