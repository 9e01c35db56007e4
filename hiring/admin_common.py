"""What every Loopwise admin shares: the signed-in user, the logs nobody edits by hand, and
the form-field defaults."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.http import HttpRequest

from .models import User

# A URL typed without a scheme is https (Django 6's default, chosen now rather than warned of).
FORMFIELD_OVERRIDES: dict[type[models.Field[Any, Any]], dict[str, Any]] = {
    models.URLField: {"assume_scheme": "https"},
}


def formfield(field: models.Field[Any, Any], **kwargs: Any) -> Any:
    """A ``formfield_callback`` for ModelForms built outside a ModelAdmin, with the same
    overrides."""
    return field.formfield(**{**FORMFIELD_OVERRIDES.get(type(field), {}), **kwargs})


def request_user(request: HttpRequest) -> User:
    """The admin only lets signed-in staff in: ``request.user`` is a ``User``."""
    user = request.user
    assert isinstance(user, User)
    return user


class ReadOnlyLog:
    """For a log's ModelAdmin (mixed in first): rows are written by the code, never added,
    edited or deleted in the admin; actions may still act on them through services."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
