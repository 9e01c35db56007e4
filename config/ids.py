"""Object ids in addresses. Every id column is a 64-bit integer, so an id past 2**63 - 1
names nothing: the ``<id:...>`` converter turns it away before any view runs, and the
address answers 404 like any other unknown one (SQLite's driver cannot even send such a
number, and would answer 500 with an ``OverflowError``).

Site pages use ``<id:pk>``; the API's routers are ``IdRouter``, whose detail routes all
take ``<id:...>``; the OpenAPI schema documents the range (``PATH_CONVERTER_OVERRIDES``)."""

from __future__ import annotations

from typing import Any

from django.urls import register_converter
from rest_framework.routers import DefaultRouter

MAX_ID = 2**63 - 1  # the largest value of a BigAutoField / bigint column


class IdConverter:
    regex = "[0-9]{1,19}"

    def to_python(self, value: str) -> int:
        number = int(value)
        if number > MAX_ID:
            raise ValueError(f"{value} is out of range for an id")  # no match: 404
        return number

    def to_url(self, value: int | str) -> str:
        return str(value)


register_converter(IdConverter, "id")


class IdRouter(DefaultRouter):
    """DRF's default router, with path() routes whose lookups are ``<id:...>``. Without
    ``.json``-style suffix routes (the schema would list each as an operation of its own):
    the Accept header or ``?format=json`` choose the format."""

    include_format_suffixes = False

    def __init__(self) -> None:
        super().__init__(use_regex_path=False)

    def get_lookup_regex(self, viewset: Any, lookup_prefix: str = "") -> str:
        lookup_field = getattr(viewset, "lookup_field", "pk")
        kwarg = getattr(viewset, "lookup_url_kwarg", None) or lookup_field
        return f"<id:{lookup_prefix}{kwarg}>"
