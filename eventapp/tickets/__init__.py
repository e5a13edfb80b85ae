"""QR tickets: the ticket page, its QR images and the PDF ticket."""

from flask import Blueprint

bp = Blueprint("tickets", __name__)

from eventapp.tickets import views  # noqa: E402, F401
