"""Raising the contract's JSON errors from anywhere inside an API request."""

from __future__ import annotations

from typing import NoReturn

from flask import abort

from eventapp.errors import json_error


def api_abort(status: int, code: str, message: str) -> NoReturn:
    """Stop the request with ``{"error": {"code", "message"}}`` and the given status."""
    abort(json_error(status, code, message))
