"""The OpenAPI description of the API's error answers, so clients (and the schemathesis
run in the test suite) know every status a call may return: 400 for invalid input or
filters, 401/403 without valid credentials (or a session write without its CSRF token),
404 for anything the caller may not see or that does not exist, 429 past the rate limit."""

from __future__ import annotations

from typing import Any

from drf_spectacular.openapi import AutoSchema
from rest_framework.schemas.inspectors import ViewInspector

ERROR_BODY = {
    "type": "object",
    "additionalProperties": True,
    "description": "`detail`, or field name → list of messages.",
}

ERRORS = {
    "400": "Invalid input: field name → list of messages.",
    "401": "No valid credentials.",
    "403": "Not signed in, or a session write without its CSRF token.",
    "404": "Not found, or not visible to the caller.",
    "429": "Too many requests: wait the seconds in the Retry-After header.",
}


class ApiAutoSchema(AutoSchema):
    def _get_response_bodies(self, direction: Any = "response") -> dict[str, Any]:
        bodies: dict[str, Any] = super()._get_response_bodies(direction)
        for code, description in ERRORS.items():
            bodies.setdefault(
                code,
                {
                    "description": description,
                    "content": {"application/json": {"schema": ERROR_BODY}},
                },
            )
        return bodies


# Mixed into every API view, first, so its schema lists the error answers. (A comment, not a
# docstring: drf-spectacular would show a docstring as the description of every operation.)
class DocumentedErrors:
    schema: ViewInspector | None = ApiAutoSchema()
