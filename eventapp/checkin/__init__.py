"""Door check-in: the scanner page, redeem and annul, counts, the scan log.

``services`` decides each scan (the unique constraint is the truth), ``queries`` reads
lists, counts and the scan log, ``messages`` words each outcome for the door, ``views``
serves the scanner and log pages; the JSON routes are in ``eventapp.api.checkin``.
"""

from flask import Blueprint

bp = Blueprint("checkin", __name__)

from eventapp.checkin import views  # noqa: E402, F401
