"""``Idempotency-Key`` for the API's POSTs (issue 8, DESIGN §5 "a replayed POST: one
submission").

A client that sends a POST with an ``Idempotency-Key`` header and retries it (a timeout, a
dropped connection) gets the first answer back, with ``Idempotent-Replayed: true``, instead
of a second write. The key is scoped to the user, the method and the path, and kept
``API_IDEMPOTENCY_HOURS``.

How it holds under concurrency: the record is inserted in the same transaction as the write
it guards, before the write. A second request with the same key blocks on the unique index
until the first commits (PostgreSQL), then finds the stored answer and replays it; if the
first failed, its record is rolled back with it and the second proceeds as if it were first.

Only success is remembered. A refused request (400, 403, 404) releases its key, so the
client can fix the body and retry with the same key; whatever the refusal kept on purpose
(a half-filled scorecard's draft) still commits. The same key with a different body is a
client bug and answers 422.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any, TypeVar

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import status
from rest_framework.exceptions import APIException, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.encoders import JSONEncoder

from hiring.api.permissions import request_user
from hiring.models import IdempotencyRecord

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
MAX_KEY_LENGTH = 255

PARAMETER = OpenApiParameter(
    HEADER,
    {"type": "string", "minLength": 1, "maxLength": MAX_KEY_LENGTH, "pattern": "^[!-~]+$"},
    OpenApiParameter.HEADER,
    required=False,
    description=(
        "Retry-safe writes: repeating this POST with the same key (within "
        "API_IDEMPOTENCY_HOURS, default 24 h) returns the first successful answer, with "
        "`Idempotent-Replayed: true`, instead of writing twice. 1-255 visible ASCII "
        "characters; a UUID is a good choice. The same key with a different body is a 422."
    ),
)
KEY_REUSED_RESPONSE = OpenApiResponse(
    description="The Idempotency-Key was already used for a different request body."
)


class KeyReused(APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_detail = (
        "This Idempotency-Key was already used with a different request body: use a new key "
        "for a new request."
    )
    default_code = "idempotency_key_reused"


View = TypeVar("View")
Handler = Callable[..., Response]


def idempotent(handler: Handler) -> Handler:
    """Decorate an API view's ``post`` so an ``Idempotency-Key`` makes it retry-safe."""

    @functools.wraps(handler)
    def wrapper(view: Any, request: Request, *args: Any, **kwargs: Any) -> Response:
        key = request.headers.get(HEADER)
        if key is None:
            return handler(view, request, *args, **kwargs)
        return _run_once(request, _checked(key), lambda: handler(view, request, *args, **kwargs))

    return wrapper


def _checked(key: str) -> str:
    if not 0 < len(key) <= MAX_KEY_LENGTH or not all(33 <= ord(ch) <= 126 for ch in key):
        raise ValidationError(
            {HEADER: [f"Use 1 to {MAX_KEY_LENGTH} visible ASCII characters, e.g. a UUID."]}
        )
    return key


def _fingerprint(request: Request) -> str:
    data = request.data
    if hasattr(data, "lists"):  # a form-encoded QueryDict
        data = dict(data.lists())
    canonical = json.dumps(data, sort_keys=True, cls=JSONEncoder)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _jsonable(data: Any) -> Any:
    return json.loads(json.dumps(data, cls=JSONEncoder))


def _run_once(request: Request, key: str, call: Callable[[], Response]) -> Response:
    scope = {
        "user": request_user(request),
        "method": request.method or "POST",
        "path": request.path,
        "key": key,
    }
    request_hash = _fingerprint(request)
    refused: Exception | None = None
    with transaction.atomic():
        cutoff = timezone.now() - timedelta(hours=settings.API_IDEMPOTENCY_HOURS)
        IdempotencyRecord.objects.filter(**scope, created_at__lt=cutoff).delete()
        try:
            with transaction.atomic():
                record = IdempotencyRecord.objects.create(
                    **scope, request_hash=request_hash, response_status=0
                )
        except IntegrityError:  # answered before (or just now, by a request we waited for)
            first = IdempotencyRecord.objects.get(**scope)
            if first.request_hash != request_hash:
                raise KeyReused() from None
            return Response(
                first.response_body,
                status=first.response_status,
                headers={REPLAYED_HEADER: "true"},
            )
        try:
            response = call()
        except (APIException, Http404, PermissionDenied, DjangoValidationError) as error:
            record.delete()  # a refusal is not remembered: fix the body, retry with the key
            refused = error
        else:
            if status.is_success(response.status_code):
                record.response_status = response.status_code
                record.response_body = _jsonable(response.data)
                record.save(update_fields=["response_status", "response_body"])
            else:
                record.delete()
    if refused is not None:
        raise refused
    return response


def purge_expired(now: Any = None) -> int:
    """Delete keys older than API_IDEMPOTENCY_HOURS; return how many. Idempotent."""
    cutoff = (now or timezone.now()) - timedelta(hours=settings.API_IDEMPOTENCY_HOURS)
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=cutoff).delete()
    return deleted
