"""List filters. Related objects are filtered by id with plain number filters: a model-choice
filter would answer 400 for an id that exists but is not visible and 200 for one that does
not, telling a caller which ids exist. A number filter answers an empty page for both."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import Model, QuerySet

from config.ids import MAX_ID


class IdFilter(django_filters.NumberFilter):
    """An id. A number no id column can hold (past 64 bits, or not whole) matches nothing,
    like an id that exists nowhere: SQLite's driver cannot even send such a number, and
    ``1.5`` would otherwise be taken as ``1``."""

    def filter(self, qs: QuerySet[Any], value: Any) -> QuerySet[Any]:
        if value is not None and (abs(value) > MAX_ID or value != value.to_integral_value()):
            return qs.none()
        return super().filter(qs, value)


def filterset_for(model: type[Model], *, ids: list[str], fields: list[str] | None = None) -> Any:
    """A FilterSet for ``model``: ``ids`` are foreign keys filtered by number, ``fields`` use
    django-filter's defaults (choices, booleans)."""
    attrs: dict[str, Any] = {name.replace("__", "_"): IdFilter(field_name=name) for name in ids}
    attrs["Meta"] = type("Meta", (), {"model": model, "fields": list(fields or [])})
    return type(f"{model.__name__}FilterSet", (django_filters.FilterSet,), attrs)
