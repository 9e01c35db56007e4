"""Loopwise's own middleware: a strict Content-Security-Policy for its pages (every script and
style is a file served by the app, so nothing inline and nothing from another origin; the
Django admin's pages included), and each person's own time zone."""

from __future__ import annotations

from collections.abc import Callable
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.http import HttpRequest, HttpResponse
from django.utils import timezone

POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'self'; "
    "object-src 'none'"
)

# Redoc, the API reference at /api/v1/redoc/, styles itself by injecting <style> elements
# (styled-components) and fails to render without them. That page alone allows inline
# styles; its scripts, like every page's, must still be files served by the app.
INLINE_STYLE_PATHS = ("/api/v1/redoc/",)
INLINE_STYLE_POLICY = POLICY.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'")


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.path in INLINE_STYLE_PATHS:
            response.headers.setdefault("Content-Security-Policy", INLINE_STYLE_POLICY)
        else:
            response.headers.setdefault("Content-Security-Policy", POLICY)
        return response


class UserTimeZoneMiddleware:
    """Show times in the signed-in person's own time zone (``User.time_zone``): the admin's
    lists and forms, and any page that renders a datetime without naming its zone. Forms
    that take wall-clock times in another zone (an interview's) convert explicitly."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        name = getattr(getattr(request, "user", None), "time_zone", "") or ""
        try:
            zone = ZoneInfo(name) if name else None
        except (ZoneInfoNotFoundError, ValueError):
            zone = None  # a bad value on the profile: fall back to the server's zone
        if zone is None:
            timezone.deactivate()
        else:
            timezone.activate(zone)
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
