"""Attendance certificates: the PDF after the event, its public verification page, the signer.

``services`` (who may have one, what it says, the verification code), ``signature`` (the
signer and signature image of the operator settings), ``pdf`` (drawing, with the ticket's
fonts and QR), ``views`` (download and verification; this blueprint), ``management`` (the
back office's pages on ``admin.bp``), ``forms``.
"""

from flask import Blueprint

bp = Blueprint("certificates", __name__)

from eventapp.certificates import views  # noqa: E402, F401
