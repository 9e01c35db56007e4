"""Keyset pagination for every API list (issue 14): a page costs one query of ``page_size +
1`` rows however large the list, and walking ``next`` returns every row once even while
rows are added.

A page number needs the list's COUNT and an OFFSET that reads and drops every earlier row:
both grow with the tenant (over the blind rule's query, the scorecard list's COUNT alone
built a two-million-row intermediate). A cursor instead carries the sort key of the last
row shown; the next page is the rows after it, ``WHERE (key) > (last)``, read through the
same index as the sort.

The sort is the list's own (its default ``ordering`` or the caller's ``?ordering=``) with
the id appended, so every row has a unique position. DRF's ``CursorPagination`` keys on the
first field alone and skips ties by an offset, which breaks on a non-unique sort such as
``?ordering=status`` and on a null; this keys on every field of the sort, and a null sorts
after every value in both directions, on PostgreSQL and SQLite alike.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import FieldDoesNotExist, ImproperlyConfigured
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import F, Field, Model, Q, QuerySet
from django.db.models.expressions import OrderBy
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import BasePagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.utils.urls import remove_query_param, replace_query_param

CURSOR = "cursor"
PAGE_SIZE = "page_size"
MAX_PAGE_SIZE = 200
INVALID = (
    "This cursor is not one this list gave out (or belongs to another ?ordering=): start "
    "again from the first page."
)


@dataclass(frozen=True)
class _Key:
    """One field of the sort."""

    field: Field[Any, Any]
    descending: bool

    @property
    def name(self) -> str:
        return self.field.attname

    def order(self, *, reverse: bool) -> OrderBy:
        """The field's ORDER BY term: nulls after every value, in reverse before them."""
        descending = self.descending != reverse
        nulls = {"nulls_first": True} if reverse else {"nulls_last": True}
        term = F(self.name).desc if descending else F(self.name).asc
        return term(**nulls) if self.field.null else term()

    def beyond(self, value: Any, *, reverse: bool) -> Q:
        """The rows strictly after ``value`` in this field's order (before it: ``reverse``)."""
        if value is None:
            # nulls come last: nothing follows them; every value precedes them
            return ~Q(**{f"{self.name}__isnull": True}) if reverse else Q(pk__in=[])
        lookup = "lt" if self.descending != reverse else "gt"
        after = Q(**{f"{self.name}__{lookup}": value})
        if self.field.null and not reverse:
            after |= Q(**{f"{self.name}__isnull": True})
        return after

    def equal(self, value: Any) -> Q:
        if value is None:
            return Q(**{f"{self.name}__isnull": True})
        return Q(**{self.name: value})


def _keys(queryset: QuerySet[Any]) -> list[_Key]:
    """The list's sort as keys, ending with the primary key (a unique position)."""
    model: type[Model] = queryset.model
    names = list(queryset.query.order_by) or list(model._meta.ordering or [])
    keys: list[_Key] = []
    for name in names:
        if not isinstance(name, str):
            raise ImproperlyConfigured("Keyset pagination sorts by field names only.")
        field_name = name.lstrip("-")
        try:
            field = model._meta.pk if field_name == "pk" else model._meta.get_field(field_name)
        except FieldDoesNotExist as error:
            raise ImproperlyConfigured(f"Keyset pagination cannot sort by {name!r}.") from error
        assert isinstance(field, Field)
        keys.append(_Key(field, name.startswith("-")))
        if field.primary_key:
            return keys
    pk = model._meta.pk
    assert pk is not None
    return [*keys, _Key(pk, False)]


def _after(keys: list[_Key], values: list[Any], *, reverse: bool) -> Q:
    """Rows after the position ``values`` in the sort (before it: ``reverse``):
    ``(a > x) OR (a = x AND b > y) OR ...``."""
    condition = Q(pk__in=[])
    same = Q()
    for key, value in zip(keys, values, strict=True):
        condition |= same & key.beyond(value, reverse=reverse)
        same &= key.equal(value)
    return condition


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


