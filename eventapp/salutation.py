"""How mails and badges address a person: salutation, title and name.

With a salutation the greeting is formal ("Sehr geehrte Frau Dr. Müller,"); without one
it names the whole person ("Guten Tag Anna Müller,"), so nobody is addressed with a
guessed gender. Badges print the title with the name ("Dr. Anna Müller").
"""

from __future__ import annotations

from flask import Flask
from flask_babel import gettext as _

from eventapp.models import Registration


def titled(*parts: str) -> str:
    """The non-empty parts joined by spaces ("Dr. Müller")."""
    return " ".join(part.strip() for part in parts if part and part.strip())


def badge_name(registration: Registration) -> str:
    """The name as a badge prints it: title, first and last name."""
    return titled(registration.academic_title, registration.first_name, registration.last_name)


def greeting(registration: Registration) -> str:
    """The first line of every mail to ``registration``, with its comma."""
    surname = titled(registration.academic_title, registration.last_name)
    if registration.salutation == "ms":
        return _("Dear Ms %(name)s,", name=surname)
    if registration.salutation == "mr":
        return _("Dear Mr %(name)s,", name=surname)
    return _("Hello %(name)s,", name=badge_name(registration))


def init_app(app: Flask) -> None:
    """Make the greeting available to the mail templates."""
    app.jinja_env.globals["greeting"] = greeting
