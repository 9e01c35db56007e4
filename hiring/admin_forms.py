"""What every Loopwise admin form shares."""

from __future__ import annotations

from typing import Any

from django.db import models

# A URL typed without a scheme is https (Django 6's default, chosen now rather than warned of).
FORMFIELD_OVERRIDES: dict[type[models.Field[Any, Any]], dict[str, Any]] = {
    models.URLField: {"assume_scheme": "https"},
}


def formfield(field: models.Field[Any, Any], **kwargs: Any) -> Any:
    """A ``formfield_callback`` for ModelForms built outside a ModelAdmin, with the same
    overrides."""
    return field.formfield(**{**FORMFIELD_OVERRIDES.get(type(field), {}), **kwargs})
