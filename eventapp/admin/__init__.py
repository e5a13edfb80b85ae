"""The organizer back office: its blueprint and guard, the dashboard, the audit log, shared helpers.

The management views live beside their features (``programme/``, ``registration/management/``,
``mail/views.py``) and hang on this one blueprint: one guard covers the whole back office and
every endpoint keeps its ``admin.`` name. ``eventapp.admin.routes`` gathers them.
"""

from flask import Blueprint

from eventapp.accounts.auth import role_required
from eventapp.models import Role

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.before_request
@role_required(Role.ADMIN)
def require_admin() -> None:
    """Guard every back-office route at once, so a new view cannot be left open by mistake."""
    return None
