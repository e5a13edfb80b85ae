"""Every back-office view, imported so that its routes are on ``admin.bp`` before registration.

The feature packages import ``eventapp.admin`` for the blueprint; gathering them here rather
than in ``eventapp/admin/__init__.py`` keeps the imports running one way.
"""

from eventapp.accounts import views_staff  # noqa: F401
from eventapp.admin import bp, views_audit, views_dashboard  # noqa: F401
from eventapp.certificates import management as certificates_management  # noqa: F401
from eventapp.jobs import views as jobs_views  # noqa: F401
from eventapp.legal import management as legal_management  # noqa: F401
from eventapp.mail import views as mail_views  # noqa: F401
from eventapp.mail import views_settings as mail_settings_views  # noqa: F401
from eventapp.notices import views as notices_views  # noqa: F401
from eventapp.programme import views_catalogue, views_events, views_programme  # noqa: F401
from eventapp.questions import views_admin as questions_views  # noqa: F401
from eventapp.registration.management import (  # noqa: F401
    views_bulk_mail,
    views_bulk_sends,
    views_exports,
    views_office,
    views_registrations,
)

__all__ = ["bp"]
