"""The matrix and the crawl find the next leak: a site with one unprotected view (every
scorecard's evidence, to anyone) fails both, naming the route and the sentinels."""

from __future__ import annotations

import pytest
from django.test import override_settings

from .conftest import Visit
from .crawl import Visitor
from .matrix import site_patterns, unknown_routes
from .world import client_for

pytestmark = pytest.mark.django_db

LEAKY = "tests.security.leaky_urls"


def test_the_matrix_names_an_unprotected_route() -> None:
    assert unknown_routes() == []  # the real site is fully in the table
    assert unknown_routes(LEAKY) == ["add leak/evidence/ to tests/security/matrix.py"]


def test_the_crawl_reports_the_sentinels_it_leaks(visit: Visit) -> None:
    real = set(site_patterns())
    with override_settings(ROOT_URLCONF=LEAKY):
        new = [pattern for pattern in site_patterns(LEAKY) if pattern not in real]
        assert new == ["leak/evidence/"]
        visitor = Visitor(visit.world, "outsider", client_for(visit.world, "outsider"))
        for pattern in new:
            visitor.request("GET", "/" + pattern)
    leaked = visitor.leaks()
    assert {"EVIDENCE-A1", "EVIDENCE-A2", "EVIDENCE-B1", "DRAFT-A2"} <= set(leaked)
    assert leaked["EVIDENCE-B1"] == ["GET /leak/evidence/"]
