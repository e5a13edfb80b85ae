"""HTTP views of the accounts feature; thin: parse, call a service, commit once, respond."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from eventapp.accounts import bp, password_reset, services, staff, throttle
from eventapp.accounts.auth import end_staff_session, role_required, start_staff_session
from eventapp.accounts.forms import (
    ChangePasswordForm,
    LoginForm,
    LogoutForm,
    NewPasswordForm,
    PasswordResetRequestForm,
)
from eventapp.domain import DomainError
from eventapp.errors import show_refusal
from eventapp.extensions import db
from eventapp.i18n import current_locale
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
        response = redirect(url_for("accounts.login"))
        # The offline scanner's data (IndexedDB, caches, service worker) leaves with the
        # person: the next one on this device starts empty.
        response.headers["Clear-Site-Data"] = '"cache", "storage"'
        return response
    if not current_user.is_authenticated:
        return redirect(url_for("accounts.login"))
    return render_template("accounts/logout.html", form=form)


@bp.route("/account/password", methods=["GET", "POST"])
@role_required()
def change_password():
    """Everyone logged in changes their own password; their other sessions end."""
    form = ChangePasswordForm()
    status = 200
    if form.validate_on_submit():
        user = current_user._get_current_object()
        try:
            staff.change_own_password(
                user,
                form.current_password.data,
                form.new_password.data,
                form.new_password_repeat.data,
            )
        except DomainError as error:
            show_refusal(form, error)
            status = 422
        else:
            db.session.commit()
            # The new session id ended every session, this one too: carry on in a new one.
            start_staff_session(user)
            flash(
                _("Your password has been changed. You have been logged out everywhere else."),
                "success",
            )
            return redirect(url_for("accounts.change_password"))
    elif request.method == "POST":
        status = 422
    return render_template("accounts/change_password.html", form=form), status


@bp.route("/login/reset", methods=["GET", "POST"])
@throttle.reset_limits
def password_reset_request():
    """ "Forgot password": the same answer whether the address has an account or not."""
    form = PasswordResetRequestForm()
    if form.validate_on_submit():
        password_reset.request_reset(form.email.data, current_locale())
        db.session.commit()
        minutes = int(password_reset.lifetime().total_seconds() // 60)
        return render_template("accounts/reset_sent.html", minutes=minutes)
    status = 422 if request.method == "POST" else 200
    return render_template("accounts/reset_request.html", form=form), status


@bp.route("/login/reset/<token>", methods=["GET", "POST"])
def password_reset_confirm(token: str):
    """Set a new password through the link from the mail; it works once."""
    form = NewPasswordForm()
    try:
        password_reset.pending(token)
    except DomainError as error:
        return _reset_page("accounts/reset_invalid.html", 404, message=error.message)
    status = 200
    if form.validate_on_submit():
        try:
            password_reset.complete_reset(
                token, form.new_password.data, form.new_password_repeat.data
            )
        except password_reset.ResetLinkInvalid as error:
            db.session.rollback()
            return _reset_page("accounts/reset_invalid.html", 404, message=error.message)
        except DomainError as error:
            show_refusal(form, error)
            status = 422
        else:
            db.session.commit()
            flash(_("Your new password is set. Please log in with it."), "success")
            return redirect(url_for("accounts.login"))
    elif request.method == "POST":
        status = 422
    return _reset_page("accounts/reset_form.html", status, form=form)


def _reset_page(template: str, status: int, **context):
    """The link's token is in the address: no Referer may carry it to another site."""
    response = make_response(render_template(template, **context), status)
    response.headers["Referrer-Policy"] = "no-referrer"
    return response
