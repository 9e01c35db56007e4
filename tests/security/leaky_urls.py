"""The real site plus one deliberately unprotected view, for ``test_the_tests_bite``: it hands
every scorecard's evidence to whoever asks, signed in or not."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import include, path

from scorecards.models import DimensionRating


def every_evidence(request: HttpRequest) -> HttpResponse:
    return HttpResponse("\n".join(DimensionRating.objects.values_list("evidence", flat=True)))


urlpatterns = [
    path("leak/evidence/", every_evidence),
    path("", include("config.urls")),
]
