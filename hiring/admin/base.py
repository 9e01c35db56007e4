"""What every Loopwise admin shares: the signed-in user, the logs nobody edits by hand, and
the form-field defaults.

``PolicyAdmin`` asks ``hiring.access`` which rows a user sees, whether they may change one and
which fields stay read-only; the admin classes of every app derive from it."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest

from hiring import access
from hiring.admin.autocomplete import ScopedAutocomplete
from hiring.errors import messages_of
from hiring.models import (
    User,
)

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


class PolicyAdmin(ScopedAutocomplete):
    """Asks ``hiring.access`` which rows the user sees and whether they may change one;
    the model permissions of the Recruiters group only open the admin's menus. An
    autocomplete widget asking it gets only what its field accepts (``ScopedAutocomplete``)."""

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        visible = access.visible(request_user(request), self.model)
        return super().get_queryset(request).filter(pk__in=visible.values("pk"))

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        allowed = super().has_change_permission(request, obj)
        return allowed and (obj is None or access.can(request_user(request), "change", obj))

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        locked = access.readonly_fields(request_user(request), self.model)
        return (*super().get_readonly_fields(request, obj), *sorted(locked))


def report(model_admin: Any, request: HttpRequest, error: Exception, about: object = None) -> None:
    """A service's refusal as the admin's error message (one helper for every action and
    button), naming what it was about when several objects were acted on."""
    text = "; ".join(messages_of(error))
    model_admin.message_user(request, f"{about}: {text}" if about else text, messages.ERROR)
