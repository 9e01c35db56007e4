"""A service's refusal as the API answers it."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework.exceptions import ValidationError


def service_errors(error: DjangoValidationError) -> ValidationError:
    """A service's ``ValidationError`` as a 400 with field → messages. (Django's
    ``PermissionDenied`` and ``Http404`` need nothing: DRF answers them itself, message
    included.)"""
    if hasattr(error, "error_dict"):
        return ValidationError(error.message_dict)
    return ValidationError({"non_field_errors": error.messages})
