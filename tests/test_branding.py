"""Loopwise looks like itself everywhere (issue 15): its name in the admin's header and tab
titles, its icon on every page (so no browser asks for a missing /favicon.ico), and the API
reference served with nothing from a font CDN."""

from __future__ import annotations

import re

import pytest
from django.contrib.staticfiles import finders
from django.test import Client

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

ICON = re.compile(r'<link rel="icon" href="(/static/loopwise/favicon\.svg)" type="image/svg\+xml">')


def icon_of(html: str) -> str:
    found = ICON.search(html)
    assert found, "no icon link"
    return found.group(1)


@pytest.mark.parametrize("path", ["/login/", "/admin/login/", "/api/v1/redoc/"])
def test_every_page_names_loopwises_icon(client: Client, path: str) -> None:
    html = client.get(path).content.decode()
    assert icon_of(html) == "/static/loopwise/favicon.svg"
    assert finders.find("loopwise/favicon.svg")


def test_the_admin_says_loopwise_not_django(client: Client) -> None:
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    html = client.get("/admin/").content.decode()
    assert '<div id="site-name"><a href="/admin/">Loopwise</a></div>' in html
    assert "<title>Site administration · Loopwise</title>" in html
    assert "Django administration" not in html
    assert "Django site admin" not in html


def test_the_api_reference_asks_no_font_cdn(client: Client) -> None:
    html = client.get("/api/v1/redoc/").content.decode()
    assert "fonts.googleapis.com" not in html
    assert "fonts.gstatic.com" not in html
    assert re.findall(r'(?:src|href)="(https?://[^"]+)"', html) == []
    assert '<script src="/api/v1/redoc/redoc.js"></script>' in html


def test_the_redoc_bundle_asks_no_logo_cdn(client: Client) -> None:
    response = client.get("/api/v1/redoc/redoc.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    bundle = response.content.decode()
    assert "cdn.redoc.ly" not in bundle
    assert re.findall(r'src:"(https?://[^"]+)"', bundle) == []
    assert 'src:"/static/loopwise/favicon.svg"' in bundle
    assert len(bundle) > 500_000  # the whole of Redoc, not a stub
