"""Sign-in protection: what django-axes asks this project (see AXES_* in config.settings.base).

Axes counts failed password sign-ins per username *and* address: an attacker guessing one
person's password is stopped after ``LOGIN_FAILURE_LIMIT`` tries, but cannot lock everyone
out from one address, and a stranger elsewhere cannot lock a colleague out.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def client_ip(request: HttpRequest) -> str | None:
    """The address the request came from: the connection's, or with ``TRUSTED_PROXY_COUNT``
    proxies in front, the one the outermost of them saw.

    Each proxy appends the address it received the request from to X-Forwarded-For, so only
    the last ``TRUSTED_PROXY_COUNT`` entries are trustworthy; anything further left is
    whatever the client chose to send."""
    remote = request.META.get("REMOTE_ADDR") or None
    proxies = settings.TRUSTED_PROXY_COUNT
    if not proxies:
        return remote
    forwarded = [
        address.strip()
        for address in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        if address.strip()
    ]
    if not forwarded:
        return remote
    candidate = forwarded[-min(proxies, len(forwarded))]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote


def is_magic_link(request: HttpRequest, credentials: Mapping[str, object] | None) -> bool:
    """Magic links (scorecards.magic_links) are not password sign-ins: their tokens are
    signed, so there is nothing to guess, and an expired link must not count as a failed
    sign-in against its address."""
    return credentials is not None and settings.SESAME_TOKEN_NAME in credentials


def cool_off_minutes() -> int:
    return int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)


def lockout_response(
    request: HttpRequest,
    original_response: HttpResponse | None = None,
    credentials: Mapping[str, object] | None = None,
) -> HttpResponse:
    """What a locked-out person sees on ``/login/`` and ``/admin/login/`` instead of the
    form: the reason, how long to wait, and who can help."""
    minutes = cool_off_minutes()
    response = render(
        request,
        "registration/locked_out.html",
        {"minutes": minutes, "login_url": request.get_full_path()},
        status=429,
    )
    response["Retry-After"] = str(minutes * 60)
    return response
