"""The insight pages, under /insight/ (included by ``scorecards.urls``, so their names are
``scorecards:insight_...``). Each report adds its routes here."""

from django.urls import URLPattern, path  # noqa: F401

urlpatterns: list[URLPattern] = []
