"""Request bodies the API refuses with a 4xx that says why, instead of a 500.

A body over DATA_UPLOAD_MAX_MEMORY_SIZE is a JSON 413 (Django's own answer is an HTML 400).
Python's ``json`` parses nesting by recursion, so a body of ``[`` a hundred thousand deep
raises ``RecursionError``, which DRF's parser does not catch; nesting below that limit would
still recurse through the serializers and the idempotency fingerprint. No request of this
API nests more than a few levels, so anything deeper than ``MAX_DEPTH`` is refused."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.conf import settings
from rest_framework import parsers, status
from rest_framework.exceptions import APIException, ParseError

MAX_DEPTH = 32

TOO_DEEP = f"JSON parse error - nested more than {MAX_DEPTH} levels deep."


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, refusing bodies nested more than ``MAX_DEPTH`` levels deep."""

    def parse(
        self,
        stream: Any,
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> Any:
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(TOO_DEEP) from None
        if _deeper_than(data, MAX_DEPTH):
            raise ParseError(TOO_DEEP)
        return data


def _deeper_than(data: Any, limit: int) -> bool:
    """Whether ``data`` nests lists and objects more than ``limit`` deep (no recursion)."""
    pending = [(data, 1)]
    while pending:
        value, depth = pending.pop()
        if isinstance(value, dict):
            children = list(value.values())
        elif isinstance(value, list):
            children = value
        else:
            continue
        if depth > limit:
            return True
        pending.extend((child, depth + 1) for child in children)
    return False


class BodyTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "request_too_large"

    def __init__(self) -> None:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        super().__init__(f"The request body is larger than {limit} bytes.")
