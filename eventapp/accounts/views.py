"""HTTP views of the accounts feature; thin: parse, call a service, commit once, respond."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from eventapp.accounts import bp, services, throttle
from eventapp.accounts.auth import end_staff_session, start_staff_session
from eventapp.accounts.forms import LoginForm, LogoutForm
from eventapp.extensions import db
from eventapp.models import Role


def _safe_next(target: str | None) -> str | None:
    """Only same-site paths, so that ``?next=`` cannot be used as an open redirect."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target:
        return None
    return target


def _home_for(role: Role) -> str:
    if role == Role.ADMIN:
        return url_for("admin.index")
    return url_for("checkin.index")


@bp.route("/login", methods=["GET", "POST"])
@throttle.login_limits
def login():
    """Organizer login with email and password."""
    form = LoginForm()
    next_url = _safe_next(request.values.get("next"))
    if current_user.is_authenticated and request.method == "GET":
        return redirect(next_url or _home_for(current_user.role))
    status = 200
    if form.validate_on_submit():
        user = services.authenticate(form.email.data, form.password.data)
        if user is not None:
            services.record_login(user)
            db.session.commit()
            start_staff_session(user)
            return redirect(next_url or _home_for(user.role))
        throttle.record_wrong_password()
        form.password.errors.append(_("Email or password is wrong."))
        status = 401
    elif request.method == "POST":
        status = 422
    return render_template("accounts/login.html", form=form, next_url=next_url), status


@bp.route("/logout", methods=["GET", "POST"])
def logout():
    """POST logs out; GET shows a button, because a link must not change state."""
    form = LogoutForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            return render_template("accounts/logout.html", form=form), 400
        end_staff_session()
        db.session.commit()
        flash(_("You have been logged out."), "info")
        return redirect(url_for("accounts.login"))
    if not current_user.is_authenticated:
        return redirect(url_for("accounts.login"))
    return render_template("accounts/logout.html", form=form)
