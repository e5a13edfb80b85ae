"""Downloads: registration, attendance and check-in lists (CSV/XLSX), made in the request.

They stay synchronous because they are fast: 10 000 registrations take well under a
second as CSV and as XLSX (``bench/scale.py``). Name badges and certificates are PDFs of
thousands of pages and are made by background jobs (``eventapp.jobs``).
"""

from __future__ import annotations

from flask import Response, redirect, render_template, request, url_for

from eventapp.admin import bp
from eventapp.extensions import db
from eventapp.models import Event, Session
from eventapp.registration.management import exports, roster

CSV_TYPE = "text/csv"  # the response adds "; charset=utf-8" to text types
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMAT = "<any(csv, xlsx):fmt>"


def _download(table: exports.Table, filename: str, fmt: str) -> Response:
    if fmt == "csv":
        body = exports.to_csv(table, request.args.get("sep", "comma"))
        mimetype = CSV_TYPE
    else:
        body = exports.to_xlsx(table)
        mimetype = XLSX_TYPE
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}.{fmt}"'
    response.headers["Cache-Control"] = "no-store"  # personal data: keep it out of caches
    return response


@bp.get("/events/<int:event_id>/exports")
def exports_page(event_id: int):
    """Links to every list of the event."""
    event = db.get_or_404(Event, event_id)
    return render_template("admin/exports.html", event=event, workshops=roster.workshops(event))


@bp.get(f"/events/<int:event_id>/registrations.{FORMAT}")
def export_registrations(event_id: int, fmt: str):
    event = db.get_or_404(Event, event_id)
    return _download(exports.registrations_table(event), f"{event.slug}-registrations", fmt)


@bp.get(f"/events/<int:event_id>/checkin-list.{FORMAT}")
def export_checkin(event_id: int, fmt: str):
    event = db.get_or_404(Event, event_id)
    return _download(exports.checkin_table(event), f"{event.slug}-checkin", fmt)


@bp.get(f"/sessions/<int:session_id>/attendance.{FORMAT}")
def export_attendance(session_id: int, fmt: str):
    session = db.get_or_404(Session, session_id)
    filename = f"{session.event.slug}-session-{session.id}-attendance"
    return _download(exports.attendance_table(session), filename, fmt)


@bp.get("/events/<int:event_id>/badges.pdf")
def export_badges(event_id: int):
    """Badges are made by a background job: the jobs page starts it and offers the file."""
    event = db.get_or_404(Event, event_id)
    return redirect(url_for("admin.jobs_page", event_id=event.id, start="badges"))
