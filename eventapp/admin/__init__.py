"""The organizer back office."""

from flask import Blueprint

from eventapp.accounts.auth import role_required
from eventapp.models import Role

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.before_request
@role_required(Role.ADMIN)
def require_admin() -> None:
    """Guard every back-office route at once, so a new view cannot be left open by mistake."""
    return None


from eventapp.admin import (  # noqa: E402, F401
    views_audit,
    views_catalogue,
    views_dashboard,
    views_events,
    views_exports,
    views_mail,
    views_programme,
    views_registrations,
)