class KeysetPagination(BasePagination):
    """``{"next", "previous", "results"}``: ``next`` and ``previous`` are the addresses of
    the neighbouring pages (null at either end), ``?page_size=`` up to 200 (50 by
    default). No count: counting is what made page numbers cost as much as the tenant."""

    def paginate_queryset(
        self, queryset: QuerySet[Any], request: Request, view: Any = None
    ) -> list[Any]:
        self.request = request
        self.size = self._page_size(request)
        self.keys = _keys(queryset)
        self.signature = ",".join(("-" if k.descending else "") + k.name for k in self.keys)
        position, reverse = self._decode(request.query_params.get(CURSOR))
        ordered = queryset.order_by(*(key.order(reverse=reverse) for key in self.keys))
        if position is not None:
            ordered = ordered.filter(_after(self.keys, position, reverse=reverse))
        rows = list(ordered[: self.size + 1])
        page, more = rows[: self.size], len(rows) > self.size
        if reverse:
            page.reverse()
        self.page = page
        # Coming back from a page means there is one further on, and vice versa.
        self.has_next = more if not reverse else True
        self.has_previous = (position is not None) if not reverse else more
        return page

    def _page_size(self, request: Request) -> int:
        given = request.query_params.get(PAGE_SIZE)
        if given is None:
            return int(api_settings.PAGE_SIZE or 50)
        if not given.isdigit() or int(given) < 1:
            raise ValidationError({PAGE_SIZE: [f"A whole number from 1 to {MAX_PAGE_SIZE}."]})
        return min(int(given), MAX_PAGE_SIZE)

    def _position(self, row: Any) -> list[Any]:
        return [_jsonable(getattr(row, key.name)) for key in self.keys]

    def _encode(self, row: Any, *, reverse: bool) -> str:
        payload = {"o": self.signature, "p": self._position(row), "r": reverse}
        raw = json.dumps(payload, separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    def _decode(self, cursor: str | None) -> tuple[list[Any] | None, bool]:
        """The position a cursor names, as field values, and whether it walks back."""
        if cursor is None:
            return None, False
        try:
            raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
            payload = json.loads(raw)
            values, reverse = payload["p"], payload["r"]
            if payload["o"] != self.signature or not isinstance(reverse, bool):
                raise ValueError("another sort")
            if not isinstance(values, list) or len(values) != len(self.keys):
                raise ValueError("another sort")
            position = [
                None if value is None else key.field.to_python(value)
                for key, value in zip(self.keys, values, strict=True)
            ]
        except (binascii.Error, UnicodeDecodeError, ValueError, TypeError, KeyError,
                DjangoValidationError):  # fmt: skip
            raise ValidationError({CURSOR: [INVALID]}) from None
        return position, reverse

    def _link(self, row: Any, *, reverse: bool) -> str:
        url = self.request.build_absolute_uri()
        return replace_query_param(url, CURSOR, self._encode(row, reverse=reverse))

    def get_next_link(self) -> str | None:
        if not self.has_next:
            return None
        if not self.page:  # walked back past the start: the first page follows
            return remove_query_param(self.request.build_absolute_uri(), CURSOR)
        return self._link(self.page[-1], reverse=False)

    def get_previous_link(self) -> str | None:
        if not self.has_previous or not self.page:
            return None
        return self._link(self.page[0], reverse=True)

    def get_paginated_response(self, data: Any) -> Response:
        return Response(
            {"next": self.get_next_link(), "previous": self.get_previous_link(), "results": data}
        )

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        link = {"type": "string", "nullable": True, "format": "uri"}
        return {
            "type": "object",
            "required": ["next", "previous", "results"],
            "properties": {
                "next": {**link, "description": "The next page; null on the last."},
                "previous": {**link, "description": "The previous page; null on the first."},
                "results": schema,
            },
        }

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        return [
            {
                "name": CURSOR,
                "required": False,
                "in": "query",
                "description": "Where the page starts: take it from `next` or `previous`.",
                "schema": {"type": "string"},
            },
            {
                "name": PAGE_SIZE,
                "required": False,
                "in": "query",
                "description": f"Rows per page, 1 to {MAX_PAGE_SIZE} (50 by default).",
                "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE},
            },
        ]
