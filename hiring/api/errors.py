"""How the API answers errors, in one place (DRF's ``EXCEPTION_HANDLER``).

A service's ``Invalid`` (any Django ``ValidationError``) is a 400 with field → messages; its
``Refused`` (Django's ``PermissionDenied``) a 403 with the reason, as DRF answers it; a body
over ``DATA_UPLOAD_MAX_MEMORY_SIZE`` a JSON 413. Views never catch and re-wrap them.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import views
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from hiring.api.parsers import BodyTooLarge


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, RequestDataTooBig):
        exc = BodyTooLarge()
    elif isinstance(exc, DjangoValidationError):
        detail = (
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
        exc = ValidationError(detail)
    return views.exception_handler(exc, context)
