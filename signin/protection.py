"""Sign-in protection: what django-axes asks this project (see AXES_* in config.settings.base).

Axes counts failed password sign-ins per username *and* address: an attacker guessing one
person's password is stopped after ``LOGIN_FAILURE_LIMIT`` tries, but cannot lock everyone
out from one address, and a stranger elsewhere cannot lock a colleague out.

That alone lets one address try one common password against every username (password
spraying): each pair fails once. So the failures of all usernames from one address are added
up too, and from ``LOGIN_ADDRESS_FAILURE_LIMIT`` on (set well above what an office behind one
address produces) password sign-in from that address pauses for the cool-off, for everyone
there (:class:`Handler`). Single sign-on and magic links are not password sign-ins and go on.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from typing import Any

from axes.handlers.database import AxesDatabaseHandler
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone


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
    per_person = _failures(
        username=(credentials or {}).get("username"), ip_address=_address(request)
    )
    response = render(
        request,
        "registration/locked_out.html",
        {
            "minutes": minutes,
            "login_url": request.get_full_path(),
            # the whole address paused, not (only) this username from it
            "address_wide": per_person < settings.AXES_FAILURE_LIMIT,
        },
        status=429,
    )
    response["Retry-After"] = str(minutes * 60)
    return response


def _address(request: HttpRequest) -> str | None:
    return getattr(request, "axes_ip_address", None) or client_ip(request)


def _failures(**who: Any) -> int:
    """Failed password sign-ins of the attempts matching ``who``, still inside their
    cool-off (each attempt's count runs from its latest failure, as axes counts it)."""
    since = timezone.now() - settings.AXES_COOLOFF_TIME
    attempts = AccessAttempt.objects.filter(attempt_time__gte=since, **who)
    return attempts.aggregate(n=Sum("failures_since_start"))["n"] or 0


def address_failures(ip: str) -> int:
    """Failed password sign-ins from ``ip``, every username together."""
    return _failures(ip_address=ip)


def address_locked(request: HttpRequest) -> bool:
    """Has this request's address failed ``LOGIN_ADDRESS_FAILURE_LIMIT`` times (0: never)?"""
    limit = settings.LOGIN_ADDRESS_FAILURE_LIMIT
    ip = _address(request)
    return bool(limit) and ip is not None and address_failures(ip) >= limit


class Handler(AxesDatabaseHandler):
    """Axes' database handler, with the address-wide limit beside its per-username one: a
    paused address is refused before the password is checked, and the failure that reaches
    the limit already gets the lockout page."""

    def is_locked(self, request: Any, credentials: dict[str, Any] | None = None) -> bool:
        return bool(super().is_locked(request, credentials)) or address_locked(request)

    def user_login_failed(
        self,
        sender: Any,
        credentials: dict[str, Any],
        request: Any = None,
        **kwargs: Any,
    ) -> None:
        super().user_login_failed(sender, credentials, request=request, **kwargs)
        if (
            request is not None
            and not getattr(request, "axes_locked_out", False)
            and not self.is_whitelisted(request, credentials)
            and address_locked(request)
        ):
            request.axes_locked_out = True
            request.axes_credentials = credentials
