"""Back-office pages for staff accounts (admins only, guarded by the admin blueprint).

Thin: parse the form, call ``accounts.staff``, commit once, redirect or render.
"""

from __future__ import annotations

from flask import abort, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _

from eventapp.accounts import services, staff
from eventapp.accounts.forms import ButtonForm, RoleForm, ScopeForm, StaffForm, TokenForm
from eventapp.admin import bp
from eventapp.admin.common import acting_user, refuse
from eventapp.database import MAX_ID
from eventapp.domain import DomainError
from eventapp.extensions import db
from eventapp.models import User


def _user_or_404(user_id: int) -> User:
    if user_id > MAX_ID:
        abort(404)
    return db.get_or_404(User, user_id)


def _scope_form(user: User, formdata=None) -> ScopeForm:
    form = ScopeForm(
        formdata=formdata,
        data=None if formdata else {"all_events": user.all_events, "events": []},
    )
    form.events.choices = [(event.id, event.title) for event in staff.all_events()]
    if not formdata:
        form.events.data = [event.id for event in user.events]
    return form


def _detail(user: User, status: int = 200, new_token: str | None = None, **forms):
    role_form = forms.get("role_form") or RoleForm(formdata=None, role=user.role.value)
    scope_form = forms.get("scope_form") or _scope_form(user)
    token_form = forms.get("token_form") or TokenForm(formdata=None)
    response = make_response(
        render_template(
            "accounts/staff_detail.html",
            user=user,
            role_form=role_form,
            scope_form=scope_form,
            token_form=token_form,
            button=ButtonForm(),
            tokens=services.list_tokens(user),
            new_token=new_token,
        ),
        status,
    )
    return response


@bp.get("/staff")
def staff_list():
    """Every staff account: name, e-mail, role, active, last login, events."""
    return render_template("accounts/staff_list.html", users=services.list_users())


@bp.route("/staff/new", methods=["GET", "POST"])
def staff_create():
    """A new account with an initial password (the CLI's rules)."""
    form = StaffForm()
    status = 200
    if form.validate_on_submit():
        try:
            user = staff.create_staff(
                acting_user(),
                form.email.data,
                form.name.data or "",
                form.role.data,
                form.password.data,
            )
        except DomainError as error:
            refuse(form, error)
            status = 422
        else:
            db.session.commit()
            flash(_("The account for %(email)s has been created.", email=user.email), "success")
            return redirect(url_for("admin.staff_detail", user_id=user.id))
    elif request.method == "POST":
        status = 422
    return render_template("accounts/staff_form.html", form=form), status


@bp.get("/staff/<int:user_id>")
def staff_detail(user_id: int):
    """One account: its role, events, API tokens; activate or deactivate it."""
    return _detail(_user_or_404(user_id))


@bp.post("/staff/<int:user_id>/role")
def staff_role(user_id: int):
    user = _user_or_404(user_id)
    form = RoleForm()
    if not form.validate_on_submit():
        return _detail(user, 422, role_form=form)
    try:
        staff.change_role(acting_user(), user, form.role.data)
    except DomainError as error:
        refuse(form, error)
        return _detail(user, 409, role_form=form)
    db.session.commit()
    flash(_("The role has been saved."), "success")
    return redirect(url_for("admin.staff_detail", user_id=user.id))


@bp.post("/staff/<int:user_id>/active")
def staff_active(user_id: int):
    """Deactivate (``active=0``) or activate again (``active=1``)."""
    user = _user_or_404(user_id)
    form = ButtonForm()
    wanted = request.form.get("active")
    if not form.validate_on_submit() or wanted not in ("0", "1"):
        flash(_("Please use the buttons on this page."), "error")
        return _detail(user, 400)
    try:
        staff.set_active(acting_user(), user, wanted == "1")
    except DomainError as error:
        refuse(None, error)
        return _detail(user, 409)
    db.session.commit()
    if user.active:
        flash(_("The account is active again."), "success")
    else:
        flash(
            _("The account is deactivated: it is logged out and its API tokens stop working."),
            "info",
        )
    return redirect(url_for("admin.staff_detail", user_id=user.id))


@bp.post("/staff/<int:user_id>/scope")
def staff_scope(user_id: int):
    user = _user_or_404(user_id)
    form = _scope_form(user, request.form)
    if not form.validate_on_submit():
        return _detail(user, 422, scope_form=form)
    try:
        staff.set_scope(acting_user(), user, form.all_events.data, form.events.data or [])
    except DomainError as error:
        refuse(form, error)
        return _detail(user, 422, scope_form=form)
    db.session.commit()
    flash(_("The events of this account have been saved."), "success")
    return redirect(url_for("admin.staff_detail", user_id=user.id))


@bp.post("/staff/<int:user_id>/tokens")
def staff_token_create(user_id: int):
    """A new API token, shown on the answer page once and never again."""
    user = _user_or_404(user_id)
    form = TokenForm()
    if not form.validate_on_submit():
        return _detail(user, 422, token_form=form)
    try:
        plaintext = staff.issue_token(acting_user(), user, form.name.data or "")
    except DomainError as error:
        refuse(form, error)
        return _detail(user, 422, token_form=form)
    db.session.commit()
    return _detail(user, new_token=plaintext)


@bp.post("/staff/<int:user_id>/tokens/<int:token_id>/revoke")
def staff_token_revoke(user_id: int, token_id: int):
    user = _user_or_404(user_id)
    token = staff.token_of(user, token_id) if token_id <= MAX_ID else None
    if token is None:
        abort(404)
    if not ButtonForm().validate_on_submit():
        flash(_("Please use the buttons on this page."), "error")
        return _detail(user, 400)
    staff.revoke(acting_user(), token)
    db.session.commit()
    flash(_("The API token has been revoked."), "success")
    return redirect(url_for("admin.staff_detail", user_id=user.id))
