"""The OpenAPI 3.1 document of ``/api/v1``, assembled from the API modules' own pieces.

Every API module exposes ``OPENAPI_PATHS`` (paths relative to ``/api/v1``) and
``OPENAPI_SCHEMAS`` (component schemas) and is listed in ``API_MODULES``. A test
fails when a route under ``/api/v1`` is missing from the document.
"""

from __future__ import annotations

import importlib
from typing import Any

from flask import current_app

from eventapp.api import bp

API_MODULES: list[str] = [
    "eventapp.api.checkin",
    "eventapp.api.events",
    "eventapp.api.openapi",
    "eventapp.api.registrations",
    "eventapp.api.registrations_admin",
]

ERROR_SCHEMA = {
    "type": "object",
    "description": "Every error under /api/v1 has this shape.",
    "properties": {
        "error": {
            "type": "object",
            "properties": {
                "code": {"type": "string", "description": "Stable, machine-readable code."},
                "message": {"type": "string", "description": "For people; may be translated."},
            },
            "required": ["code", "message"],
        }
    },
    "required": ["error"],
}


def _error(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


BASE_DOCUMENT: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {
        "title": "Zukunftsbündnis Sozialer Zusammenhalt – events API",
        "version": "1.0.0",
        "description": (
            "Programme, registration and check-in of the congress and site visits. "
            "Times are ISO 8601 with a UTC offset. Organizer endpoints take "
            "`Authorization: Bearer <token>`."
        ),
    },
    "servers": [{"url": "/api/v1"}],
    "components": {
        "securitySchemes": {
            "bearerAuth": {
                "type": "http",
                "scheme": "bearer",
                "description": "An API token from `flask tokens create EMAIL`.",
            }
        },
        "responses": {
            "BadRequest": _error("The request could not be read."),
            "Unauthorized": _error("No valid bearer token."),
            "Forbidden": _error("The token's user lacks the role."),
            "NotFound": _error("No such resource."),
            "Conflict": _error("The request conflicts with the current state."),
            "UnprocessableEntity": _error("The input is invalid; nothing was changed."),
            "TooManyRequests": _error("Too many requests; try again later."),
        },
    },
}


def build_document() -> dict[str, Any]:
    """Merge the base document with every API module's paths and schemas."""
    paths: dict[str, dict[str, Any]] = {}
    schemas: dict[str, Any] = {"Error": ERROR_SCHEMA}
    for name in API_MODULES:
        module = importlib.import_module(name)
        for path, operations in getattr(module, "OPENAPI_PATHS", {}).items():
            merged = paths.setdefault(path, {})
            for method, operation in operations.items():
                if method in merged:
                    raise ValueError(f"{method.upper()} {path} is described twice ({name})")
                merged[method] = operation
        for schema_name, schema in getattr(module, "OPENAPI_SCHEMAS", {}).items():
            if schemas.setdefault(schema_name, schema) != schema:
                raise ValueError(f"schema {schema_name} is defined differently in {name}")
    components = {**BASE_DOCUMENT["components"], "schemas": schemas}
    return {**BASE_DOCUMENT, "paths": paths, "components": components}


@bp.get("/openapi.json")
def openapi_document():
    response = current_app.json.response(build_document())
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


OPENAPI_PATHS = {
    "/openapi.json": {
        "get": {
            "operationId": "getOpenApiDocument",
            "tags": ["meta"],
            "summary": "This document.",
            "responses": {
                "200": {
                    "description": "The OpenAPI 3.1 document of /api/v1.",
                    "content": {"application/json": {"schema": {"type": "object"}}},
                }
            },
        }
    }
}
OPENAPI_SCHEMAS: dict[str, Any] = {}
