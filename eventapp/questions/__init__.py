"""The organizer's own questions on the registration form, and the answers people give.

``services`` defines questions and checks, stores and shows answers for every channel;
``forms`` builds form fields from questions; ``views_admin`` holds the back-office pages (on
the admin blueprint), ``views`` the participant's change of answers (behind the manage link).
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Offer the answers of a registration to templates (manage page, back-office detail)."""
    from eventapp.questions import forms, services

    app.jinja_env.globals["registration_answers"] = services.answers_of
    app.jinja_env.globals["answers_form_for"] = forms.answers_form_for
