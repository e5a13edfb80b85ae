"""The outbox page of the back office: every message, why it waits, and sending it again."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import ngettext

from eventapp.admin import bp
from eventapp.admin.common import acting_user, page_number
from eventapp.extensions import db
from eventapp.mail import management
from eventapp.mail import services as mail_services
from eventapp.mail.forms import OutboxFilterForm, RetryForm

PER_PAGE = 25


@bp.get("/outbox")
def outbox():
    """Messages newest first, filtered by state, each with its preview, attempts and last error."""
    filters = OutboxFilterForm(request.args)
    status = filters.chosen_status()
    page = db.paginate(mail_services.outbox_messages(status), page=page_number(), per_page=PER_PAGE)
    return render_template(
        "admin/outbox.html",
        counts=mail_services.outbox_counts(),
        oldest_pending=mail_services.oldest_pending(),
        page=page,
        previews=mail_services.previews(page.items),
        filters=filters,
        form=RetryForm(),
        args={"status": status.value} if status else {},
    )


@bp.post("/outbox/retry")
def outbox_retry():
    """Requeue one failed message (``message_id``) or all of them."""
    form = RetryForm()
    if form.validate_on_submit():
        count = management.retry(acting_user(), form.message_id.data)
        db.session.commit()
        flash(
            ngettext(
                "%(num)d message will be sent again.", "%(num)d messages will be sent again.", count
            ),
            "success",
        )
    return redirect(url_for("admin.outbox"))
