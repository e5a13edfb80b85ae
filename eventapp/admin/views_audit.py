"""The audit log page: who did what, when, with the values before and after."""

from __future__ import annotations

from flask import render_template, request
from wtforms.fields.choices import SelectChoice

from eventapp import labels
from eventapp.admin import audit, bp, describe
from eventapp.admin.common import page_number
from eventapp.admin.forms import AuditFilterForm
from eventapp.extensions import db

PER_PAGE = 50


@bp.get("/audit")
def audit_log():
    form = AuditFilterForm(request.args)
    types = audit.object_types()
    form.object_type.choices = [
        SelectChoice("", "—"),
        *(SelectChoice(t, labels.object_type_label(t)) for t in types),
    ]
    object_type = form.object_type.data if form.validate() else None
    page = db.paginate(
        audit.entries_query(object_type or None), page=page_number(), per_page=PER_PAGE
    )
    args = {k: v for k, v in request.args.items() if k != "page"}
    lines = describe.audit_lines(page.items)
    return render_template("admin/audit.html", form=form, page=page, lines=lines, args=args)
