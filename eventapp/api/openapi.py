"""Serves the OpenAPI 3.1 document of ``/api/v1``, generated from the declared routes."""

from __future__ import annotations

from typing import Any

from flask import current_app
from pydantic import RootModel

from eventapp.api import bp
from eventapp.api.spec import build_document, responses, spec

__all__ = ["build_document"]


class OpenApiDocument(RootModel[dict[str, Any]]):
    """The OpenAPI 3.1 document of /api/v1."""


@bp.get("/openapi.json")
@spec.validate(
    resp=responses(HTTP_200=(OpenApiDocument, "The OpenAPI 3.1 document of /api/v1.")),
    tags=["meta"],
    operation_id="getOpenApiDocument",
)
def openapi_document():
    """This document."""
    response = current_app.json.response(build_document())
    response.headers["Cache-Control"] = "public, max-age=300"
    return response
