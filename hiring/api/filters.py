"""List filters. Related objects are filtered by id with plain number filters: a model-choice
filter would answer 400 for an id that exists but is not visible and 200 for one that does
not, telling a caller which ids exist. A number filter answers an empty page for both."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import Model


def filterset_for(model: type[Model], *, ids: list[str], fields: list[str] | None = None) -> Any:
    """A FilterSet for ``model``: ``ids`` are foreign keys filtered by number, ``fields`` use
    django-filter's defaults (choices, booleans)."""
    attrs: dict[str, Any] = {
        name.replace("__", "_"): django_filters.NumberFilter(field_name=name) for name in ids
    }
    attrs["Meta"] = type("Meta", (), {"model": model, "fields": list(fields or [])})
    return type(f"{model.__name__}FilterSet", (django_filters.FilterSet,), attrs)
