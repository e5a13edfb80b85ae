"""The ``eventapp`` console script: ``flask --app wsgi`` under its own name."""

from flask.cli import FlaskGroup

from eventapp import create_app


def main() -> None:
    FlaskGroup(create_app=create_app, name="eventapp")(prog_name="eventapp")
